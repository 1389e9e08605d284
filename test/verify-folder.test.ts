/** How `qgc verify` reads a compiled folder (src/verify/folder.ts): the integer graph comes from
 * `<name>_schedule.json`, exactly the graph the C was generated from, so a graph that QDQ ONNX
 * cannot express (a backend-only change) still verifies; a missing, foreign or malformed
 * schedule file is refused in one line that says to recompile. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Graph } from '../src/ir/graph.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { loadModel } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { readCompiledFolder, regenerate, sourceDrift } from '../src/verify/folder.js';
import { verifyFolder } from '../src/verify/verify.js';
import { cnn } from './support/c-graphs.js';
import { rng } from './support/qgraph.js';
import { GCC, needs } from './support/tools.js';


const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function compiled(g: Graph, qdq: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'qgc-verify-folder-'));
  roots.push(root);
  const dir = join(root, 'out');
  compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir, qdq });
  return dir;
}

/** A small QDQ model (conv, pool, fully connected, softmax), lowered: a graph QDQ can express. */
const qdqGraph = (): Graph => lowerQdq(loadModel('test/data/qdq-uint8.onnx').graph);

/** That graph with one requantization multiplier changed, as a backend's own fusion might: the
 * int8 semantics are well defined, but no QDQ model has them. */
function notQdq(): Graph {
  const g = qdqGraph();
  expect(() => exportQdq(g)).not.toThrow();
  const conv = g.nodes.find((n) => n.op === 'QConv')!;
  if (conv.op === 'QConv') conv.attrs.multiplier[0] += 12345;
  return g;
}

describe('verify reads the graph from <name>_schedule.json', () => {
  it('a graph QDQ cannot express: the exact graph comes back, regenerates the same sources, and runs bit-exact on the host', async (ctx) => {
    const g = notQdq();
    expect(() => exportQdq(g)).toThrow(/cannot be written as QDQ: .*multipliers/);
    const dir = compiled(g, false);
    expect(existsSync(join(dir, 'net.qdq.onnx'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, '.qgc-output'), 'utf8')).files).toContain('net_schedule.json');
    const folder = readCompiledFolder(dir);
    expect(folder.graph).toStrictEqual(g);
    expect(sourceDrift(folder, regenerate(folder))).toEqual([]);
    needs(ctx, GCC);
    const rand = rng(5);
    const x = { dtype: 'float32' as const, shape: [3, 2, 6, 6], data: Float32Array.from({ length: 3 * 72 }, () => rand() * 4 - 2) };
    const r = await verifyFolder({ dir, inputs: x, targets: ['host'] });
    expect(r.drift).toEqual([]);
    expect(r.targets.map((t) => [t.code, t.samples, t.mismatch])).toEqual([['folder', 3, undefined]]);
    expect(r.ok).toBe(true);
  }, 120_000);

  it('a folder with a QDQ export: the graph is the one compiled (not the QDQ lowered again), with or without net.qdq.onnx', () => {
    const g = qdqGraph();
    const dir = compiled(g, true);
    expect(existsSync(join(dir, 'net.qdq.onnx'))).toBe(true);
    rmSync(join(dir, 'net.qdq.onnx'));
    const folder = readCompiledFolder(dir);
    expect(folder.graph).toStrictEqual(g);
    expect(sourceDrift(folder, regenerate(folder))).toEqual([]);
  });
});

describe('a missing, foreign or malformed schedule file is refused', () => {
  const cases: [string, (doc: Record<string, any>) => unknown, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['not JSON', () => '{"format": "qgc-schedule",', /^not valid JSON \(/],
    ['not an object', () => [1, 2], /^not a JSON object/],
    ['another format', (d) => ({ ...d, format: 'onnx' }), /^the format is "onnx", not "qgc-schedule"/],
    ['a newer version', (d) => ({ ...d, formatVersion: 2 }), /^formatVersion 2: this qgc reads version 1/],
    ['another network', (d) => ({ ...d, name: 'other' }), /^name "other" is not the report's "net"/],
    ['another target', (d) => ({ ...d, target: 'cortex-m55' }), /^target "cortex-m55" is not the report's "cortex-m4"/],
    ['other kernels', (d) => ({ ...d, kernels: 'cmsis-nn' }), /^kernels "cmsis-nn" is not the report's "portable"/],
    ['no graph', (d) => ({ ...d, graph: undefined }), /^graph: expected an object, found undefined/],
    ['a malformed graph', (d) => { d.graph.nodes[1].inputs[0] = 'nowhere'; return d; }, /^graph\.nodes\[1\]\.inputs\[0\]: 'nowhere' names no tensor/],
  ];
  for (const [what, edit, message] of cases) {
    it(what, () => {
      const dir = compiled(cnn().graph, false);
      const file = join(dir, 'net_schedule.json');
      const edited = edit(JSON.parse(readFileSync(file, 'utf8')));
      writeFileSync(file, typeof edited === 'string' ? edited : JSON.stringify(edited));
      let err: unknown;
      try {
        readCompiledFolder(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CompileError);
      const e = err as CompileError;
      expect(e.code).toBe(ErrorCode.BadInput);
      expect(e.message).toMatch(message);
      expect(e.where.file).toBe(file);
      expect(e.hint).toMatch(/[Cc]ompile the model again with (this )?qgc|recompile with qgc compile/);
    });
  }

  it('a folder from an older qgc (no schedule file) says to recompile', () => {
    const dir = compiled(qdqGraph(), true);
    rmSync(join(dir, 'net_schedule.json'));
    expect(() => readCompiledFolder(dir)).toThrow(CompileError);
    try {
      readCompiledFolder(dir);
    } catch (e) {
      expect((e as CompileError).format()).toMatch(/^error QGC1201: .*out: no net_schedule\.json in the folder: verify rebuilds the integer graph from it\. Compile the model again with this qgc \(qgc compile writes it; a folder written by an older qgc has none\)\.$/);
    }
  });
});

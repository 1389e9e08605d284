/** The Wasm backend on hand-made graphs that reach every kernel path (each convolution shape,
 * depthwise with and without a channel multiplier, grouped, dilated, 1-D, pooling with padding
 * and ceil mode, in-place add and clamp, concat with and without requantization, Pad in every
 * mode, softmax, batches, boundary transposes), the QLinearConv conformance case, a model with
 * two inputs and two outputs, and the loader's API: errors before writing, TypeErrors, --embed,
 * the scalar-only target. Both modules are run through the folder's own net.js. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Graph, Node, Tensor } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import { readFileChecked } from '../src/onnx/load.js';
import { importModel } from '../src/onnx/import.js';
import { decodeModel, decodeTensor } from '../src/onnx/proto.js';
import { tensorFromProto } from '../src/onnx/tensor.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { verifyWasmFolder } from '../src/verify/wasm.js';
import { ALL_CASES, cnn } from './support/c-graphs.js';
import { randomSamples } from './support/c-harness.js';
import { cli } from './support/cli.js';
import { NODE_TEST_ROOT } from './support/conformance.js';
import { GOLDEN_CASES } from './support/golden-graphs.js';
import { QGraphBuilder } from './support/qgraph.js';
import { ONNX_TESTDATA, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-wasm-');

interface LoadedNet {
  simd: boolean;
  inputs: { name: string; shape: number[]; dtype: string; scale: number; zeroPoint: number }[];
  outputs: { name: string; shape: number[] }[];
  run(x: unknown): Int8Array | Record<string, Int8Array>;
  runF32(x: unknown): Float32Array | Record<string, Float32Array>;
  steps: { index: number; name: string; op: string; kernel: string }[];
  runStep(i: number): void;
}
type Loader = { createNet(source?: unknown): Promise<LoadedNet>; simdSupported(): boolean };
let loads = 0;
const load = async (file: string) => (await import(`${pathToFileURL(file).href}?v=${++loads}`)) as Loader;

/** Compiles to a new folder and verifies both modules on `count` random float samples. */
async function compileAndVerify(graph: Graph, inputShape: readonly number[], rand: () => number, count = 6) {
  const dir = join(tmp(), 'out');
  compileWasm(graph, { target: 'wasm', name: 'net', outDir: dir });
  const samples = randomSamples(rand, inputShape, count);
  const stacked = new Float32Array(samples.reduce((a, s) => a + s.length, 0));
  samples.forEach((s, k) => stacked.set(s, k * s.length));
  const x = { dtype: 'float32' as const, shape: [inputShape[0] * count, ...inputShape.slice(1)], data: stacked };
  return { dir, result: await verifyWasmFolder({ dir, inputs: x }) };
}

describe('Wasm backend: bit-exact with the integer interpreter on every kernel path', () => {
  for (const make of [...ALL_CASES, ...GOLDEN_CASES]) {
    const c = make();
    it(`${c.name}: SIMD and scalar modules, run and runF32`, async () => {
      const { result } = await compileAndVerify(c.graph, c.inputShape, c.rand);
      expect(result.modules.map((m) => m.variant)).toEqual(['simd', 'scalar']);
      for (const m of result.modules) {
        expect(m.mismatch, m.message).toBeUndefined();
        expect(m.samples).toBe(6);
        expect(m.bytes).toBeGreaterThan(0);
      }
    }, 120_000);
  }

  for (const [label, shifts] of [
    ['-31..30', [-31, -25, -17, -12, -9, -5, -1, 0, 1, 2, 7, 18, 30]],
    // Right shifts up to 21: the SIMD module's fast requantization (requant-simd.ts) takes these layers.
    ['-21..30, the fast SIMD form', [-21, -20, -17, -12, -9, -5, -1, 0, 1, 2, 7, 18, 30]],
  ] as const) it(`requantization at the ends of its range (shifts ${label}, multipliers 0..2^31-1) in conv, depthwise and FC`, async () => {
    const b = new QGraphBuilder(5);
    let y = b.conv(b.input([1, 3, 6, 6]), { outC: 13, k: [3, 3], pads: [1, 1, 1, 1] });
    y = b.conv(y, { outC: 13, k: [3, 3], pads: [1, 1, 1, 1], group: 13 });
    y = b.fc(b.reshape(y, [1, 13 * 36]), 11);
    const g = b.build(y);
    const mults = [0, 1, 2 ** 30, 2 ** 31 - 1, 1518500250, 1073741825, 2147483000];
    let k = 0;
    for (const n of g.nodes) {
      if (n.op !== 'QConv' && n.op !== 'QFullyConnected') continue;
      const len = n.attrs.multiplier.length;
      n.attrs.multiplier = Int32Array.from({ length: len }, (_, i) => mults[(i + k) % mults.length]);
      n.attrs.shift = Int32Array.from({ length: len }, (_, i) => shifts[(i * 5 + k) % shifts.length]);
      // A wide output range so that few outputs clamp.
      n.attrs.outputZeroPoint = 0;
      k++;
    }
    const { result } = await compileAndVerify(g, [1, 3, 6, 6], b.rand, 8);
    for (const m of result.modules) expect(m.mismatch, m.message).toBeUndefined();
  }, 120_000);

  it('depthwise windows that see only part of the input (pads up to 3, strides, dilation, 12 and 20 channels, a 1-wide map)', async () => {
    const b = new QGraphBuilder(11);
    let y = b.conv(b.input([2, 12, 7, 5]), { outC: 12, k: [3, 3], pads: [2, 1, 3, 2], stride: [2, 1], group: 12 });
    y = b.conv(y, { outC: 20, k: [1, 1] });
    y = b.conv(y, { outC: 20, k: [3, 2], pads: [2, 2, 2, 2], dilation: [2, 3], group: 20, relu: true });
    y = b.conv(y, { outC: 20, k: [5, 1], pads: [3, 0, 3, 0], stride: [3, 1], group: 20 });
    const { result } = await compileAndVerify(b.build(y), [2, 12, 7, 5], b.rand, 6);
    for (const m of result.modules) expect(m.mismatch, m.message).toBeUndefined();
  }, 120_000);

  it('SIMD average pooling and add: 40 channels (two 16-channel blocks and a rest), saturated inputs, 256-tap windows, padded windows, an add with a tail', async () => {
    // Inputs in [-1, 2) at scale 1/200, zero point -128: most bytes saturate at -128 or 127.
    const b = new QGraphBuilder(23);
    const x = b.input([1, 40, 16, 16], 1 / 200, -128);
    const a = b.add(x, b.conv(x, { outC: 40, k: [1, 1] }), false, 1 / 150, 127);
    const p = b.pool('QAveragePool', a, [3, 3], [3, 3]);
    const q = b.add(p, b.pool('QAveragePool', a, [3, 3], [3, 3], [1, 1, 0, 0]), true);
    const { result } = await compileAndVerify(b.build(b.pool('QAveragePool', q, [5, 5], [1, 1])), [1, 40, 16, 16], b.rand, 6);
    for (const m of result.modules) expect(m.mismatch, m.message).toBeUndefined();
    const g = new QGraphBuilder(29);
    const y = g.pool('QAveragePool', g.input([1, 40, 16, 16], 1 / 200, -128), [16, 16], [1, 1]);
    const whole = await compileAndVerify(g.build(y), [1, 40, 16, 16], g.rand, 6);
    for (const m of whole.result.modules) expect(m.mismatch, m.message).toBeUndefined();
  }, 120_000);

  it('the QLinearConv conformance case (lowered from ONNX) is bit-exact in both modules', async (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    const dir = join(NODE_TEST_ROOT, 'test_qlinearconv');
    const pb = (file: string, name: string): Tensor => tensorFromProto(decodeTensor(readFileChecked(file)), name);
    const model = decodeModel(readFileChecked(join(dir, 'model.onnx')));
    const names = (model.graph?.input ?? []).map((v) => v.name ?? '');
    const set = join(dir, readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()[0]);
    const graph = lowerQdq(importModel(model, { bindInputs: new Map(names.slice(1).map((n, i) => [n, pb(join(set, `input_${i + 1}.pb`), n)] as const)) }));
    const x = pb(join(set, 'input_0.pb'), names[0]);
    const in8 = Int8Array.from(x.data as Uint8Array | Int8Array, (v) => (x.dtype === 'uint8' ? v - 128 : v));
    const shape = graph.tensors.get(graph.inputs[0])!.shape;
    const want = runGraph(graph, new Map([[graph.inputs[0], { dtype: 'int8', shape, data: in8 }]])).get(graph.outputs[0])!.data as Int8Array;
    const out = join(tmp(), 'out');
    compileWasm(graph, { target: 'wasm', name: 'net', outDir: out });
    const loader = await load(join(out, 'net.js'));
    for (const file of ['net.wasm', 'net.scalar.wasm']) {
      const net = await loader.createNet(readFileSync(join(out, file)));
      expect(Array.from(net.run(in8) as Int8Array), file).toEqual(Array.from(want));
    }
    const r = await verifyWasmFolder({ dir: out, inputs: { dtype: 'int8', shape, data: in8 } });
    expect(r.ok).toBe(true);
  });

  it('two inputs and two outputs (test/data/two-heads): by name, bit-exact through the CLI', async () => {
    const DATA = 'test/data/two-heads';
    const dir = join(tmp(), 'out');
    const c = await cli('compile', `${DATA}/model.onnx`, '--target', 'wasm', '--calib', `a=${DATA}/ca.npy`, '--calib', `b=${DATA}/cb.npy`, '-o', dir);
    expect(c.code, c.err).toBe(0);
    const v = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--inputs', `b=${DATA}/tb.npy`);
    expect(v.code, v.err).toBe(0);
    // 8 samples, each (5 + 3) int8 outputs and (5 + 3) floats.
    expect(v.out).toMatch(/wasm simd \(node\)\s+folder\s+8\s+320\s+bit-exact/);
    expect(v.out).toMatch(/wasm scalar \(node\)\s+folder\s+8\s+320\s+bit-exact/);
    const net = await (await load(join(dir, 'net.js'))).createNet();
    expect(net.inputs.map((i) => [i.name, i.shape])).toEqual([['a', [1, 1, 12, 12]], ['b', [1, 2, 12, 12]]]);
    expect(net.outputs.map((o) => [o.name, o.shape])).toEqual([['y1', [1, 5]], ['y2', [1, 3]]]);
    const out = net.run({ a: new Int8Array(144), b: new Int8Array(288) }) as Record<string, Int8Array>;
    expect(Object.keys(out)).toEqual(['y1', 'y2']);
    expect([out.y1.length, out.y2.length]).toEqual([5, 3]);
    expect(() => net.run(new Int8Array(144))).toThrow(TypeError);
    expect(() => net.run({ a: new Int8Array(144) })).toThrow(/input 'b' must be a Int8Array of shape \[1, 2, 12, 12\] \(288 values\)/);
    expect(readFileSync(join(dir, 'net.d.ts'), 'utf8')).toMatch(/readonly a: T;[\s\S]*readonly b: T;[\s\S]*y1: T;[\s\S]*y2: T;/);
  }, 120_000);
});

describe('the loader (net.js)', () => {
  it('picks the SIMD module where SIMD128 validates, reports its inputs and outputs, and throws TypeErrors naming the shape', async () => {
    const c = cnn();
    const dir = join(tmp(), 'out');
    compileWasm(c.graph, { target: 'wasm', name: 'net', outDir: dir });
    const loader = await load(join(dir, 'net.js'));
    expect(loader.simdSupported()).toBe(true);
    const net = await loader.createNet();
    expect(net.simd).toBe(true);
    expect(net.inputs).toEqual([expect.objectContaining({ shape: [1, 3, 9, 9], dtype: 'int8' })]);
    expect(typeof net.inputs[0].scale).toBe('number');
    expect(() => net.run(new Int8Array(242))).toThrow(TypeError);
    expect(() => net.run(new Int8Array(242))).toThrow(/shape \[1, 3, 9, 9\] \(243 values\), got Int8Array of 242 values/);
    expect(() => net.run(new Uint8Array(243))).toThrow(TypeError);
    expect(() => net.runF32(new Int8Array(243))).toThrow(/Float32Array of shape \[1, 3, 9, 9\]/);
    expect(() => net.run([1, 2, 3])).toThrow(TypeError);
    expect(() => net.run(undefined)).toThrow(TypeError);
    // The same input by name gives the same output; the scalar module the same bytes.
    const x = Int8Array.from({ length: 243 }, (_, i) => (i * 37) % 256 - 128);
    const a = net.run(x) as Int8Array;
    expect(Array.from(net.run({ [net.inputs[0].name]: x }) as Int8Array)).toEqual(Array.from(a));
    const scalar = await loader.createNet(new URL('net.scalar.wasm', pathToFileURL(join(dir, '/'))));
    expect(scalar.simd).toBe(false);
    expect(Array.from(scalar.run(x) as Int8Array)).toEqual(Array.from(a));
    await expect(loader.createNet(42)).rejects.toThrow(TypeError);
    // The steps of the report, and each one runnable alone (per-layer timing): after a run, running
    // every step again in order leaves the same output bytes.
    const report = JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as { layers: { kernel: string }[] };
    expect(net.steps.map((st) => st.kernel)).toEqual(report.layers.map((l) => l.kernel));
    net.run(x);
    for (let i = 0; i < net.steps.length; i++) net.runStep(i);
    expect(() => net.runStep(net.steps.length)).toThrow(RangeError);
    // Nothing in the loader evaluates strings.
    expect(readFileSync(join(dir, 'net.js'), 'utf8')).not.toMatch(/\beval\b|new Function|Function\(/);
  });

  it('--embed inlines both modules: net.js alone loads and runs', async () => {
    const dir = join(tmp(), 'out');
    const c = await cli('compile', 'examples/fashion-mnist/model.onnx', '--target', 'wasm', '--calib', 'examples/fashion-mnist/calib.npy', '--embed', '-o', dir);
    expect(c.code, c.err).toBe(0);
    const alone = join(tmp(), 'alone');
    mkdirSync(alone);
    copyFileSync(join(dir, 'net.js'), join(alone, 'net.js'));
    const loader = await load(join(alone, 'net.js'));
    const net = await loader.createNet();
    expect(net.simd).toBe(true);
    const withFile = await (await load(join(dir, 'net.js'))).createNet(readFileSync(join(dir, 'net.scalar.wasm')));
    const x = new Float32Array(784).map((_, i) => (i % 17) / 17);
    expect(Array.from(net.runF32(x) as Float32Array)).toEqual(Array.from(withFile.runF32(x) as Float32Array));
  }, 120_000);

  it('the wasm-scalar target writes and loads only the scalar module', async () => {
    const c = cnn();
    const dir = join(tmp(), 'out');
    const r = compileWasm(c.graph, { target: 'wasm-scalar', name: 'net', outDir: dir });
    expect(r.report.modules.map((m) => m.file)).toEqual(['net.scalar.wasm']);
    expect(existsSync(join(dir, 'net.wasm'))).toBe(false);
    const net = await (await load(join(dir, 'net.js'))).createNet();
    expect(net.simd).toBe(false);
    const v = await verifyWasmFolder({ dir, inputs: { dtype: 'float32', shape: [2, 3, 9, 9], data: new Float32Array(486).map((_, i) => Math.sin(i)) } });
    expect(v.modules.map((m) => [m.description, m.mismatch])).toEqual([['wasm scalar (node)', undefined]]);
  });

  it('verify finds a module that computes something else (same layout, other weights)', async () => {
    const make = (seed: number) => {
      const b = new QGraphBuilder(seed);
      return b.build(b.fc(b.reshape(b.conv(b.input([1, 2, 6, 6]), { outC: 4, k: [3, 3] }), [1, 64]), 5));
    };
    const dir = join(tmp(), 'out');
    compileWasm(make(1), { target: 'wasm', name: 'net', outDir: dir });
    const other = compileWasm(make(2), { target: 'wasm', name: 'net' });
    writeFileSync(join(dir, 'net.scalar.wasm'), other.modules.scalar!);
    const x = { dtype: 'float32' as const, shape: [4, 2, 6, 6], data: new Float32Array(288).map((_, i) => Math.cos(i)) };
    const r = await verifyWasmFolder({ dir, inputs: x });
    expect(r.modules[0].mismatch).toBeUndefined();
    expect(r.modules[1].mismatch).toBeDefined();
    expect(r.modules[1].message).toMatch(/^sample 0, net\.run output .* the scalar module gives -?\d+, the interpreter -?\d+/);
    expect(r.ok).toBe(false);
  });

  it('the same graph gives the same bytes', () => {
    const a = compileWasm(cnn().graph, { target: 'wasm', name: 'net' });
    const b = compileWasm(cnn().graph, { target: 'wasm', name: 'net' });
    for (const [f, content] of a.files) expect(b.files.get(f), f).toEqual(content);
  });
});

describe('errors come before any file is written', () => {
  it('an op with no Wasm kernel is named', () => {
    const b = new QGraphBuilder(1);
    const x = b.input([1, 2, 4, 4]);
    const g = b.build(b.conv(x, { outC: 2, k: [1, 1] }));
    const conv = g.nodes.find((n) => n.op === 'QConv')!;
    const sigmoid = { name: 'my sigmoid', op: 'Sigmoid', inputs: [conv.outputs[0]], outputs: ['s'], attrs: {} } as Node;
    g.tensors.set('s', { ...g.tensors.get(conv.outputs[0])!, name: 's' });
    g.nodes.splice(g.nodes.indexOf(conv) + 1, 0, sigmoid);
    g.nodes[g.nodes.length - 1].inputs[0] = 's';
    const dir = join(tmp(), 'out');
    let err: unknown;
    try {
      compileWasm(g, { target: 'wasm', name: 'net', outDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
    expect((err as CompileError).where).toMatchObject({ node: 'my sigmoid', op: 'Sigmoid' });
    expect((err as CompileError).message).toMatch(/the Wasm backend has no kernel for Sigmoid/);
    expect(existsSync(dir)).toBe(false);
  });

  it('a 3-D window, a C target, --kernels, --embed on C, and a foreign output folder are refused', async () => {
    const b = new QGraphBuilder(2);
    const g = b.build(b.conv(b.input([1, 2, 4, 4, 4]), { outC: 2, k: [1, 1, 1] }));
    expect(() => compileWasm(g, { target: 'wasm', name: 'net' })).toThrow(/3-D windows/);
    expect(() => compileWasm(cnn().graph, { target: 'cortex-m4', name: 'net' })).toThrow(/kind mcu/);
    const model = 'examples/fashion-mnist/model.onnx';
    const calib = 'examples/fashion-mnist/calib.npy';
    const k = await cli('compile', model, '--target', 'wasm', '--kernels', 'portable', '--calib', calib, '-o', join(tmp(), 'k'));
    expect(k.code).toBe(2);
    expect(k.err).toMatch(/--kernels chooses the kernel provider of a C target/);
    const e = await cli('compile', model, '--target', 'cortex-m4', '--embed', '--calib', calib, '-o', join(tmp(), 'e'));
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--embed is an option of wasm targets/);
    const dir = join(tmp(), 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<!doctype html>\n');
    expect(() => compileWasm(cnn().graph, { target: 'wasm', name: 'net', outDir: dir })).toThrow(/did not write \(index\.html\)/);
    compileWasm(cnn().graph, { target: 'wasm', name: 'net', outDir: dir, force: true });
    expect(readdirSync(dir).sort()).toEqual(['.qgc-output', 'index.html', 'net.d.ts', 'net.js', 'net.scalar.wasm', 'net.wasm', 'net_report.json', 'net_schedule.json']);
  }, 120_000);
});

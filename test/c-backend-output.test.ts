/** C backend, the files themselves: hostile node/tensor names, a golden snapshot of net.h/net.c,
 * deterministic bytes, errors before any file is written, the output-folder rules, the
 * CMake/Make glue, and a strict arm-none-eabi-gcc build. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import { commentText, cStringLiteral, IdentifierTable } from '../src/backends/c/identifiers.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Node } from '../src/ir/graph.js';
import { compileAndRun, expectedBytes, firstDifference, interpret, randomSamples } from './support/c-harness.js';
import { cnn, dwsepResidual } from './support/c-graphs.js';
import { QGraphBuilder } from './support/qgraph.js';
import { ARM_GCC as ARM, CMAKE, CMSIS_NN as CMSIS, GCC, MAKE, needs, pathExists } from './support/tools.js';
import { example } from './support/examples.js';
import { quantizeToFile } from '../src/cli/quantize.js';
import { loadModel } from '../src/onnx/load.js';
import { cmsisNnRoot } from '../src/verify/cmsis-nn.js';
import { cli } from './support/cli.js';
import { expectGolden } from './support/golden.js';

const STRICT = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror'];
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `qgc-cout-${p}-`));

/** Names a hostile exporter might produce. */
const NASTY = ['a"b', 'end */ x /* y', 'back\\slash\\', 'new\nline', 'Ünïcödé-ß', '卷积', '??/', '', '1st', '_Hidden', 'int', 'net_run', 'x-y', 'x_y', 'x.y'];

function nastyGraph() {
  const names = NASTY.filter((n) => n !== ''); // '' marks an omitted input in the IR
  const b = new QGraphBuilder(3, (_kind, i) => `${names[i % names.length]}${i >= names.length ? i : ''}`);
  let x = b.input([1, 2, 6, 6]);
  x = b.conv(x, { outC: 4, k: [3, 3], pads: [1, 1, 1, 1], relu: true });
  x = b.clamp(x, -50, 90);
  x = b.pool('QAveragePool', x, [2, 2], [2, 2]);
  x = b.reshape(x, [1, 36]);
  x = b.fc(x, 3);
  return { graph: b.build(b.softmax(x)), rand: b.rand };
}

describe('identifiers', () => {
  it('make every string a unique C identifier, and comments and strings safe', () => {
    const ids = new IdentifierTable();
    ids.reserve('net_run');
    const got = NASTY.map((n) => ids.get('', n));
    for (const id of got) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    expect(new Set(got).size).toBe(got.length);
    expect(got).not.toContain('int');
    expect(got).not.toContain('net_run');
    expect(ids.get('', 'x-y')).toBe(got[NASTY.indexOf('x-y')]); // stable per name
    for (const n of NASTY) {
      const c = commentText(n);
      expect(c).not.toMatch(/\*\/|\/\*|\?\?|[\n\r]|[^\x20-\x7e]/);
    }
    expect(cStringLiteral('a"\\?\n\u00e9')).toBe('"a\\"\\\\\\?\\012\\303\\251"');
  });

  it('a model with quotes, */, backslashes, newlines and non-ASCII in its names builds with -Werror and runs bit-exactly', async (ctx) => {
    needs(ctx, GCC, CMSIS);
    const { graph, rand } = nastyGraph();
    const e = interpret(graph, randomSamples(rand, [1, 2, 6, 6], 2));
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      const r = await compileAndRun({ graph, kernels, where: 'host', expected: e });
      expect(r.outputs.map((o, k) => firstDifference(o, expectedBytes(e, k, false)))).toEqual([undefined, undefined]);
      for (const [name, text] of r.compiled.files) {
        if (name.endsWith('.json')) continue;
        expect([...text].every((ch) => ch === '\t' || ch === '\n' || (ch >= ' ' && ch <= '~')), `${name} is plain ASCII`).toBe(true);
      }
    }
  }, 300_000);
});

describe('emitted files', () => {
  it('match the golden net.h / net.c, version-normalized (UPDATE_GOLDEN=1 rewrites them)', () => {
    const r = compileC(cnn().graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net', modelName: 'cnn (test/support/c-graphs.ts)' });
    for (const f of ['net.h', 'net.c']) expectGolden(join('test', 'golden', 'c', f), r.files.get(f)!);
  });

  it('are the same bytes for the same graph and options', () => {
    const a = compileC(dwsepResidual().graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net' });
    const b = compileC(dwsepResidual().graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net' });
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [k, v] of a.files) expect(b.files.get(k), k).toBe(v);
  });

  it('build for Cortex-M4 and M0+ with arm-none-eabi-gcc -std=c99 -pedantic -Wall -Wextra -Werror', (ctx) => {
    needs(ctx, ARM, CMSIS);
    const { graph } = nastyGraph();
    for (const [target, flags] of [['cortex-m4', ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16']], ['cortex-m0plus', ['-mcpu=cortex-m0plus', '-mthumb', '-mfloat-abi=soft']]] as const) {
      for (const kernels of ['portable', 'cmsis-nn'] as const) {
        const dir = tmp('arm');
        compileC(graph, { target, kernels, name: 'net', outDir: dir });
        for (const f of ['net.c', 'net_weights.c', 'qgc_kernels.c', 'qgc_data.c']) {
          execFileSync('arm-none-eabi-gcc', [...STRICT, ...flags, '-O2', '-I', dir, '-isystem', join(cmsisNnRoot(), 'Include'), '-c', join(dir, f), '-o', join(dir, `${f}.o`)], { stdio: 'pipe' });
        }
      }
    }
  }, 120_000);
});

describe('errors come before any file is written', () => {
  it('an op with no C kernel is named', () => {
    const b = new QGraphBuilder(1);
    const x = b.input([1, 2, 4, 4]);
    const g = b.build(b.conv(x, { outC: 2, k: [1, 1] }));
    const conv = g.nodes.find((n) => n.op === 'QConv')!;
    // Log: no int8 kernel, and no float kernel either (a Sigmoid would run in float, on float32 tensors).
    const sigmoid = { name: 'my "log"', op: 'Log', inputs: [conv.outputs[0]], outputs: ['s'], attrs: {} } as Node;
    g.tensors.set('s', { ...g.tensors.get(conv.outputs[0])!, name: 's' });
    g.nodes.splice(g.nodes.indexOf(conv) + 1, 0, sigmoid);
    g.nodes[g.nodes.length - 1].inputs[0] = 's';
    const dir = join(tmp('err'), 'out');
    let err: unknown;
    try {
      compileC(g, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net', outDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
    expect((err as CompileError).where).toMatchObject({ node: 'my "log"', op: 'Log' });
    expect(existsSync(dir)).toBe(false);
  });

  it('a layer no kernel supports (3-D conv, count_include_pad with pads, a bad name) is named', () => {
    const b = new QGraphBuilder(2);
    const x = b.input([1, 2, 4, 4, 4]);
    const g = b.build(b.conv(x, { outC: 2, k: [1, 1, 1] }));
    expect(() => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net' })).toThrow(/3-D windows/);
    const b2 = new QGraphBuilder(2);
    const p = b2.pool('QAveragePool', b2.input([1, 2, 4, 4]), [3, 3], [1, 1], [1, 1, 1, 1]);
    const g2 = b2.build(p);
    (g2.nodes.find((n) => n.op === 'QAveragePool')!.attrs as { countIncludePad: boolean }).countIncludePad = true;
    expect(() => compileC(g2, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net' })).toThrow(/count_include_pad/);
    expect(() => compileC(cnn().graph, { target: 'cortex-m4', kernels: 'portable', name: 'my net' })).toThrow(/not a valid network name/);
  });
});

describe('the output folder', () => {
  it('is written when new or empty, rewritten when qgc wrote it, refused when it holds other files (unless --force)', () => {
    const g = cnn().graph;
    const dir = join(tmp('dir'), 'out');
    compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir });
    expect(readdirSync(dir).sort()).toEqual(['.qgc-output', 'net.c', 'net.cmake', 'net.h', 'net.mk', 'net_report.json', 'net_schedule.json', 'net_weights.c', 'qgc_data.c', 'qgc_kernels.c', 'qgc_kernels.h', 'qgc_math.h']);
    compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'model', outDir: dir }); // ours: rewritten, stale net.* removed
    expect(readdirSync(dir).filter((f) => f.startsWith('net'))).toEqual([]);
    writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    expect(() => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'model', outDir: dir })).toThrow(/did not write \(main\.c\)/);
    compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'model', outDir: dir, force: true });
    expect(readFileSync(join(dir, 'main.c'), 'utf8')).toContain('main');
    const other = tmp('other');
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(() => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: other })).toThrow(CompileError);
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });
});

describe('build glue', () => {
  /** A root with the network in net/ and a main.c that runs it. */
  const project = (): string => {
    const root = tmp('glue');
    compileC(cnn().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: join(root, 'net') });
    writeFileSync(join(root, 'main.c'), '#include "net.h"\nint main(void)\n{\n    static int8_t in[NET_INPUT_SIZE], out[NET_OUTPUT_SIZE];\n    return net_run(in, out);\n}\n');
    return root;
  };

  it('net.mk builds a host program', (ctx) => {
    needs(ctx, GCC, MAKE);
    const root = project();
    writeFileSync(join(root, 'Makefile'), [
      'include net/net.mk', 'SRCS := main.c $(NET_SRCS)', 'prog: $(SRCS)', `\tgcc ${STRICT.join(' ')} $(NET_CFLAGS) $^ -o $@`, '',
    ].join('\n'));
    execFileSync('make', ['-s', 'prog'], { cwd: root, stdio: 'pipe' });
    execFileSync(join(root, 'prog'));
  }, 120_000);

  it('net.cmake builds a host program', (ctx) => {
    needs(ctx, GCC, MAKE, CMAKE);
    const root = project();
    writeFileSync(join(root, 'CMakeLists.txt'), [
      'cmake_minimum_required(VERSION 3.15)', 'project(glue C)', 'include(net/net.cmake)', 'add_executable(prog2 main.c)', 'target_link_libraries(prog2 PRIVATE net)', '',
    ].join('\n'));
    execFileSync('cmake', ['-S', root, '-B', join(root, 'build'), `-DCMAKE_C_FLAGS=${STRICT.join(' ')}`], { stdio: 'pipe' });
    execFileSync('cmake', ['--build', join(root, 'build')], { stdio: 'pipe' });
    execFileSync(join(root, 'build', 'prog2'));
  }, 120_000);
});

describe('qgc compile (CLI)', () => {
  const ex = example('fashion-mnist');
  const EXAMPLE = pathExists('the fashion-mnist example', ex.model, 'restore examples/ from git (git checkout -- examples)', 'example-fashion-mnist');


  it('compiles a float model with --calib, and the QDQ model qgc quantize wrote, to the same C', async (ctx) => {
    needs(ctx, EXAMPLE);
    const root = tmp('cli');
    const a = await cli('compile', ex.model, '--target', 'cortex-m4', '--calib', `${ex.dir}/calib.npy`, '--kernels', 'portable', '-o', join(root, 'a'));
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/arena \d+ B RAM \(lower bound \d+ B/);
    expect(readdirSync(join(root, 'a'))).toContain('net_report.json');
    const qdq = join(root, 'model.qdq.onnx');
    const { graph } = loadModel(ex.model);
    quantizeToFile(graph, { calib: [`${ex.dir}/calib.npy`] }, qdq);
    const b = await cli('compile', qdq, '--target', 'cortex-m4', '--kernels', 'portable', '--name', 'net', '-o', join(root, 'b'));
    expect(b.code, b.err).toBe(0);
    // Same weights, multipliers, plan: the QDQ round trip must not change the network.
    expect(readFileSync(join(root, 'b', 'net_weights.c'), 'utf8').split('\n').slice(4)).toEqual(readFileSync(join(root, 'a', 'net_weights.c'), 'utf8').split('\n').slice(4));
  }, 300_000);

  it('reports a float model without --calib, an unknown target and an occupied folder as one-line errors', async (ctx) => {
    needs(ctx, EXAMPLE);
    const root = tmp('cli-err');
    expect((await cli('compile', ex.model, '--target', 'cortex-m4', '-o', join(root, 'x'))).err).toMatch(/needs calibration data|--calib/);
    expect((await cli('compile', ex.model, '--target', 'cortex-m99', '--calib', `${ex.dir}/calib.npy`, '-o', join(root, 'x'))).err).toMatch(/unknown target 'cortex-m99'/);
    writeFileSync(join(root, 'keep.txt'), 'x');
    const r = await cli('compile', ex.model, '--target', 'cortex-m4', '--calib', `${ex.dir}/calib.npy`, '-o', root);
    expect(r.err).toMatch(/QGC1005.*did not write \(keep\.txt\).*--force/);
  }, 300_000);
});

/** Issue 16's int8 activations and reductions through both lowerings: `qgc quantize` of float
 * ONNX models (calibration), whose QDQ output re-imports to the same int8 graph and compiles to C
 * that `qgc verify` finds bit-exact, and QDQ models of each single op (lowerQdq keeps the model's
 * scales), each exported back to QDQ and lowered again to the same graph. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { int8GraphFor } from '../src/cli/quantize.js';
import { CompileError } from '../src/errors.js';
import { printGraph } from '../src/ir/printer.js';
import { writeNpy } from '../src/io/npy.js';
import { runGraph } from '../src/interp/run.js';
import { hardSwishParams, leakyReluParams, lookupTable, LUT_FUNCTIONS, meanParams, preluParams } from '../src/ir/intmath.js';
import { loadModel, loadModelBytes } from '../src/onnx/load.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { cli } from './support/cli.js';
import { f32, i64, model } from './support/op-models.js';
import { lowerSingleOp, onnxAttr, type SingleOpSpec } from './support/qdq-single.js';
import { QGraphBuilder } from './support/qgraph.js';
import { uniform } from './support/random.js';
import { GCC, needs } from './support/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'qgc-act-lower-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const r = uniform(1616);
const conv = [
  { opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], attribute: [onnxAttr.ints('kernel_shape', [3, 3]), onnxAttr.ints('pads', [1, 1, 1, 1])] },
];
const convInits = [
  f32('w', [6, 4, 3, 3], Array.from({ length: 216 }, () => r() - 0.5)),
  f32('b', [6], Array.from({ length: 6 }, () => r() * 0.2 - 0.1)),
];

/** Conv → HardSwish → LeakyRelu → PRelu → Tanh → HardSigmoid → Sigmoid (opset 18). */
const chain = model([
  ...conv,
  { opType: 'HardSwish', input: ['c'], output: ['h'] },
  { opType: 'LeakyRelu', input: ['h'], output: ['l'], attribute: [onnxAttr.float('alpha', 0.1)] },
  { opType: 'PRelu', input: ['l', 'slope'], output: ['p'] },
  { opType: 'Tanh', input: ['p'], output: ['t'] },
  { opType: 'HardSigmoid', input: ['t'], output: ['hs'], attribute: [onnxAttr.float('alpha', 0.2), onnxAttr.float('beta', 0.5)] },
  { opType: 'Sigmoid', input: ['hs'], output: ['y'] },
], [['x', 'float32', [1, 4, 6, 6]]], ['y'], 18, [...convInits, f32('slope', [6, 1, 1], [0.25, 0.1, 0.5, 0.05, 0.3, 0.2])]);

/** Conv → ReduceMean over H, W; ReduceMax over C; GlobalMaxPool (three outputs, opset 18). */
const reductions = model([
  ...conv,
  { opType: 'ReduceMean', input: ['c', 'ax_hw'], output: ['mean'], attribute: [onnxAttr.int('keepdims', 1)] },
  { opType: 'ReduceMax', input: ['c', 'ax_c'], output: ['max'], attribute: [onnxAttr.int('keepdims', 0)] },
  { opType: 'GlobalMaxPool', input: ['c'], output: ['gmax'] },
], [['x', 'float32', [1, 4, 6, 6]]], ['mean', 'max', 'gmax'], 18, [...convInits, i64('ax_hw', [2, 3]), i64('ax_c', [1])]);

const models = { chain: { bytes: chain, ops: ['QHardSwish', 'QLeakyRelu', 'QPRelu', 'QTanh', 'QHardSigmoid', 'QSigmoid'] }, reductions: { bytes: reductions, ops: ['QMean', 'QReduceMax', 'QMaxPool'] } };

const x = Float32Array.from({ length: 16 * 4 * 6 * 6 }, () => r() * 4 - 2);
const calib = join(dir, 'calib.npy');
writeNpy(calib, { dtype: 'float32', shape: [16, 4, 6, 6], data: x });
const inputs = join(dir, 'x.npy');
writeNpy(inputs, { dtype: 'float32', shape: [4, 4, 6, 6], data: x.slice(0, 4 * 144) });

describe('qgc quantize of float models with the int8 activations and reductions', () => {
  for (const [name, m] of Object.entries(models)) {
    it(`${name}: every op becomes its int8 op; the QDQ file lowers to the same int8 graph; the int8 outputs follow the float ones`, async () => {
      const src = join(dir, `${name}.onnx`);
      writeFileSync(src, m.bytes);
      const out = join(dir, `${name}.int8.onnx`);
      const q = await cli('quantize', src, '--calib', calib, '-o', out);
      expect(q.code, q.err).toBe(0);
      const inMemory = int8GraphFor(loadModel(src).graph, { calib: [calib] }).graph;
      const ops = inMemory.nodes.map((n) => n.op).filter((op) => op !== 'Quantize' && op !== 'Dequantize' && op !== 'QConv');
      expect(ops).toEqual(m.ops);
      // The same graph but for the opset line (the QDQ file is written at 13, or 14 for HardSwish).
      const body = (g: string) => g.split('\n').slice(1).join('\n');
      expect(body(printGraph(lowerQdq(loadModel(out).graph)))).toBe(body(printGraph(inMemory)));
      // Float vs int8 on the same inputs, every output: within a few output steps of the float values.
      const imported = loadModel(src).graph;
      for (let k = 0; k < 4; k++) {
        const feed = new Map([['x', { dtype: 'float32' as const, shape: [1, 4, 6, 6], data: x.slice(k * 144, (k + 1) * 144) }]]);
        const yf = runGraph(imported, feed);
        const yq = runGraph(inMemory, feed);
        for (const [out, f] of yf) {
          const a = f.data as Float32Array;
          const b = yq.get(out)!.data as Float32Array;
          const step = inMemory.tensors.get(inMemory.nodes.find((n) => n.outputs[0] === out)!.inputs[0])!.quant!.scale[0];
          const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
          expect(worst / step, `${out}: max |float - int8| ${worst}, output step ${step}`).toBeLessThan(6);
        }
      }
    });

    it(`${name}: compiles to C (portable, cortex-m4) that qgc verify finds bit-exact on the host`, async (ctx) => {
      needs(ctx, GCC);
      const out = join(dir, `${name}.int8.onnx`);
      const c = join(dir, `${name}-c`);
      const comp = await cli('compile', out, '--target', 'cortex-m4', '--kernels', 'portable', '-o', c);
      expect(comp.code, comp.err).toBe(0);
      const v = await cli('verify', c, '--inputs', inputs, '--targets', 'host');
      expect(v.code, v.err + v.out).toBe(0);
      expect(v.out).toMatch(/host \(.*bit-exact/);
    }, 120_000);
  }
});

const q = (scale: number, zeroPoint: number) => ({ scale: Math.fround(scale), zeroPoint });
const X = { shape: [1, 3, 4, 5], q: q(0.05, 4) };

/** One QDQ model per op, and the attributes the lowering must give (from the model's scales). */
const SINGLE: { spec: SingleOpSpec; op: string; attrs: object }[] = [
  { spec: { opType: 'Sigmoid', inputs: [X], outShape: X.shape, output: q(1 / 255, -128) }, op: 'QSigmoid', attrs: { table: lookupTable(LUT_FUNCTIONS.sigmoid, 0.05, 4, 1 / 255, -128) } },
  { spec: { opType: 'Tanh', inputs: [X], outShape: X.shape, output: q(1 / 128, 0) }, op: 'QTanh', attrs: { table: lookupTable(LUT_FUNCTIONS.tanh, 0.05, 4, 1 / 128, 0) } },
  {
    spec: { opType: 'HardSigmoid', attributes: [onnxAttr.float('alpha', 0.2), onnxAttr.float('beta', 0.5)], inputs: [X], outShape: X.shape, output: q(1 / 255, -128) },
    op: 'QHardSigmoid', attrs: { alpha: Math.fround(0.2), beta: 0.5, table: lookupTable(LUT_FUNCTIONS.hardSigmoid(Math.fround(0.2), 0.5), 0.05, 4, 1 / 255, -128) },
  },
  { spec: { opType: 'HardSwish', inputs: [X], outShape: X.shape, output: q(0.04, -20), opset: 14 }, op: 'QHardSwish', attrs: hardSwishParams(0.05, 4, 0.04, -20) },
  {
    spec: { opType: 'LeakyRelu', attributes: [onnxAttr.float('alpha', 0.1)], inputs: [X], outShape: X.shape, output: q(0.03, -5) },
    op: 'QLeakyRelu', attrs: { alpha: Math.fround(0.1), inputZeroPoint: 4, outputZeroPoint: -5, ...leakyReluParams(0.05, 0.03, Math.fround(0.1)) },
  },
  {
    spec: { opType: 'PRelu', inputs: [X], constants: [{ dtype: 'float32', shape: [3, 1, 1], data: Float32Array.of(0.1, 0.2, -0.1), q: q(0.002, 3) }], outShape: X.shape, output: q(0.03, -5) },
    op: 'QPRelu', attrs: { inputZeroPoint: 4, slopeZeroPoint: 3, outputZeroPoint: -5, ...preluParams(0.05, 0.002, 0.03) },
  },
  {
    spec: { opType: 'ReduceMean', attributes: [onnxAttr.ints('axes', [2, 3]), onnxAttr.int('keepdims', 1)], inputs: [X], outShape: [1, 3, 1, 1], output: q(0.01, 2) },
    op: 'QMean', attrs: { axes: [2, 3], keepdims: true, inputZeroPoint: 4, outputZeroPoint: 2, ...meanParams(0.05, 0.01, 20) },
  },
  { spec: { opType: 'ReduceMax', attributes: [onnxAttr.ints('axes', [1]), onnxAttr.int('keepdims', 0)], inputs: [X], outShape: [1, 4, 5], output: X.q }, op: 'QReduceMax', attrs: { axes: [1], keepdims: false } },
  {
    spec: { opType: 'GlobalMaxPool', inputs: [X], outShape: [1, 3, 1, 1], output: X.q }, op: 'QMaxPool',
    attrs: { kernel: [4, 5], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false, ceilMode: false, actMin: -128, actMax: 127 },
  },
];

describe('QDQ models of the int8 activations and reductions', () => {
  for (const c of SINGLE) {
    it(`${c.spec.opType} → ${c.op} with the model's scales; exported to QDQ and lowered again, the same graph`, () => {
      const { graph, node } = lowerSingleOp(c.spec);
      expect(node.op).toBe(c.op);
      expect(node.attrs).toEqual(c.attrs);
      const again = lowerQdq(loadModelBytes(exportQdq(graph)).graph);
      expect(printGraph(again)).toBe(printGraph(graph));
    });
  }

  it('the output parameters a QDQ model gives ReduceMax must be its input\'s (TFLite requires it); a negative LeakyRelu alpha is refused', () => {
    expect(() => lowerSingleOp({ ...SINGLE[7].spec, output: q(0.07, 0) })).toThrow(/keeps its input's/);
    const negative = { ...SINGLE[4].spec, attributes: [onnxAttr.float('alpha', -0.1)] };
    expect(() => lowerSingleOp(negative, { int8Only: true })).toThrow(/LeakyRelu with alpha -0\.1\d* \(negative\) is not supported in int8/);
    // Without --int8-only the refused LeakyRelu runs in float (it has float kernels).
    expect(lowerSingleOp(negative).node.op).toBe('LeakyRelu');
    // A slope of shape [5] broadcasts along W, not the channels.
    const alongW = { ...SINGLE[5].spec, constants: [{ dtype: 'float32' as const, shape: [5], data: Float32Array.of(0.1, 0.2, 0.1, 0.2, 0.1), q: q(0.002, 0) }] };
    expect(() => lowerSingleOp(alongW)).toThrow(/PRelu with a slope of shape \[5\] on \[1, 3, 4, 5\] is not supported in int8/);
  });

  it('the C and Wasm kernels refuse a reduction over axes that are not adjacent, naming the node', () => {
    const b = new QGraphBuilder(2);
    const g = b.build(b.reduce('QMean', b.input([1, 3, 4, 5]), [1, 3], true));
    const node = g.nodes.find((n) => n.op === 'QMean')!.name;
    for (const compile of [
      () => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: join(dir, 'never-c') }),
      () => compileWasm(g, { target: 'wasm', name: 'net', outDir: join(dir, 'never-wasm') }),
    ]) {
      let err: unknown;
      try {
        compile();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CompileError);
      expect((err as CompileError).where).toMatchObject({ node, op: 'QMean' });
      expect((err as CompileError).format()).toMatch(/reduction over axes \[1, 3\] of \[1, 3, 4, 5\], which are not adjacent/);
    }
  });
});

/** The int8 lowering of Resize and Split, from both sources: a float model Conv → Resize (nearest 2x by
 * scales, asymmetric/floor as PyTorch exports it) → Conv → Resize (nearest by sizes, half_pixel,
 * round_prefer_floor) (`qgc quantize`'s path: calibration) keeps each Resize as an int8 gather in
 * its input's parameters, writes a QDQ model that onnxruntime runs and that lowerQdq reads back to
 * the same int8 graph and the same bytes (the QDQ path), and compiles to C bit-exact with the
 * interpreter on the host. Split becomes one int8 Slice per output. Modes with no int8 form are
 * refused naming the node. */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { attr, valueInfo } from '../src/onnx/export-proto.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { compileAndRunBatch } from './support/c-batch.js';
import { expectedBytes, firstDifference, interpret } from './support/c-harness.js';
import { errorOf } from './support/errors.js';
import { graphDifferences, importBytes, quantizeFloat } from './support/qdq-check.js';
import { encode, init, randomFloats } from './support/qdq-models.js';
import { GCC, needs } from './support/tools.js';

const X = [1, 2, 4, 5];
const n = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ name: output, opType, input, output: [output], attribute });

function resizeModel(secondMode: 'nearest' | 'linear' = 'nearest'): Uint8Array {
  const inits = [
    init('w1', 'float32', [4, 2, 3, 3], randomFloats(31, 72, -0.5, 0.5)), init('w2', 'float32', [3, 4, 1, 1], randomFloats(32, 12, -0.5, 0.5)),
    init('roi', 'float32', [0], new Float32Array(0)), init('scales', 'float32', [4], Float32Array.of(1, 1, 2, 2)),
    init('sizes', 'int64', [4], Float64Array.of(1, 3, 24, 30)),
  ];
  const nodes = [
    n('Conv', ['x', 'w1'], 'c', [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]),
    n('Resize', ['c', 'roi', 'scales'], 'up', [attr.string('mode', 'nearest'), attr.string('coordinate_transformation_mode', 'asymmetric'), attr.string('nearest_mode', 'floor')]),
    n('Conv', ['up', 'w2'], 'e', [attr.ints('kernel_shape', [1, 1])]),
    n('Resize', ['e', '', '', 'sizes'], 'y', [attr.string('mode', secondMode), attr.string('coordinate_transformation_mode', 'half_pixel'), attr.string('nearest_mode', 'round_prefer_floor')]),
  ];
  return encode(nodes, inits, [valueInfo('x', 'float32', X)], [valueInfo('y', 'float32', [1, 3, 24, 30])]);
}

const sample = (i: number): Value => ({ dtype: 'float32', shape: X, data: randomFloats(500 + i, 40, -1, 1) });
const calibration = Array.from({ length: 8 }, (_, i) => ({ feeds: new Map([['x', sample(i)]]), file: 'r', index: i, progress: (i + 1) / 8 }));

let quantized: Graph | undefined;
const quantizedGraph = () => (quantized ??= quantizeFloat(importBytes(resizeModel()), calibration));

describe('int8 lowering of Resize', () => {
  it('qgc quantize: nearest Resize stays an int8 gather in its input\'s parameters', () => {
    const q = quantizedGraph();
    expect(q.nodes.map((m) => m.op)).toEqual(['Quantize', 'QConv', 'Resize', 'QConv', 'Resize', 'Dequantize']);
    for (const m of q.nodes.filter((k) => k.op === 'Resize')) {
      expect(q.tensors.get(m.outputs[0])!.dtype).toBe('int8');
      expect(q.tensors.get(m.outputs[0])!.quant, m.name).toEqual(q.tensors.get(m.inputs[0])!.quant);
    }
  });

  it('writes a QDQ model with Resize that onnxruntime runs and lowerQdq reads back to the same int8 graph', async () => {
    const q = quantizedGraph();
    const bytes = exportQdq(q);
    expect(loadModelBytes(bytes).proto.graph!.node!.filter((m) => m.opType === 'Resize').length).toBe(2);
    const back = lowerQdq(importBytes(bytes));
    expect(graphDifferences(q, back)).toEqual([]);
    expect(Buffer.from(exportQdq(back)).equals(Buffer.from(bytes))).toBe(true);
    // onnxruntime runs the QDQ model in float between its Q/DQ pairs; the gathers are exact, the convs close.
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outScale = q.tensors.get(q.nodes.at(-1)!.inputs[0])!.quant!.scale[0];
    const x = sample(100);
    const res = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, X) });
    const ours = runGraph(q, new Map([['x', x]])).get(q.outputs[0])!.data as Float32Array;
    (res[session.outputNames[0]].data as Float32Array).forEach((v, i) => expect(Math.abs(v - ours[i]), `element ${i}`).toBeLessThanOrEqual(2 * outScale + 1e-6));
    await session.release();
  });

  it('compiles to C that is bit-exact with the interpreter on the host, both providers', async (ctx) => {
    needs(ctx, GCC);
    const q = quantizedGraph();
    const expected = interpret(q, [sample(200).data as Float32Array, sample(201).data as Float32Array]);
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      const [r] = await compileAndRunBatch([{ graph: q, expected }], { kernels, target: 'cortex-m4' });
      if ('error' in r) throw new Error(r.error);
      r.outputs.forEach((o, k) => expect(firstDifference(o, expectedBytes(expected, k, false)), `${kernels} sample ${k}`).toBeUndefined());
    }
  }, 120_000);

  it('Split becomes one int8 Slice per output in the input\'s parameters, through QDQ and back, bit-exact in C', async (ctx) => {
    const inits = [init('w', 'float32', [4, 2, 3, 3], randomFloats(41, 72, -0.5, 0.5)), init('split', 'int64', [2], Float64Array.of(1, 3))];
    const nodes = [
      n('Conv', ['x', 'w'], 'c', [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]),
      { name: 'parts', opType: 'Split', input: ['c', 'split'], output: ['s0', 's1'], attribute: [attr.int('axis', 1)] },
      n('Add', ['s1', 's0'], 'y'),
    ];
    const q = quantizeFloat(importBytes(encode(nodes, inits, [valueInfo('x', 'float32', X)], [valueInfo('y', 'float32', [1, 3, 4, 5])])), calibration);
    expect(q.nodes.map((m) => m.op)).toEqual(['Quantize', 'QConv', 'Slice', 'Slice', 'QAdd', 'Dequantize']);
    const slices = q.nodes.filter((m) => m.op === 'Slice');
    expect(slices.map((m) => m.name)).toEqual(['parts', 'parts_1']);
    expect(slices.map((m) => (m.op === 'Slice' ? [m.attrs.starts, m.attrs.shape] : []))).toEqual([[[0, 0, 0, 0], [1, 1, 4, 5]], [[0, 1, 0, 0], [1, 3, 4, 5]]]);
    for (const m of slices) expect(q.tensors.get(m.outputs[0])!.quant, m.name).toEqual(q.tensors.get(m.inputs[0])!.quant);
    expect(graphDifferences(q, lowerQdq(importBytes(exportQdq(q))))).toEqual([]);
    needs(ctx, GCC);
    const expected = interpret(q, [sample(300).data as Float32Array]);
    const [r] = await compileAndRunBatch([{ graph: q, expected }], { kernels: 'portable', target: 'cortex-m4' });
    if ('error' in r) throw new Error(r.error);
    expect(firstDifference(r.outputs[0], expectedBytes(expected, 0, false))).toBeUndefined();
  }, 120_000);

  it('lowerQdq: a QDQ Split with each output quantized in the input\'s parameters → int8 Slices; other parameters refused naming the node', () => {
    const qdqSplit = (outScale: number) => {
      const p = (name: string, scale: number) => [init(`${name}_s`, 'float32', [], Float32Array.of(scale)), init(`${name}_z`, 'int8', [], Int8Array.of(3))];
      const inits = [...p('x', 0.05), ...p('y0', 0.05), ...p('y1', outScale), init('split', 'int64', [2], Float64Array.of(2, 3))];
      const nodes = [
        { name: 'qx', opType: 'QuantizeLinear', input: ['x', 'x_s', 'x_z'], output: ['xq'] },
        { name: 'dqx', opType: 'DequantizeLinear', input: ['xq', 'x_s', 'x_z'], output: ['xf'] },
        { name: 'cut', opType: 'Split', input: ['xf', 'split'], output: ['a', 'b'], attribute: [attr.int('axis', 2)] },
        ...['a', 'b'].flatMap((t, i) => [
          { name: `q${t}`, opType: 'QuantizeLinear', input: [t, `y${i}_s`, `y${i}_z`], output: [`${t}q`] },
          { name: `dq${t}`, opType: 'DequantizeLinear', input: [`${t}q`, `y${i}_s`, `y${i}_z`], output: [`y${i}`] },
        ]),
      ];
      return importBytes(encode(nodes, inits, [valueInfo('x', 'float32', [1, 2, 5, 3])], [valueInfo('y0', 'float32', [1, 2, 2, 3]), valueInfo('y1', 'float32', [1, 2, 3, 3])]));
    };
    const g = lowerQdq(qdqSplit(0.05));
    const slices = g.nodes.filter((m) => m.op === 'Slice');
    expect(slices.map((m) => (m.op === 'Slice' ? [m.name, m.attrs.starts, m.attrs.shape] : []))).toEqual([['cut', [0, 0, 0, 0], [1, 2, 2, 3]], ['cut_1', [0, 0, 2, 0], [1, 2, 3, 3]]]);
    const x: Value = { dtype: 'float32', shape: [1, 2, 5, 3], data: randomFloats(9, 30, -2, 2) };
    const outs = runGraph(g, new Map([['x', x]]));
    const xq = Float32Array.from(x.data as Float32Array, (v) => (Math.max(-128, Math.min(127, Math.round(v / Math.fround(0.05)) + 3)) - 3) * Math.fround(0.05));
    expect(Array.from(outs.get('y1')!.data as Float32Array)).toEqual([0, 1].flatMap((c) => Array.from(xq.subarray(c * 15 + 6, c * 15 + 15))));
    const e = errorOf(() => lowerQdq(qdqSplit(0.08)));
    expect([e.code, e.where.node, e.where.op]).toEqual([ErrorCode.BadGraph, 'cut', 'Split']);
    expect(e.message).toMatch(/^output 1 \('b'\): .*int8 Split keeps its input's/);
  });

  it('refuses a mode with no int8 form, naming the node', () => {
    const e = errorOf(() => quantizeFloat(importBytes(resizeModel('linear')), calibration));
    expect([e.code, e.where.node, e.where.op]).toEqual([ErrorCode.UnsupportedOp, 'y', 'Resize']);
    expect(e.message).toMatch(/linear/);
  });
});

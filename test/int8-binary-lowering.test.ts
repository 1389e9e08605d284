/** The int8 lowering of Mul, Sub, Div by a constant, broadcasting Add and MatMul of two
 * activations, from both sources: a
 * float model with a squeeze-excite block and constants on either side (`qgc quantize`'s path:
 * calibration) becomes QMul/QAdd with the operands in kernel order, stays close to float, writes
 * a QDQ model (Mul, Sub and Add nodes) that onnxruntime runs and that lowerQdq reads back to the
 * same int8 graph (the QDQ path), and compiles to C that is bit-exact on the host. Refusals name
 * the node and say what to do. */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import { compileWasm } from '../src/backends/wasm/emit.js';
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
import { QGraphBuilder } from './support/qgraph.js';
import { tempFolders } from './support/tmp.js';
import { GCC, needs } from './support/tools.js';

const X = [1, 4, 6, 6];

/** x → Conv → Relu → squeeze-excite (GlobalAveragePool → 1x1 Conv → Mul) → Sub a per-channel
 * constant → Div by 2.5 → constant [6] * y (constant first) → 0.5 - y (constant first) → + a
 * per-position constant [6, 6] → Flatten → Gemm. */
function binaryModel(): Uint8Array {
  const f = (name: string, dims: number[], scale: number, s: number) => init(name, 'float32', dims, randomFloats(s, dims.reduce((p, d) => p * d, 1), -scale, scale));
  const inits = [
    f('w1', [4, 4, 3, 3], 0.4, 1), f('b1', [4], 0.1, 2), f('we', [4, 4, 1, 1], 0.8, 3), f('be', [4], 0.3, 4),
    f('k_ch', [1, 4, 1, 1], 0.5, 5), init('two_and_half', 'float32', [], Float32Array.of(2.5)), f('k_w', [6], 1.5, 6),
    init('half', 'float32', [], Float32Array.of(0.5)), f('k_hw', [6, 6], 0.3, 7), f('wf', [3, 144], 0.2, 8), f('bf', [3], 0.1, 9),
  ];
  const n = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ name: output, opType, input, output: [output], attribute });
  const nodes = [
    n('Conv', ['x', 'w1', 'b1'], 'c1', [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]),
    n('Relu', ['c1'], 'a'),
    n('GlobalAveragePool', ['a'], 'g'),
    n('Conv', ['g', 'we', 'be'], 'e', [attr.ints('kernel_shape', [1, 1])]),
    n('Mul', ['a', 'e'], 'se'),
    n('Sub', ['se', 'k_ch'], 'centered'),
    n('Div', ['centered', 'two_and_half'], 'scaled'),
    n('Mul', ['k_w', 'scaled'], 'weighted'),
    n('Sub', ['half', 'weighted'], 'flipped'),
    n('Add', ['flipped', 'k_hw'], 'shifted'),
    n('Flatten', ['shifted'], 'flat'),
    n('Gemm', ['flat', 'wf', 'bf'], 'y', [attr.int('transB', 1)]),
  ];
  return encode(nodes, inits, [valueInfo('x', 'float32', X)], [valueInfo('y', 'float32', [1, 3])]);
}

const sample = (i: number): Value => ({ dtype: 'float32', shape: X, data: randomFloats(300 + i, 144, -1, 1) });

let quantized: Graph | undefined;
function quantizedGraph(): Graph {
  quantized ??= quantizeFloat(importBytes(binaryModel()), Array.from({ length: 24 }, (_, i) => ({ feeds: new Map([['x', sample(i)]]), file: 'random', index: i, progress: (i + 1) / 24 })));
  return quantized;
}

const tempDir = tempFolders('qgc-binary-lowering-');

describe('int8 lowering of Mul, Sub, Div and broadcasting Add', () => {
  it('qgc quantize: QMul/QAdd with the computed operand first, Sub as a negated multiplier, Div as a product', () => {
    const q = quantizedGraph();
    const binary = q.nodes.filter((n) => n.op === 'QMul' || n.op === 'QAdd');
    const rows = binary.map((n) => {
      const [a, b] = n.inputs.map((i) => q.tensors.get(i)!);
      const neg = n.op === 'QAdd' ? (n.attrs.input1.multiplier < 0 ? 'input 1 negated' : n.attrs.input2.multiplier < 0 ? 'input 2 negated' : 'sum') : 'product';
      return `${n.name}: ${n.op} [${a.shape}]${a.data ? ' const' : ''} with [${b.shape}]${b.data ? ' const' : ''}, ${neg}`;
    });
    expect(rows).toEqual([
      'se: QMul [1,4,6,6] with [1,4,1,1], product',
      'centered: QAdd [1,4,6,6] with [1,4,1,1] const, input 2 negated',
      'scaled: QMul [1,4,6,6] with [] const, product',
      'weighted: QMul [1,4,6,6] with [6] const, product',
      // 0.5 - y: the constant is put second, so the activation's multiplier is the negated one.
      'flipped: QAdd [1,4,6,6] with [] const, input 1 negated',
      'shifted: QAdd [1,4,6,6] with [6,6] const, sum',
    ]);
    // Div by 2.5: the reciprocal 0.4 as 127 at scale 0.4 / 127.
    const recip = q.tensors.get(q.nodes.find((n) => n.name === 'scaled')!.inputs[1])!;
    expect([recip.data![0], recip.quant!.scale[0]]).toEqual([127, Math.fround(0.4 / 127)]);
  });

  it('int8 stays close to float: within 3% of the output range on held-out inputs', () => {
    const q = quantizedGraph();
    const float = importBytes(binaryModel());
    let worst = 0;
    let range = 0;
    for (let i = 100; i < 116; i++) {
      const x = new Map([['x', sample(i)]]);
      const want = runGraph(float, x).get('y')!.data as Float32Array;
      const got = runGraph(q, x).get(q.outputs[0])!.data as Float32Array;
      want.forEach((v, k) => {
        worst = Math.max(worst, Math.abs(v - got[k]));
        range = Math.max(range, Math.abs(v));
      });
    }
    expect(worst).toBeLessThan(0.03 * 2 * range);
  });

  it('writes a QDQ model with Mul, Sub and Add that onnxruntime runs and lowerQdq reads back to the same int8 graph', async () => {
    const q = quantizedGraph();
    const bytes = exportQdq(q);
    const ops = loadModelBytes(bytes).proto.graph!.node!.map((n) => n.opType).filter((o) => ['Mul', 'Sub', 'Add', 'Div'].includes(o!));
    expect(ops).toEqual(['Mul', 'Sub', 'Mul', 'Mul', 'Sub', 'Add']);
    const back = lowerQdq(importBytes(bytes));
    expect(graphDifferences(q, back)).toEqual([]);
    expect(Buffer.from(exportQdq(back)).equals(Buffer.from(bytes))).toBe(true);
    // onnxruntime computes the QDQ model in float between its Q/DQ pairs: close, not bit-exact.
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outQ = q.tensors.get(q.nodes.find((n) => n.op === 'Dequantize')!.inputs[0])!.quant!;
    for (let i = 0; i < 4; i++) {
      const x = sample(200 + i);
      const res = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, X) });
      const theirs = res[session.outputNames[0]].data as Float32Array;
      const ours = runGraph(q, new Map([['x', x]])).get(q.outputs[0])!.data as Float32Array;
      ours.forEach((v, k) => expect(Math.abs(v - theirs[k]), `sample ${i} output ${k}`).toBeLessThanOrEqual(4 * outQ.scale[0] + 1e-6));
    }
    await session.release();
  });

  it('compiles to C that is bit-exact with the interpreter on the host, both providers', async (ctx) => {
    needs(ctx, GCC);
    const q = quantizedGraph();
    const expected = interpret(q, [sample(400).data as Float32Array, sample(401).data as Float32Array]);
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      const [r] = await compileAndRunBatch([{ graph: q, expected }], { kernels, target: 'cortex-m4' });
      if ('error' in r) throw new Error(r.error);
      r.outputs.forEach((o, k) => expect(firstDifference(o, expectedBytes(expected, k, false)), `${kernels} sample ${k}`).toBeUndefined());
    }
  }, 120_000);

  it('MatMul of two activations (attention scores q @ k^T) → QBatchMatMul, through QDQ and back, bit-exact in C', async (ctx) => {
    const inits = [
      init('wq', 'float32', [8, 12], randomFloats(11, 96, -0.5, 0.5)), init('wk', 'float32', [8, 12], randomFloats(12, 96, -0.5, 0.5)),
      init('shape', 'int64', [3], Float64Array.of(1, 3, 4)),
    ];
    const n = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ name: output, opType, input, output: [output], attribute });
    const nodes = [
      n('MatMul', ['x', 'wq'], 'q'), n('MatMul', ['x', 'wk'], 'k'),
      n('Reshape', ['q', 'shape'], 'q3'), n('Reshape', ['k', 'shape'], 'k3'),
      n('Transpose', ['k3'], 'kt', [attr.ints('perm', [0, 2, 1])]),
      n('MatMul', ['q3', 'kt'], 'scores'),
    ];
    const float = importBytes(encode(nodes, inits, [valueInfo('x', 'float32', [1, 8])], [valueInfo('scores', 'float32', [1, 3, 3])]));
    const xs = (i: number): Value => ({ dtype: 'float32', shape: [1, 8], data: randomFloats(50 + i, 8) });
    const q = quantizeFloat(float, Array.from({ length: 16 }, (_, i) => ({ feeds: new Map([['x', xs(i)]]), file: 'r', index: i, progress: (i + 1) / 16 })));
    expect(q.nodes.map((m) => m.op).filter((o) => o.startsWith('Q') && o !== 'Quantize')).toEqual(['QFullyConnected', 'QFullyConnected', 'QBatchMatMul']);
    const bytes = exportQdq(q);
    const back = lowerQdq(importBytes(bytes));
    expect(graphDifferences(q, back)).toEqual([]);
    // On a calibration input (no clipping): the int8 product's own error only.
    const want = runGraph(float, new Map([['x', xs(3)]])).get('scores')!.data as Float32Array;
    const got = runGraph(q, new Map([['x', xs(3)]])).get(q.outputs[0])!.data as Float32Array;
    const range = Math.max(...Array.from(want, Math.abs));
    want.forEach((v, i) => expect(Math.abs(v - got[i])).toBeLessThan(0.05 * range));
    needs(ctx, GCC);
    const expected = interpret(q, [xs(7).data as Float32Array]);
    const [r] = await compileAndRunBatch([{ graph: q, expected }], { kernels: 'cmsis-nn', target: 'cortex-m4' });
    if ('error' in r) throw new Error(r.error);
    expect(firstDifference(r.outputs[0], expectedBytes(expected, 0, false))).toBeUndefined();
  }, 60_000);

  it('Slice (negative steps), DepthToSpace and SpaceToDepth stay int8 copies in the input\'s parameters, through QDQ and back', async () => {
    const inits = [
      init('w', 'float32', [8, 2, 3, 3], randomFloats(21, 144, -0.5, 0.5)), init('w2', 'float32', [4, 2, 1, 1], randomFloats(22, 8, -0.5, 0.5)),
      init('starts', 'int64', [2], Float64Array.of(-1, 1)), init('ends', 'int64', [2], Float64Array.of(-100, 7)),
      init('axes', 'int64', [2], Float64Array.of(2, 3)), init('steps', 'int64', [2], Float64Array.of(-1, 2)),
    ];
    const n = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ name: output, opType, input, output: [output], attribute });
    const nodes = [
      n('Conv', ['x', 'w'], 'c', [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]),
      n('Slice', ['c', 'starts', 'ends', 'axes', 'steps'], 's'),
      n('DepthToSpace', ['s'], 'd', [attr.int('blocksize', 2), attr.string('mode', 'CRD')]),
      n('Conv', ['d', 'w2'], 'e', [attr.ints('kernel_shape', [1, 1])]),
      n('SpaceToDepth', ['e'], 'y', [attr.int('blocksize', 2)]),
    ];
    const shape = [1, 2, 6, 8];
    const float = importBytes(encode(nodes, inits, [valueInfo('x', 'float32', shape)], [valueInfo('y', 'float32', [1, 16, 6, 3])]));
    const xs = (i: number): Value => ({ dtype: 'float32', shape, data: randomFloats(70 + i, 96) });
    const q = quantizeFloat(float, Array.from({ length: 8 }, (_, i) => ({ feeds: new Map([['x', xs(i)]]), file: 'r', index: i, progress: (i + 1) / 8 })));
    expect(q.nodes.map((m) => m.op)).toEqual(['Quantize', 'QConv', 'Slice', 'DepthToSpace', 'QConv', 'SpaceToDepth', 'Dequantize']);
    for (const m of q.nodes.filter((k) => k.op === 'Slice' || k.op.endsWith('Depth') || k.op === 'DepthToSpace')) {
      expect(q.tensors.get(m.outputs[0])!.quant, m.name).toEqual(q.tensors.get(m.inputs[0])!.quant);
    }
    const bytes = exportQdq(q);
    expect(graphDifferences(q, lowerQdq(importBytes(bytes)))).toEqual([]);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const res = await session.run({ x: new ort.Tensor('float32', xs(3).data as Float32Array, shape) });
    const ours = runGraph(q, new Map([['x', xs(3)]])).get(q.outputs[0])!.data as Float32Array;
    const outScale = q.tensors.get(q.nodes.at(-1)!.inputs[0])!.quant!.scale[0];
    (res[session.outputNames[0]].data as Float32Array).forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThanOrEqual(2 * outScale + 1e-6));
    await session.release();
  });

  it('refuses Div by a computed tensor, naming the node (with --int8-only; otherwise it runs in float)', () => {
    const inits = [init('w', 'float32', [2, 2, 1, 1], Float32Array.of(1, 0.5, -0.5, 1))];
    const nodes = [
      { name: 'c', opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [attr.ints('kernel_shape', [1, 1])] },
      { name: 'ratio', opType: 'Div', input: ['x', 'c'], output: ['y'] },
    ];
    const g = importBytes(encode(nodes, inits, [valueInfo('x', 'float32', [1, 2, 3, 3])], [valueInfo('y', 'float32', [1, 2, 3, 3])]));
    const samples = () => [{ feeds: new Map([['x', { dtype: 'float32' as const, shape: [1, 2, 3, 3], data: randomFloats(1, 18) }]]), file: 'r', index: 0, progress: 1 }];
    const e = errorOf(() => quantizeFloat(g, samples(), { int8Only: true }));
    expect([e.code, e.where.node, e.message]).toEqual([ErrorCode.UnsupportedOp, 'ratio', "Div by the computed tensor 'c' is not supported in int8"]);
    expect(e.hint).toMatch(/constants only/);
    expect(quantizeFloat(g, samples()).nodes.find((n) => n.name === 'ratio')?.op).toBe('Div');
  });

  it('the C and Wasm backends refuse a broadcast of both operands with a hint', () => {
    const b = new QGraphBuilder(3);
    const x = b.input([1, 3]);
    const y = b.addBroadcast(b.reshape(x, [1, 3, 1]), b.reshape(x, [1, 1, 3]), { outScale: 0.1 });
    const g = b.build(y);
    for (const compile of [
      () => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: tempDir() }),
      () => compileWasm(g, { target: 'wasm', name: 'net', outDir: tempDir() }),
    ]) {
      const e = errorOf(compile);
      expect([e.code, e.message]).toEqual([ErrorCode.UnsupportedOp, 'operand 1 of shape [1,3,1] is itself broadcast to the output\'s [1,3,3]']);
      expect(e.hint).toMatch(/Expand/);
    }
  });
});

/** Quantized models in and out: lowerQdq (QDQ/QOperator ONNX → qgc's int8 ops) against
 * ONNX's conformance cases and the ONNX-semantics kernels, exportQdq (int8 IR → QDQ ONNX)
 * against onnx.checker and onnxruntime-node, and the round trip between them. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../src/ir/graph.js';
import { runBatched } from '../src/interp/batch.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { attr } from '../src/onnx/export-proto.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { importModel } from '../src/onnx/import.js';
import { loadModel, loadModelBytes, readFileChecked } from '../src/onnx/load.js';
import { decodeModel, decodeTensor } from '../src/onnx/proto.js';
import { tensorFromProto } from '../src/onnx/tensor.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { activationClamp } from '../src/ir/intmath.js';
import { listCases, NODE_TEST_ROOT, runCase } from './support/conformance.js';
import { availableExamples } from './support/examples.js';
import {
  asInt8, describeDiff, graphDifferences, importBytes, int8Values, onnxChecker, perOpCrossCheck, PYTHON_ONNX, quantizedExample,
  quantizeFloat, stepDiff, toSteps, type StepDiff,
} from './support/qdq-check.js';
import {
  fakeQuantWeights, init, mixedFloatModel, qdqAround, qoperatorChain, randomFloats, randomQLinearConv, randomQLinearMatMul,
} from './support/qdq-models.js';
import { needs, ONNX_TESTDATA } from './support/tools.js';
import { errorOf } from './support/errors.js';

const QUANT_CASES = /^test_(basic_)?(qlinearconv|qlinearmatmul|quantizelinear|dequantizelinear|convinteger|matmulinteger)/;

/** A conformance case imported with every input but `activation` bound as a constant. */
function boundCase(name: string, activation: string): { graph: Graph; x: Value; expected: Value } {
  const dir = join(NODE_TEST_ROOT, name);
  const model = decodeModel(readFileChecked(join(dir, 'model.onnx')));
  const pb = (f: string) => tensorFromProto(decodeTensor(readFileChecked(join(dir, 'test_data_set_0', f))), f);
  const bind = new Map<string, ReturnType<typeof pb>>();
  let x: Value | undefined;
  (model.graph?.input ?? []).forEach((vi, i) => {
    const t = pb(`input_${i}.pb`);
    if (vi.name === activation) x = { dtype: t.dtype, shape: t.shape, data: t.data! };
    else bind.set(vi.name ?? '', t);
  });
  const e = pb('output_0.pb');
  return { graph: importModel(model, { bindInputs: bind }), x: x!, expected: { dtype: e.dtype, shape: e.shape, data: e.data! } };
}

/** Runs the ONNX graph (ONNX semantics) and its lowering (int8 contract) on the same input. */
function bothWays(graph: Graph, x: Value): { onnxOut: Value; int8Out: Value } {
  const onnxOut = runGraph(graph, new Map([[graph.inputs[0], x]])).get(graph.outputs[0])!;
  const low = lowerQdq(graph);
  const int8Out = runGraph(low, new Map([[low.inputs[0], asInt8(x)]])).get(low.outputs[0])!;
  return { onnxOut, int8Out };
}


describe('(a) bit-exactness on ONNX conformance cases', () => {
  it('every QuantizeLinear/DequantizeLinear/QLinearConv/QLinearMatMul/ConvInteger/MatMulInteger case passes (ONNX-semantics kernels)', (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    const results = listCases(QUANT_CASES).map(runCase);
    console.log(`quantized-op conformance: ${results.filter((r) => r.status === 'pass').length}/${results.length} pass: ${results.map((r) => `${r.name} ${r.status}`).join(', ')}`);
    expect(results.length).toBe(11);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
  });

  it('QLinearConv case through lowerQdq + the int8 interpreter: within one step of ONNX output', (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    const { graph, x, expected } = boundCase('test_qlinearconv', 'x');
    const low = lowerQdq(graph);
    // The weight is uint8 0 with zero point 255: w - zp = -255 does not fit int8; it is stored exactly as
    // -255 / k at k times the scale (k = 3, the smallest factor that fits): the same real weight.
    const w = low.tensors.get(low.nodes.find((n) => n.op === 'QConv')!.inputs[1])!;
    const wScale = (graph.tensors.get('w_scale')!.data as Float32Array)[0];
    expect((w.data as Int8Array)[0] * w.quant!.scale[0]).toBeCloseTo(-255 * wScale, 6);
    expect(Math.abs((w.data as Int8Array)[0])).toBeLessThanOrEqual(127);
    const out = runGraph(low, new Map([[low.inputs[0], asInt8(x)]])).get(low.outputs[0])!;
    const d = stepDiff(int8Values(out), int8Values(expected));
    console.log(`test_qlinearconv lowered: ${describeDiff(d)}`);
    expect(d.maxDiff).toBeLessThanOrEqual(1);
  });

  it('QLinearMatMul cases are refused with a clear error: uint8 b with zero point 114, and a batched b', (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    for (const [name, pattern] of [['test_qlinearmatmul_2D', /zero point 114.*cannot hold exactly/], ['test_qlinearmatmul_3D', /2-D operands/]] as const) {
      const e = errorOf(() => lowerQdq(boundCase(name, 'a').graph));
      expect(e.where.op).toBe('QLinearMatMul');
      expect(e.format()).toMatch(pattern);
      expect(e.hint).toBeTruthy();
    }
  });

  it('random QLinearConv and QLinearMatMul models: the lowered int8 path is within one step of the ONNX semantics', () => {
    const totals: Record<string, StepDiff> = {};
    for (const [op, make] of [['QLinearConv', randomQLinearConv], ['QLinearMatMul', randomQLinearMatMul]] as const) {
      for (let seed = 1; seed <= 40; seed++) {
        const c = make(seed);
        const { onnxOut, int8Out } = bothWays(loadModelBytes(c.bytes).graph, c.x);
        const d = stepDiff(int8Values(int8Out), int8Values(onnxOut), totals[op]);
        totals[op] = d;
        if (d.maxDiff > 1) throw new Error(`${op} seed ${seed} (${c.what}): max diff ${d.maxDiff}`);
      }
      console.log(`${op}, 40 random models, lowered vs ONNX semantics: ${describeDiff(totals[op])}`);
    }
    for (const d of Object.values(totals)) expect(d.maxDiff).toBeLessThanOrEqual(1);
  });
});

let mixed: Graph | undefined;

/** The mixed-ops float model quantized on 16 random inputs (memoized). */
function mixedGraph(): Graph {
  if (!mixed) {
    const samples = Array.from({ length: 16 }, (_, i) => ({
      feeds: new Map([['x', { dtype: 'float32' as const, shape: [1, 3, 8, 8], data: randomFloats(100 + i, 192) }]]), file: 'random', index: i, progress: (i + 1) / 16,
    }));
    mixed = quantizeFloat(loadModelBytes(mixedFloatModel()).graph, samples);
  }
  return mixed;
}

/** The quantized graphs the round-trip test uses: the examples and the mixed-ops model. */
function quantizedGraphs(): [string, () => Graph][] {
  const examples = availableExamples().filter((e) => existsSync(join(e.dir, 'calib.npy')));
  return [...examples.map((e) => [e.name, () => quantizedExample(e.dir)] as [string, () => Graph]), ['mixed ops', mixedGraph]];
}

describe('(c) exportQdq → import → lowerQdq round trip', () => {
  it.each(quantizedGraphs())('%s: same ops, multipliers, shifts, zero points, weights; same bytes again', async (_name, make) => {
    const q = make();
    const bytes = exportQdq(q);
    expect(exportQdq(q)).toEqual(bytes);
    const back = lowerQdq(importBytes(bytes));
    expect(graphDifferences(q, back)).toEqual([]);
    expect(Buffer.from(exportQdq(back)).equals(Buffer.from(bytes))).toBe(true);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(q.inputs);
    await session.release();
  });

  it.for(quantizedGraphs())('%s: the exported QDQ model passes onnx.checker (full_check)', ([, make], ctx) => {
    needs(ctx, PYTHON_ONNX);
    expect(onnxChecker(exportQdq(make()))).toBe('');
  });

  it('keeps fused clamps (a Clip, and a Relu above zero point -128) through the QDQ form', () => {
    const q = mixedGraph();
    const conv = q.nodes.find((n) => n.op === 'QConv')!;
    const fc = q.nodes.find((n) => n.op === 'QFullyConnected')!;
    const out = (n: Node) => q.tensors.get(n.outputs[0])!.quant!;
    const clamp = (n: Node, lo: number, hi?: number) => activationClamp(out(n).scale[0], out(n).zeroPoint[0], lo, hi);
    const nodes = q.nodes.map((n) => (n === conv ? { ...n, attrs: { ...n.attrs, ...clamp(n, -0.3, 0.5) } } : n === fc ? { ...n, attrs: { ...n.attrs, ...clamp(n, 0) } } : n)) as Node[];
    expect(clamp(fc, 0).actMin).toBeGreaterThan(-128); // a real Relu, not absorbed by the zero point
    const g: Graph = { ...q, nodes };
    const bytes = exportQdq(g);
    const ops = loadModelBytes(bytes).proto.graph!.node!.map((n) => n.opType);
    expect(ops).toContain('Relu');
    expect(ops).toContain('Clip');
    expect(graphDifferences(g, lowerQdq(importBytes(bytes)))).toEqual([]);
  });
});

describe('(b) cross-check: onnxruntime-node on the exported QDQ model vs the int8 interpreter', () => {
  const examples = availableExamples().filter((e) => existsSync(join(e.dir, 'calib.npy')) && existsSync(join(e.dir, 'test_x.npy')));
  const cases = [...examples.map((e) => [e.name, e] as const), ['mixed ops', undefined] as const];
  /** The quantized graph and its input samples (the example's test slice, or 64 random inputs). */
  const setup = (ex: (typeof examples)[number] | undefined) => {
    const q = ex ? quantizedExample(ex.dir) : mixedGraph();
    const input = q.tensors.get(q.inputs[0])!;
    const per = input.shape.reduce((a, b) => a * b, 1);
    const x: Value = ex ? ex.testX() : { dtype: 'float32', shape: [64, ...input.shape.slice(1)], data: randomFloats(999, 64 * per) };
    const sample = (i: number): Value => ({ dtype: 'float32', shape: input.shape, data: (x.data as Float32Array).slice(i * per, (i + 1) * per) });
    return { q, x, n: x.shape[0], sample };
  };

  // Each op separately (next test) must be within one step of onnxruntime everywhere: both compute the
  // same real-valued function and differ only in the final rounding (integer requantization and TFLite's
  // integer pooling vs onnxruntime's float requantization; e.g. a 2x2 average whose sum is 2 mod 4 is a
  // tie, rounded away from zero by TFLite and to even by onnxruntime). End to end, such one-step
  // differences feed the next layers and can grow (a depthwise layer multiplies them), so the network's
  // output is only guarded against export errors, which move most outputs by many steps and change the
  // predicted class. The guard sits just under what was measured (fashion-mnist 98.9%, dwsep 99.6%,
  // residual 100% within one step; top-1 agrees on >= 254/256): 98.5% within one step, 99% top-1.
  it.each(cases)('%s: end to end over the test slice (figure printed; guard: 98.5 percent within one step)', async (name, ex) => {
    const { q, x, n, sample } = setup(ex);
    const ours = runBatched(q, new Map([[q.inputs[0], x]])).get(q.outputs[0])!.data as Float32Array;
    const session = await ort.InferenceSession.create(exportQdq(q), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const deq = q.nodes.find((m) => m.op === 'Dequantize' && m.outputs[0] === q.outputs[0])!;
    const { scale, zeroPoint } = deq.attrs as { scale: number; zeroPoint: number };
    const per = ours.length / n;
    let d: StepDiff | undefined;
    let sameTop = 0;
    const top = (v: ArrayLike<number>) => Array.from(v).indexOf(Math.max(...Array.from(v)));
    for (let i = 0; i < n; i++) {
      const s = sample(i);
      const theirs = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', s.data as Float32Array, [...s.shape]) }))[session.outputNames[0]].data as Float32Array;
      const mine = ours.subarray(i * per, (i + 1) * per);
      d = stepDiff(toSteps(mine, scale, zeroPoint), toSteps(theirs, scale, zeroPoint), d);
      if (top(mine) === top(theirs)) sameTop++;
    }
    await session.release();
    console.log(`cross-check ${name} end to end (${n} samples, onnxruntime-node ${ort.env.versions.common}): ${describeDiff(d!)}; top-1 agrees on ${sameTop}/${n}`);
    expect(d!.withinOne / d!.total).toBeGreaterThanOrEqual(0.985);
    expect(sameTop / n).toBeGreaterThanOrEqual(0.99);
  });

  it.each(cases)('%s: every int8 op, fed the same int8 inputs, is within one step of onnxruntime', async (name, ex) => {
    const { q, sample } = setup(ex);
    const feeds = Array.from({ length: 32 }, (_, i) => new Map([[q.inputs[0], sample(i)]]));
    const perOp = await perOpCrossCheck(q, feeds);
    let all: StepDiff = { total: 0, identical: 0, withinOne: 0, maxDiff: 0 };
    for (const d of perOp.values()) all = { total: all.total + d.total, identical: all.identical + d.identical, withinOne: all.withinOne + d.withinOne, maxDiff: Math.max(all.maxDiff, d.maxDiff) };
    console.log(`cross-check ${name} per op (32 samples): ${describeDiff(all)}; ${[...perOp].map(([m, d]) => `${m.op} ${d.total - d.identical}/${d.total}`).join(', ')}`);
    for (const [m, d] of perOp) expect(d.maxDiff, `${m.op} '${m.name}'`).toBeLessThanOrEqual(1);
    expect(all.withinOne).toBe(all.total);
  });
});

describe('(d) importing a QDQ model with uint8 activations', () => {
  const file = 'test/data/qdq-uint8.onnx';
  it('shifts every zero point by -128 (and the data with it), keeps scales and weights exactly', () => {
    const src = loadModel(file).graph;
    const low = lowerQdq(src);
    const u8 = (name: string) => Number((src.tensors.get(name)!.data as Uint8Array)[0]);
    const zpOf = (t: string) => low.tensors.get(t)!.quant!.zeroPoint[0];
    const quantize = low.nodes.find((n) => n.op === 'Quantize')!;
    expect(quantize.attrs).toEqual({ scale: Math.fround(0.02), zeroPoint: u8('x_z') - 128 });
    for (const [t, z] of [['x_q', 'x_z'], ['c_q', 'c_z'], ['p_q', 'c_z'], ['fl_q', 'c_z'], ['y_q', 'y_z'], ['sm_q', 'sm_z']]) {
      expect([t, zpOf(t)]).toEqual([t, u8(z) - 128]);
      expect(low.tensors.get(t)!.quant!.scale[0]).toBe((src.tensors.get(z.replace('_z', '_s'))!.data as Float32Array)[0]);
    }
    // uint8 weights with zero point 128 become int8 weights with zero point 0: data - 128.
    const g = low.tensors.get('g')!;
    expect(Array.from(g.data as Int8Array)).toEqual(Array.from(src.tensors.get('g')!.data as Uint8Array, (v) => v - 128));
    expect(Array.from(g.quant!.zeroPoint)).toEqual([0]);
    expect(Array.from(low.tensors.get('w')!.data as Int8Array)).toEqual(Array.from(src.tensors.get('w')!.data as Int8Array));
    expect(Array.from(low.tensors.get('b')!.data as Int32Array)).toEqual(Array.from(src.tensors.get('b')!.data as Int32Array));
    expect(low.nodes.map((n) => n.op)).toEqual(['Quantize', 'QConv', 'QMaxPool', 'Reshape', 'QFullyConnected', 'QSoftmax', 'Dequantize']);
  });

  it('computes what the ONNX semantics compute, within one step, in every quantized tensor', async () => {
    const src = loadModel(file).graph;
    const low = lowerQdq(src);
    let d: StepDiff | undefined;
    const perTensor = new Map<string, StepDiff>();
    for (let i = 0; i < 32; i++) {
      const x: Value = { dtype: 'float32', shape: [1, 2, 6, 6], data: randomFloats(500 + i, 72, -2, 3) };
      const a = runGraph(src, new Map([['input', x]]), { keepAll: true });
      const b = runGraph(low, new Map([['input', x]]), { keepAll: true });
      for (const t of ['x_q', 'c_q', 'p_q', 'fl_q', 'y_q', 'sm_q']) perTensor.set(t, stepDiff(int8Values(b.get(t)!), int8Values(a.get(t)!), perTensor.get(t)));
      d = stepDiff(int8Values(b.get('sm_q')!), int8Values(a.get('sm_q')!), d);
    }
    console.log(`uint8 QDQ model, 32 inputs, lowered vs ONNX semantics: ${[...perTensor].map(([t, s]) => `${t} ${s.total - s.identical}/${s.total} differ (max ${s.maxDiff})`).join(', ')}`);
    expect(perTensor.get('x_q')!.identical).toBe(perTensor.get('x_q')!.total); // the boundary Quantize is exact
    for (const s of perTensor.values()) expect(s.maxDiff).toBeLessThanOrEqual(1);
    // onnxruntime runs the file as it is (uint8).
    const session = await ort.InferenceSession.create(file);
    const x = randomFloats(500, 72, -2, 3);
    const theirs = (await session.run({ input: new ort.Tensor('float32', x, [1, 2, 6, 6]) })).output.data as Float32Array;
    const ours = runGraph(low, new Map([['input', { dtype: 'float32', shape: [1, 2, 6, 6], data: x } as Value]])).get('output')!.data as Float32Array;
    expect(stepDiff(toSteps(ours, 1 / 256, 0), toSteps(theirs, 1 / 256, 0)).maxDiff).toBeLessThanOrEqual(1);
    await session.release();
  });

  it('has its generator script next to it', () => {
    expect(readdirSync('test/data')).toEqual(expect.arrayContaining(['gen-qdq-uint8.py', 'qdq-uint8.onnx']));
  });
});

describe('(e) patterns lowerQdq cannot lower are CompileErrors naming the node and op, with a hint', () => {
  const conv = (w: string) => ({ name: 'conv', opType: 'Conv', input: ['xd', w], output: ['y'], attribute: [attr.ints('kernel_shape', [1, 1])] });
  const w8 = init('w', 'int8', [2, 2, 1, 1], Int8Array.of(1, 2, 3, 4));
  const cases: [string, Uint8Array, string, RegExp][] = [
    // (Sigmoid and the other ops of OpGroups.floatFallback run in float instead: test/float-fallback.test.ts.)
    ['an op with no int8 form and no float kernel', qdqAround([{ name: 'log', opType: 'Log', input: ['xd'], output: ['y'] }], []), 'Log', /no int8 lowering/],
    ['float weights', qdqAround([conv('wf')], [init('wf', 'float32', [2, 2, 1, 1], Float32Array.of(1, 2, 3, 4))]), 'Conv', /float constant/],
    ['an unquantized output', qdqAround([{ name: 'dqw', opType: 'DequantizeLinear', input: ['w', 'ws'], output: ['wd'] }, conv('wd')],
      [w8, init('ws', 'float32', [], Float32Array.of(0.01))], { quantizeY: false }), 'Conv', /not quantized/],
    ['weights per channel along the input axis', qdqAround([{ name: 'dqw', opType: 'DequantizeLinear', input: ['w', 'ws'], output: ['wd'], attribute: [attr.int('axis', 1)] }, conv('wd')],
      [w8, init('ws', 'float32', [2], Float32Array.of(0.01, 0.02))]), 'Conv', /axis 1/],
    ['a pool that changes the scale', qdqAround([{ name: 'mp', opType: 'MaxPool', input: ['xd'], output: ['y'], attribute: [attr.ints('kernel_shape', [2, 2])] }], [],
      { ys: 0.2, outShape: [1, 2, 3, 3] }), 'MaxPool', /keeps its input's/],
    ['a softmax output not at 1/256', qdqAround([{ name: 'sm', opType: 'Softmax', input: ['xd'], output: ['y'], attribute: [attr.int('axis', -1)] }], []), 'Softmax', /1\/256/],
  ];
  it.each(cases)('%s', (_what, bytes, op, pattern) => {
    const e = errorOf(() => lowerQdq(importBytes(bytes)));
    expect(e.where.op).toBe(op);
    expect(e.where.node).toBeTruthy();
    expect(e.format()).toMatch(pattern);
    expect(e.hint).toBeTruthy();
  });
});

describe('(f) QOperator chains and fake-quant weights', () => {
  it.each([['QOperator chain (uint8 QLinearConv → MaxPool → QLinearConv → Reshape → QLinearMatMul)', qoperatorChain()], ['fake-quant weights (QuantizeLinear of float weights, Relu fused)', fakeQuantWeights()]])(
    '%s: lowered, within one step of the ONNX semantics and of onnxruntime', async (_what, bytes) => {
      const graph = importBytes(bytes);
      const low = lowerQdq(graph);
      expect(low.nodes.every((n) => n.op.startsWith('Q') || n.op === 'Reshape' || n.op === 'Dequantize')).toBe(true);
      const session = await ort.InferenceSession.create(bytes);
      const out = graph.outputs[0];
      const deq = low.nodes.find((n) => n.op === 'Dequantize')!.attrs as { scale: number; zeroPoint: number };
      let d: StepDiff | undefined;
      let e: StepDiff | undefined;
      const shape = graph.tensors.get(graph.inputs[0])!.shape;
      for (let i = 0; i < 16; i++) {
        const x: Value = { dtype: 'float32', shape, data: randomFloats(40 + i, shape.reduce((a, b) => a * b, 1), -1.2, 1.2) };
        const mine = runGraph(low, new Map([[low.inputs[0], x]])).get(out)!.data as Float32Array;
        const onnxSem = runGraph(graph, new Map([[graph.inputs[0], x]])).get(out)!.data as Float32Array;
        const theirs = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...shape]) }))[out].data as Float32Array;
        d = stepDiff(toSteps(mine, deq.scale, deq.zeroPoint), toSteps(onnxSem, deq.scale, deq.zeroPoint), d);
        e = stepDiff(toSteps(mine, deq.scale, deq.zeroPoint), toSteps(theirs, deq.scale, deq.zeroPoint), e);
      }
      await session.release();
      console.log(`${_what}: vs ONNX semantics ${describeDiff(d!)}; vs onnxruntime ${describeDiff(e!)}`);
      expect(d!.maxDiff).toBeLessThanOrEqual(1);
      expect(e!.maxDiff).toBeLessThanOrEqual(1);
    });
});

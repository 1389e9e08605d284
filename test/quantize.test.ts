/** The quantizer on the example models (accuracy against float on the labelled test slice,
 * valid parameters for every calibration method, determinism) and on hand-built graphs for
 * the situations real models rarely show (zero ranges, zero weights, huge biases, every op row,
 * ops without an int8 form). */
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Graph, Node, Tensor } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { runBatched } from '../src/interp/batch.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModel } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import type { CalibSample } from '../src/quant/calib-data.js';
import { CALIB_METHODS, calibrationRanges, collectStats, type CalibrationStats } from '../src/quant/calibrate.js';
import { BIAS_LIMIT, MIN_ACTIVATION_SCALE, ZERO_WEIGHT_SCALE } from '../src/quant/params.js';
import { layerSqnr } from '../src/quant/sqnr.js';
import { accuracy, availableExamples, type Example } from './support/examples.js';
import { convGraph, pseudoRandom, tinyGraph, unaryGraph } from './support/tiny-graphs.js';

/** Samples along axis 0 of `x` as calibration samples of a one-input graph. */
function samplesOf(graph: Graph, x: Value): CalibSample[] {
  const n = x.shape[0];
  const per = x.data.length / n;
  const shape = graph.tensors.get(graph.inputs[0])!.shape;
  return Array.from({ length: n }, (_, i) => ({
    feeds: new Map([[graph.inputs[0], { dtype: 'float32', shape, data: (x.data as Float32Array).subarray(i * per, (i + 1) * per) } as Value]]),
    file: '<test>',
    index: i,
    progress: (i + 1) / n,
  }));
}

function randomBatch(graph: Graph, n: number, seed: number, scale = 1): Value {
  const shape = graph.tensors.get(graph.inputs[0])!.shape;
  const per = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape: [n, ...shape.slice(1)], data: pseudoRandom(n * per, seed).map((v) => v * scale) };
}

/** Every int8 tensor's parameters are usable, and every multiplier is a valid Q31 one. */
function expectValidParams(g: Graph): void {
  for (const t of g.tensors.values()) {
    if (t.dtype !== 'int8' && t.dtype !== 'int32') continue;
    expect(t.quant, `tensor ${t.name} has quant`).toBeDefined();
    const { scale, zeroPoint } = t.quant!;
    for (const s of scale) expect(Number.isFinite(s) && s > 0, `scale of ${t.name}: ${s}`).toBe(true);
    const weightLike = t.data !== undefined && g.nodes.some((n) => (n.op === 'QConv' || n.op === 'QFullyConnected') && n.inputs.slice(1).includes(t.name));
    for (const z of zeroPoint) expect(weightLike ? z === 0 : z >= -128 && z <= 127, `zero point of ${t.name}: ${z}`).toBe(true);
    if (weightLike && t.dtype === 'int8') for (const v of t.data as Int8Array) expect(v >= -127 && v <= 127).toBe(true);
    if (t.dtype === 'int32' && t.data) for (const v of t.data as Int32Array) expect(Math.abs(v)).toBeLessThanOrEqual(BIAS_LIMIT);
  }
  for (const n of g.nodes) {
    if (n.op === 'QConv' || n.op === 'QFullyConnected') {
      for (const s of n.attrs.shift) expect(s).toBeLessThanOrEqual(30);
      for (const m of n.attrs.multiplier) expect(m === 0 || (m >= 2 ** 30 && m < 2 ** 31)).toBe(true);
      expect(n.attrs.actMin).toBeLessThanOrEqual(n.attrs.actMax);
    }
  }
}

const prepared = new Map<string, { float: Graph; stats: CalibrationStats }>();
function prepare(ex: Example): { float: Graph; stats: CalibrationStats } {
  let p = prepared.get(ex.name);
  if (!p) {
    const float = runPipeline(loadModel(ex.model).graph, optimizationPasses);
    p = { float, stats: collectStats(float, samplesOf(float, ex.calib())) };
    prepared.set(ex.name, p);
  }
  return p;
}

describe.each(availableExamples().map((e) => [e.name, e] as const))('int8 %s', (_name, ex) => {
  it('loses at most 1.0 percentage point of accuracy against float (per-channel weights, minmax)', () => {
    const { float, stats } = prepare(ex);
    const q = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }));
    const x = ex.testX();
    const y = ex.testY();
    const feeds = new Map([[float.inputs[0], x]]);
    const accFloat = accuracy(runBatched(float, feeds).get(float.outputs[0])!, y);
    const t0 = performance.now();
    const accInt8 = accuracy(runBatched(q.graph, feeds).get(float.outputs[0])!, y);
    const ms = performance.now() - t0;
    console.log(`${ex.name}: float ${(accFloat * 100).toFixed(2)}%, int8 per-channel ${(accInt8 * 100).toFixed(2)}% ` +
      `(${(100 * (accInt8 - accFloat)).toFixed(2)} points) on ${x.shape[0]} images; int8 interpreter ${ms.toFixed(0)} ms`);
    expect(accFloat).toBeCloseTo(ex.expected().accuracy, 5);
    expect(accInt8).toBeGreaterThanOrEqual(accFloat - 0.01);
  });

  it('gives valid parameters and per-layer SQNR above 20 dB (12 dB with per-tensor weights) with every calibration method', () => {
    const { float, stats } = prepare(ex);
    const check = samplesOf(float, ex.testX()).slice(0, 8);
    for (const method of CALIB_METHODS) {
      for (const perTensorWeights of [false, true]) {
        const q = quantizeGraph(float, calibrationRanges(stats, { method }), { perTensorWeights });
        expectValidParams(q.graph);
        const w = q.graph.tensors.get(q.graph.nodes.find((n) => n.op === 'QConv')!.inputs[1])!;
        expect(w.quant!.scale.length).toBe(perTensorWeights ? 1 : w.shape[0]);
        const worst = Math.min(...layerSqnr(float, q.graph, q.int8Of, check).map((l) => l.sqnrDb));
        // Per-tensor weight scales are known to hurt depthwise layers, whose channels differ widely.
        expect(worst, `${method} ${perTensorWeights ? 'per-tensor' : 'per-channel'}`).toBeGreaterThan(perTensorWeights ? 12 : 20);
      }
    }
  });

  it('is deterministic: the same model and data give the same quantized graph', () => {
    const run = () => {
      const float = runPipeline(loadModel(ex.model).graph, optimizationPasses);
      const stats = collectStats(float, samplesOf(float, ex.calib()).slice(0, 16));
      return quantizeGraph(float, calibrationRanges(stats, { method: 'mse' })).graph;
    };
    const a = run();
    const b = run();
    expect(printGraph(a)).toBe(printGraph(b));
    for (const [name, t] of a.tensors) {
      if (t.data) expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.tensors.get(name)!.data!.buffer, b.tensors.get(name)!.data!.byteOffset, b.tensors.get(name)!.data!.byteLength))).toBe(true);
      if (t.quant) expect([...t.quant.scale]).toEqual([...b.tensors.get(name)!.quant!.scale]);
    }
  });
});

/** Float vs int8 outputs of `float` quantized on `calib`, on `test` samples. */
function compare(float: Graph, calib: Value, test: Value) {
  const stats = collectStats(float, samplesOf(float, calib));
  const q = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }));
  const feeds = new Map([[float.inputs[0], test]]);
  const f = runBatched(float, feeds).get(float.outputs[0])!.data as Float32Array;
  const i = runBatched(q.graph, feeds).get(float.outputs[0])!.data as Float32Array;
  let worst = 0;
  for (let k = 0; k < f.length; k++) worst = Math.max(worst, Math.abs(f[k] - i[k]));
  return { q, worst, f, i };
}

describe('quantizer robustness', () => {
  it('an all-zero tensor gets the minimal scale, never 0 or NaN, and stays exact', () => {
    // All-zero weights and bias: the output is 0 on every sample (zero range).
    const g = convGraph(new Float32Array(2 * 2 * 9), new Float32Array(2), 2, 2);
    const { q, worst, i } = compare(g, randomBatch(g, 8, 1), randomBatch(g, 4, 2));
    expectValidParams(q.graph);
    expect(q.graph.tensors.get('y_int8')!.quant!.scale[0]).toBe(Math.fround(MIN_ACTIVATION_SCALE));
    expect([...q.graph.tensors.get('w_int8')!.quant!.scale]).toEqual([Math.fround(ZERO_WEIGHT_SCALE), Math.fround(ZERO_WEIGHT_SCALE)]);
    expect(worst).toBe(0);
    expect(i.every((v) => v === 0)).toBe(true);
  });

  it('all-zero calibration inputs give the input the minimal scale', () => {
    const g = convGraph(pseudoRandom(9, 3), Float32Array.of(0.5), 1, 1);
    const zeros = randomBatch(g, 4, 1, 0);
    const { q, worst, f } = compare(g, zeros, zeros);
    expect(q.graph.tensors.get('x_int8')!.quant!.scale[0]).toBe(Math.fround(MIN_ACTIVATION_SCALE));
    expect(worst).toBeLessThanOrEqual(0.5 / 255);
    expect(f[0]).toBeCloseTo(0.5, 6);
  });

  it('a model whose weights are all zero quantizes with the fallback weight scale and runs', () => {
    const ex = availableExamples()[0];
    const float = runPipeline(loadModel(ex.model).graph, optimizationPasses);
    const zeroed = new Map<string, Tensor>();
    for (const [name, t] of float.tensors) {
      const isWeight = float.nodes.some((n) => (n.op === 'Conv' || n.op === 'Gemm') && n.inputs[1] === name);
      zeroed.set(name, isWeight ? { ...t, data: new Float32Array(t.data!.length) } : t);
    }
    const g = { ...float, tensors: zeroed };
    const { q, worst } = compare(g, ex.calib(), randomBatch(g, 4, 5));
    expectValidParams(q.graph);
    for (const n of q.graph.nodes) {
      if (n.op === 'QConv' || n.op === 'QFullyConnected') expect([...new Set(q.graph.tensors.get(n.inputs[1])!.quant!.scale)]).toEqual([Math.fround(ZERO_WEIGHT_SCALE)]);
    }
    // The output is the (dequantized) last bias: within one output step of float.
    expect(worst).toBeLessThanOrEqual(q.graph.tensors.get(q.int8Of.get(g.outputs[0])!)!.quant!.scale[0]);
  });

  it('raises a weight scale rather than overflow an int32 bias, and says so', () => {
    const w = pseudoRandom(9, 4).map((v) => v * 1e-9);
    const g = convGraph(w, Float32Array.of(1000), 1, 1);
    const { q, worst } = compare(g, randomBatch(g, 8, 6), randomBatch(g, 4, 7));
    expectValidParams(q.graph);
    expect(q.warnings.join('\n')).toMatch(/node 'conv' \(Conv\): weight scale of channel 0 raised/);
    expect(worst).toBeLessThanOrEqual(q.graph.tensors.get('y_int8')!.quant!.scale[0]);
  });

  it('turns a fused clamp into [actMin, actMax] in the output domain', () => {
    const base = convGraph(pseudoRandom(9, 8), Float32Array.of(0), 1, 1);
    const g = { ...base, nodes: [{ ...base.nodes[0], clamp: { min: 0, max: 6 } }] };
    // Output range [-1, 10]: scale 11/255, zero point -128 + 1/scale = -104.82 → -105;
    // 0 → -105, 6 → -105 + round(6 / scale = 139.09) = 34.
    const q = quantizeGraph(g, new Map([['x', { min: 0, max: 1 }], ['y', { min: -1, max: 10 }]]));
    const conv = q.graph.nodes.find((n) => n.op === 'QConv')!;
    expect(conv.op === 'QConv' && [conv.attrs.outputZeroPoint, conv.attrs.actMin, conv.attrs.actMax]).toEqual([-105, -105, 34]);
    expect(q.graph.tensors.get('y_int8')!.quant!.scale[0]).toBe(Math.fround(11 / 255));
  });

  it('with int8Only, refuses an op without an int8 form, naming the node and saying what to do', () => {
    const g = unaryGraph('Exp');
    const ranges = new Map([['x', { min: -1, max: 1 }], ['y', { min: 0, max: 3 }]]);
    let err: unknown;
    try {
      quantizeGraph(g, ranges, { int8Only: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    const ce = err as CompileError;
    expect(ce.code).toBe(ErrorCode.UnsupportedOp);
    expect(ce.where).toMatchObject({ node: 'act', op: 'Exp' });
    expect(ce.format()).toMatch(/Exp is not supported in int8.*Relu/);
  });

  it('lowers every op row (Conv, depthwise, Add, Concat, pools, Relu, Transpose, Pad, MatMul, Gemm, Softmax) close to float', () => {
    const g = kitchenSink();
    const stats = collectStats(g, samplesOf(g, randomBatch(g, 32, 11)));
    const q = quantizeGraph(g, calibrationRanges(stats, { method: 'minmax' }));
    expectValidParams(q.graph);
    const ops = new Set(q.graph.nodes.map((n) => n.op));
    for (const op of ['Quantize', 'QConv', 'QAdd', 'QConcat', 'QMaxPool', 'QAveragePool', 'QClamp', 'Transpose', 'Pad', 'Reshape', 'QFullyConnected', 'QSoftmax', 'Dequantize']) {
      expect(ops.has(op as Node['op']), op).toBe(true);
    }
    expect(q.graph.tensors.get(q.int8Of.get('prob')!)!.quant).toMatchObject({ scale: Float32Array.of(1 / 256), zeroPoint: Int32Array.of(-128) });
    const layers = layerSqnr(g, q.graph, q.int8Of, samplesOf(g, randomBatch(g, 8, 12)));
    for (const l of layers) expect(l.sqnrDb, l.tensor).toBeGreaterThan(20);
    const out = runGraph(q.graph, new Map([['x', randomBatch(g, 1, 13)]])).get('prob')!;
    expect(out.dtype).toBe('float32');
  });
});

/** x [1,2,6,6] → Conv(relu) a [1,4,6,6]; depthwise Conv b; Add(a, b)(relu); Concat(a, s); Pad;
 * MaxPool; AveragePool; Relu; Transpose; GlobalAveragePool; Reshape; MatMul; Gemm(transB); Softmax. */
function kitchenSink(): Graph {
  const t = (name: string, shape: number[], data?: Float32Array): Tensor => ({ name, dtype: 'float32', shape, ...(data ? { data } : {}) });
  const win = (k: number, s: number, p: number) => ({ kernel: [k, k], strides: [s, s], dilations: [1, 1], pads: [p, p, p, p] });
  const tensors = [
    t('x', [1, 2, 6, 6]),
    t('w1', [4, 2, 3, 3], pseudoRandom(72, 21)), t('b1', [4], pseudoRandom(4, 22)), t('a', [1, 4, 6, 6]),
    t('w2', [4, 1, 3, 3], pseudoRandom(36, 23)), t('b', [1, 4, 6, 6]),
    t('s', [1, 4, 6, 6]), t('c', [1, 8, 6, 6]), t('p', [1, 8, 8, 8]), t('m', [1, 8, 4, 4]), t('v', [1, 8, 2, 2]),
    t('r', [1, 8, 2, 2]), t('tr', [1, 8, 2, 2]), t('gap', [1, 8, 1, 1]), t('flat', [1, 8]),
    t('wm', [8, 6], pseudoRandom(48, 24)), t('mm', [1, 6]),
    t('wg', [5, 6], pseudoRandom(30, 25)), t('bg', [5], pseudoRandom(5, 26)), t('logits', [1, 5]), t('prob', [1, 5]),
  ];
  const relu = { min: 0, max: Infinity };
  const nodes = [
    { name: 'conv', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attrs: { ...win(3, 1, 1), group: 1 }, clamp: relu },
    { name: 'dw', op: 'Conv', inputs: ['a', 'w2', ''], outputs: ['b'], attrs: { ...win(3, 1, 1), group: 4 } },
    { name: 'add', op: 'Add', inputs: ['a', 'b'], outputs: ['s'], attrs: {}, clamp: relu },
    { name: 'cat', op: 'Concat', inputs: ['a', 's'], outputs: ['c'], attrs: { axis: 1 } },
    { name: 'pad', op: 'Pad', inputs: ['c'], outputs: ['p'], attrs: { mode: 'constant', pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0 } },
    { name: 'max', op: 'MaxPool', inputs: ['p'], outputs: ['m'], attrs: { ...win(2, 2, 0), ceilMode: false, countIncludePad: false } },
    { name: 'avg', op: 'AveragePool', inputs: ['m'], outputs: ['v'], attrs: { ...win(2, 2, 0), ceilMode: false, countIncludePad: false } },
    { name: 'relu', op: 'Relu', inputs: ['v'], outputs: ['r'], attrs: {} },
    { name: 'tr', op: 'Transpose', inputs: ['r'], outputs: ['tr'], attrs: { perm: [0, 1, 3, 2] } },
    { name: 'gap', op: 'GlobalAveragePool', inputs: ['tr'], outputs: ['gap'], attrs: {} },
    { name: 'flat', op: 'Reshape', inputs: ['gap'], outputs: ['flat'], attrs: { shape: [1, 8] } },
    { name: 'mm', op: 'MatMul', inputs: ['flat', 'wm'], outputs: ['mm'], attrs: {} },
    { name: 'fc', op: 'Gemm', inputs: ['mm', 'wg', 'bg'], outputs: ['logits'], attrs: { alpha: 0.5, beta: 2, transA: false, transB: true } },
    { name: 'softmax', op: 'Softmax', inputs: ['logits'], outputs: ['prob'], attrs: { axis: 1, coerce2d: false } },
  ] as Node[];
  return tinyGraph(tensors, nodes, ['x'], ['prob']);
}

/** src/schedule: the target-independent schedule, asked of a kernel provider that is not the C
 * backend's (what a new backend gets: layouts, views, copies, in-place steps, the arena plan),
 * storage types and byte sizes, and the JSON form. */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { buildSchedule } from '../src/schedule/build.js';
import { scheduleToJson } from '../src/schedule/json.js';
import { isRowMajor } from '../src/schedule/layout.js';
import type { Int8Op, KernelProvider, OpKernel } from '../src/schedule/provider.js';
import { stepOutput, storageBytes, storageTypeOf } from '../src/schedule/types.js';
import { errorOf } from './support/errors.js';
import { goldenConcat, goldenPoolFc, goldenResidualAdd } from './support/golden-graphs.js';
import { QGraphBuilder } from './support/qgraph.js';

/** A provider whose every kernel reads and writes row-major bytes (as a Wasm or WGSL backend
 * working in ONNX order would), with a fixed scratch size for convolutions. */
function rowMajorProvider(without: Int8Op[] = []): KernelProvider {
  const k = (kernel: string, extra: Partial<OpKernel> = {}): OpKernel => ({
    inputLayout: 'row-major', outputLayout: 'row-major', dtypes: ['int8'], choose: () => ({ kernel, scratchBytes: 0 }), ...extra,
  });
  const table: Record<Int8Op, OpKernel> = {
    QConv: k('conv', { choose: () => ({ kernel: 'conv', scratchBytes: 64 }) }),
    QFullyConnected: k('fc'),
    QAdd: k('add', { inputLayout: 'as-first-input', outputLayout: 'as-first-input', inPlace: true, passesLayout: true }),
    QBatchMatMul: k('batch-matmul'),
    QMul: k('mul', { inputLayout: 'broadcast', outputLayout: 'as-first-input', inPlace: true, passesLayout: true }),
    QMaxPool: k('maxpool'),
    QAveragePool: k('avgpool'),
    QSoftmax: k('softmax'),
    QConcat: k('concat'),
    QClamp: k('clamp', { inputLayout: 'as-first-input', outputLayout: 'as-first-input', inPlace: true, passesLayout: true }),
    Pad: k('pad'),
    Slice: k('slice'),
    DepthToSpace: k('d2s'),
    SpaceToDepth: k('s2d'),
    Resize: k('resize'),
    QSigmoid: k('sigmoid'),
    QTanh: k('tanh'),
    QHardSigmoid: k('hardsigmoid'),
    QHardSwish: k('hardswish'),
    QLeakyRelu: k('leakyrelu'),
    QPRelu: k('prelu'),
    QMean: k('mean'),
    QReduceMax: k('reducemax'),
  };
  for (const op of without) delete (table as Partial<Record<Int8Op, OpKernel>>)[op];
  return { name: 'test-rowmajor', backend: 'the test backend', kernels: table, copyKernel: { kernel: 'copy', scratchBytes: 0 }, unsupportedHint: 'Use another backend.' };
}

describe('the schedule with a provider other than C', () => {
  it('row-major kernels need no layout copies; views cost nothing; scratch is planned', () => {
    const s = buildSchedule(goldenPoolFc().graph, rowMajorProvider());
    expect(s.provider).toBe('test-rowmajor');
    expect(s.steps.map((st) => (st.kind === 'node' ? `${st.node.op}:${st.choice.kernel}` : 'copy'))).toEqual(['QMaxPool:maxpool', 'QFullyConnected:fc']);
    for (const st of s.steps) expect(isRowMajor(stepOutput(st).layout)).toBe(true);
    expect(s.plan.arenaBytes).toBe(s.plan.lowerBound);
    const conv = buildSchedule(goldenConcat().graph, rowMajorProvider());
    const scratch = conv.storages.filter((x) => x.kind === 'scratch');
    expect(scratch.map((x) => x.bytes)).toEqual([64, 64]);
    expect(scratch.every((x) => x.align === 4 && conv.plan.offsets.get(x.id)! % 4 === 0)).toBe(true);
  });

  it('an in-place add writes over the input that dies there', () => {
    const s = buildSchedule(goldenResidualAdd().graph, rowMajorProvider());
    const add = s.steps.find((st) => st.kind === 'node' && st.node.op === 'QAdd');
    expect(add?.kind === 'node' && add.inPlace).toBe(true);
  });

  it('an op the provider lacks is refused naming the backend and the node, with its hint', () => {
    const e = errorOf(() => buildSchedule(goldenConcat().graph, rowMajorProvider(['QConcat'])));
    expect(e.format()).toMatch(/node '[^']+' \(QConcat\): the test backend has no kernel for QConcat\. Use another backend\./);
  });

  it('kernels that read channels-last get copies from a row-major producer, once per tensor', () => {
    const p = rowMajorProvider();
    const nhwc: OpKernel = { ...p.kernels.QMaxPool!, inputLayout: 'channels-last', outputLayout: 'channels-last' };
    const b = new QGraphBuilder(3);
    const x = b.input([1, 2, 4, 4]);
    const c = b.conv(x, { outC: 2, k: [1, 1] });
    const g: Graph = b.build(b.add(b.pool('QMaxPool', c, [2, 2], [2, 2]), b.pool('QMaxPool', c, [2, 2], [2, 2])));
    const s = buildSchedule(g, { ...p, kernels: { ...p.kernels, QMaxPool: nhwc } });
    const copies = s.steps.filter((st) => st.kind === 'copy');
    expect(copies).toHaveLength(1);
    expect(copies[0].kind === 'copy' && copies[0].why).toBe('QMaxPool reads NHWC');
  });

  it('two inputs and two outputs each get a boundary, and the JSON names every tensor a step touches', () => {
    const b = new QGraphBuilder(4);
    const a = b.input([1, 2, 4, 4]);
    const c = b.input([1, 2, 4, 4]);
    const y2 = b.conv(c, { outC: 3, k: [1, 1] });
    const g = b.build(b.add(b.conv(a, { outC: 2, k: [1, 1] }), c));
    g.inputs = g.nodes.filter((n) => n.op === 'Quantize').map((n) => n.inputs[0]);
    g.outputs = [...g.outputs, y2.name];
    const s = buildSchedule(g, rowMajorProvider());
    expect(s.inputs.map((x) => x.apiName)).toEqual(g.inputs);
    expect(s.outputs.map((x) => x.apiName)).toEqual(g.outputs);
    // Inputs are copied in at step 0, outputs out after the last step: both live that long.
    const last = s.steps.length + 1;
    for (const x of s.inputs) expect(x.tensor.storage.first).toBe(0);
    for (const x of s.outputs) expect(x.tensor.storage.last).toBe(last);
    const json = scheduleToJson(s);
    expect(json.inputs).toHaveLength(g.inputs.length);
    expect(json.outputs).toHaveLength(g.outputs.length);
    for (const st of json.steps) for (const t of [...st.inputs, st.output]) expect(json.tensors[t], t).toBeDefined();
    expect(JSON.stringify(scheduleToJson(buildSchedule(g, rowMajorProvider())))).toBe(JSON.stringify(json));
  });
});

describe('storage types', () => {
  it('bytes per storage type: int4 packs two per byte', () => {
    expect([storageBytes('int4', 7), storageBytes('int8', 7), storageBytes('int16', 7), storageBytes('int32', 7), storageBytes('float32', 7)]).toEqual([4, 7, 14, 28, 28]);
  });
  it('the storage type follows the bit-width of the quantized tensor', () => {
    const q = (bits: number) => ({ dtype: 'int8', quant: { bits } });
    expect([q(4), q(8), q(16), q(32)].map(storageTypeOf)).toEqual(['int4', 'int8', 'int16', 'int32']);
    // float32 holds the tensors of nodes kept in float (docs/float-fallback.md); other floats have no storage type.
    expect(storageTypeOf({ dtype: 'float32' })).toBe('float32');
    expect(storageTypeOf({ dtype: 'float64' })).toBeUndefined();
    expect(storageTypeOf({ dtype: 'float16' })).toBeUndefined();
    expect(storageTypeOf({ dtype: 'int16' })).toBe('int16');
  });
});

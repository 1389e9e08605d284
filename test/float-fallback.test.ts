/** Float where int8 cannot go: nodes no int8 row takes (or that --float-nodes names) run in float
 * between Dequantize and Quantize steps, on the C float kernels. The quantizer's choices, the
 * report, the refusals (--int8-only, the Wasm backend), and the emitted C run against the
 * interpreter: int8 steps byte for byte, float steps within 1e-5 of the tensor's range, on the
 * host, QEMU Cortex-M4 (FPU) and Cortex-M0+ (soft float). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import type { CReport } from '../src/backends/c/report.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import { inGroup } from '../src/ir/ops.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { FLOAT_TOLERANCE } from '../src/verify/trace.js';
import { verifyFolder } from '../src/verify/verify.js';
import { cli } from './support/cli.js';
import { f32, load, model } from './support/op-models.js';
import { qdqAround } from './support/qdq-models.js';
import { pseudoRandom, unaryGraph } from './support/tiny-graphs.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-float-');
const HEAD = 'test/data/float-head';

describe('the quantizer keeps in float what no int8 row takes', () => {
  const ranges = new Map([['x', { min: -1, max: 1 }], ['y', { min: 0, max: 1 }]]);

  it('an Exp (no int8 row) runs in float between a Dequantize and a Quantize, with one warning line', () => {
    const q = quantizeGraph(unaryGraph('Exp'), ranges);
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Dequantize', 'Exp', 'Quantize', 'Dequantize']);
    const exp = q.graph.nodes[2];
    expect(exp.inputs.map((i) => q.graph.tensors.get(i)!.dtype)).toEqual(['float32']);
    expect(q.graph.tensors.get(exp.outputs[0])!.dtype).toBe('float32');
    expect(q.floatNodes).toEqual([{ node: 'act', op: 'Exp', reason: 'qgc has no int8 kernel for it' }]);
    expect(q.warnings).toEqual(["node 'act' (Exp) runs in float: qgc has no int8 kernel for it"]);
  });

  it('a Sigmoid goes int8 (its row takes it), and runs in float when --float-nodes names it', () => {
    expect(quantizeGraph(unaryGraph('Sigmoid'), ranges).graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'QSigmoid', 'Dequantize']);
    const q = quantizeGraph(unaryGraph('Sigmoid'), ranges, { floatNodes: new Set(['act']) });
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Dequantize', 'Sigmoid', 'Quantize', 'Dequantize']);
    expect(q.warnings).toEqual(["node 'act' (Sigmoid) runs in float: named in --float-nodes"]);
  });

  it('--float-nodes keeps a node float that an int8 row takes; an unknown name is refused', () => {
    const q = quantizeGraph(unaryGraph('Relu'), ranges, { floatNodes: new Set(['act']) });
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Dequantize', 'Relu', 'Quantize', 'Dequantize']);
    expect(q.floatNodes[0].reason).toBe('named in --float-nodes');
    expect(() => quantizeGraph(unaryGraph('Relu'), ranges, { floatNodes: new Set(['nope']) })).toThrow(/--float-nodes names 'nope', which is no node/);
    expect(() => quantizeGraph(unaryGraph('Relu'), ranges, { floatNodes: new Set(['act']), int8Only: true })).toThrow(/contradict/);
  });

  it('a node its int8 row refuses (Div by a computed tensor) runs in float, and the row leaves nothing behind', () => {
    const g = load(model([{ opType: 'Div', input: ['x', 'z'], output: ['y'] }], [['x', 'float32', [1, 3, 4]], ['z', 'float32', [1, 3, 4]]], ['y'], 13));
    const q = quantizeGraph(g, new Map([['x', { min: -1, max: 1 }], ['z', { min: 0.5, max: 2 }], ['y', { min: -2, max: 2 }]]));
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Quantize', 'Dequantize', 'Dequantize', 'Div', 'Quantize', 'Dequantize']);
    expect(q.floatNodes[0].reason).toMatch(/^its int8 kernel does not take it \(Div by the computed tensor 'z' is not supported in int8/);
    // The int8 tensors are the two quantized inputs and the quantized output: none from the refused row.
    expect([...q.graph.tensors.values()].filter((t) => t.dtype === 'int8')).toHaveLength(3);
  });

  it('a view between float nodes stays float (no round trip through int8), without a warning', () => {
    const g = load(model([
      { opType: 'Exp', input: ['x'], output: ['s'] },
      { opType: 'Flatten', input: ['s'], output: ['f'] },
      { opType: 'Erf', input: ['f'], output: ['y'] },
    ], [['x', 'float32', [1, 2, 3]]], ['y'], 13));
    const q = quantizeGraph(g, new Map(['x', 's', 'f', 'y'].map((n) => [n, { min: -1, max: 1 }])));
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['Quantize', 'Dequantize', 'Exp', 'Flatten', 'Erf', 'Quantize', 'Dequantize']);
    expect(q.floatNodes.map((n) => n.op)).toEqual(['Exp', 'Erf']);
  });

  it('--int8-only keeps the refusal of today, and says that the op could run in float', () => {
    let err: unknown;
    try {
      quantizeGraph(unaryGraph('Exp'), ranges, { int8Only: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
    expect((err as CompileError).format()).toMatch(/Exp is not supported in int8.*Without --int8-only it runs in float/);
  });

  // Exp and Erf have float kernels, Log has none.
  const blocking = () => load(model([
    { opType: 'Exp', input: ['x'], output: ['e'] },
    { opType: 'Log', input: ['e'], output: ['l'] },
    { opType: 'Erf', input: ['l'], output: ['y'] },
  ], [['x', 'float32', [1, 4]]], ['y'], 13));
  const blockingRanges = new Map(['x', 'e', 'l', 'y'].map((n) => [n, { min: -1, max: 1 }]));

  it('--int8-only lists every node without an int8 form in one error', () => {
    expect(() => quantizeGraph(blocking(), blockingRanges, { int8Only: true }))
      .toThrow("Exp is not supported in int8, nor are 2 more nodes: node 'Log_1' (Log), node 'Erf_2' (Erf)");
  });

  it('with float fallback, the one error lists only the nodes with neither an int8 form nor float kernels', () => {
    let err: unknown;
    try {
      quantizeGraph(blocking(), blockingRanges);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).where).toMatchObject({ node: 'Log_1', op: 'Log' });
    expect((err as CompileError).message).toBe('Log is not supported in int8');
  });
});

describe('lowerQdq keeps in float the ops of a QDQ model no int8 row takes', () => {
  // x → Q/DQ → Exp → Erf (no Q/DQ between them) → Q/DQ → out.
  const chain = () => loadModelBytes(qdqAround([
    { name: 'exp', opType: 'Exp', input: ['xd'], output: ['s'] },
    { name: 'erf', opType: 'Erf', input: ['s'], output: ['y'] },
  ], [], { ys: 1 / 128 })).graph;

  it('a chain of float ops between a DequantizeLinear and a QuantizeLinear runs in float, with the model\'s scales at both ends', () => {
    const warnings: string[] = [];
    const g = lowerQdq(chain(), { warn: (m) => warnings.push(m) });
    expect(g.nodes.map((n) => n.op)).toEqual(['Quantize', 'Dequantize', 'Exp', 'Erf', 'Quantize', 'Dequantize']);
    const q = g.nodes[4];
    expect(q.op === 'Quantize' && [q.attrs.scale, q.attrs.zeroPoint]).toEqual([Math.fround(1 / 128), 0]);
    expect(warnings).toEqual(["node 'exp' (Exp) runs in float: qgc has no int8 kernel for it", "node 'erf' (Erf) runs in float: qgc has no int8 kernel for it"]);
  });

  it('--int8-only keeps today\'s refusal', () => {
    expect(() => lowerQdq(chain(), { int8Only: true })).toThrow(/Exp has no int8 lowering/);
  });

  it('the lowered graph compiles to C and verifies on the host', async (ctx) => {
    needs(ctx, GCC);
    const dir = join(tmp(), 'qdq');
    compileC(lowerQdq(chain()), { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir });
    const r = await verifyFolder({ dir, inputs: { dtype: 'float32', shape: [3, 2, 4, 4], data: pseudoRandom(96, 5).map((v) => 4 * v) }, targets: ['host'] });
    expect(r.ok, JSON.stringify(r.targets[0].message)).toBe(true);
    expect(r.targets[0].floatTrace?.kind).toBe('all-match');
  }, 60_000);
});

describe('a model with a LayerNorm and a Sigmoid head (test/data/float-head)', () => {
  // The LayerNorm has no int8 row; the Sigmoid has one, so it is named to run in float too.
  const FLOAT_HEAD = ['--float-nodes', 'head'];
  async function compile(target: string, kernels: string | undefined, ...extra: string[]) {
    const dir = join(tmp(), 'out');
    const r = await cli('compile', `${HEAD}/model.onnx`, '--target', target, ...(kernels ? ['--kernels', kernels] : []), '--calib', `${HEAD}/calib.npy`, '-o', dir, ...extra);
    return { dir, ...r };
  }

  it('compiles without --int8-only: the LayerNorm in float, the Sigmoid in int8', async () => {
    const r = await compile('cortex-m4', 'portable');
    expect(r.code, r.err).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      "warning: node 'ln' (LayerNormalization) runs in float: qgc has no int8 kernel for it",
    ]);
    const report = JSON.parse(readFileSync(join(r.dir, 'net_report.json'), 'utf8')) as CReport;
    expect(report.float!.nodes.map((n) => [n.node, n.op, n.kernel])).toEqual([['ln', 'LayerNormalization', 'qgc_layer_norm_f32']]);
    expect(r.out).toMatch(/^float: 1 node runs in float \(LayerNormalization 'ln'\)/m);
  });

  it('with --float-nodes head: one warning per float node, its cost in the report and the summary', async () => {
    const r = await compile('cortex-m4', 'portable', ...FLOAT_HEAD);
    expect(r.code, r.err).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      "warning: node 'ln' (LayerNormalization) runs in float: qgc has no int8 kernel for it",
      "warning: node 'head' (Sigmoid) runs in float: named in --float-nodes",
    ]);
    const report = JSON.parse(readFileSync(join(r.dir, 'net_report.json'), 'utf8')) as CReport;
    expect(report.float!.nodes.map((n) => [n.node, n.op, n.kernel])).toEqual([['ln', 'LayerNormalization', 'qgc_layer_norm_f32'], ['head', 'Sigmoid', 'qgc_unary_f32']]);
    // Two Dequantize, two float nodes, two Quantize; 16 + 4 float32 elements, twice each (the Sigmoid writes in place).
    expect(report.float!.steps).toBe(6);
    expect(report.float!.tensorBytes).toBe(4 * (16 + 16 + 4));
    expect(report.float!.flashBytes).toBe(4 * (16 + 16));
    expect(r.out).toMatch(/^float: 2 nodes run in float \(LayerNormalization 'ln', Sigmoid 'head'\): 6 float steps/m);
    // Every float32 tensor is 4-byte aligned in the arena.
    const plan = report.memoryPlan.buffers.filter((b) => /dequantize|^n$|head|_float/.test(b.holds));
    expect(plan.every((b) => b.offset % 4 === 0)).toBe(true);
  });

  it('--int8-only refuses it as before', async () => {
    const r = await compile('cortex-m4', 'portable', '--int8-only');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/QGC1101: node 'ln' \(LayerNormalization\): LayerNormalization is not supported in int8/);
  });

  it('--target wasm refuses it naming the float node: the Wasm backend has no float kernels', async () => {
    const r = await compile('wasm', undefined);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/node 'ln' \(LayerNormalization\): the Wasm backend has no float kernel for LayerNormalization\. --target wasm needs int8 for this node/);
  }, 30_000);

  it('--target webgpu refuses it naming the float node: the WebGPU backend has no float kernels', async () => {
    const r = await compile('webgpu', undefined);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/node 'ln' \(LayerNormalization\): the WebGPU backend has no float kernel for LayerNormalization\. --target webgpu needs int8 for this node/);
  }, 30_000);

  it('a float kernel that drifts by 1e-3 of its bias fails verify, naming the float step', async (ctx) => {
    needs(ctx, GCC);
    const { dir, code, err } = await compile('cortex-m4', 'portable', ...FLOAT_HEAD);
    expect(code, err).toBe(0);
    const file = join(dir, 'qgc_float.c');
    const src = readFileSync(file, 'utf8');
    const edited = src.replace('(bias != NULL ? bias[i] : 0.0f)', '(bias != NULL ? 1.001f * bias[i] : 0.0f)');
    expect(edited).not.toBe(src);
    writeFileSync(file, edited);
    const r = await cli('verify', dir, '--inputs', `${HEAD}/test.npy`, '--targets', 'host');
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/node 'ln' \(LayerNormalization, qgc_layer_norm_f32\), tensor 'n' element \[[\d, ]+\]: C gives \S+, the interpreter \S+ \(\d+ of 16 elements differ by more than 0.00001 of the tensor's range\)/);
  }, 60_000);

  for (const kernels of ['portable', 'cmsis-nn']) {
    it(`${kernels}: int8 steps bit-exact and float steps within ${FLOAT_TOLERANCE} of the interpreter on the host, QEMU M4 (FPU) and M0+ (soft float)`, async (ctx) => {
      needs(ctx, GCC, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
      const { dir, code, err } = await compile('cortex-m4', kernels, ...FLOAT_HEAD);
      expect(code, err).toBe(0);
      const r = await cli('verify', dir, '--inputs', `${HEAD}/test.npy`, '--targets', 'host,cortex-m4,cortex-m0plus');
      expect(r.code, r.out + r.err).toBe(0);
      for (const t of ['host', 'cortex-m4', 'cortex-m0plus']) {
        expect(r.out).toMatch(new RegExp(`^float steps on ${t}: 4 compared on sample 0, largest difference \\S+ of a tensor's range \\(tolerance 0.00001\\); the other 6 steps bit-exact$`, 'm'));
      }
      expect(r.out.match(/bit-exact/g)!.length).toBeGreaterThanOrEqual(3);
    }, 240_000);
  }
});

describe('every C float kernel against the interpreter on the host', () => {
  it('unary, broadcast binary, Softmax, ReduceMean, MatMul and Gemm in float compile and verify', async (ctx) => {
    needs(ctx, GCC);
    const W = (name: string, shape: number[], seed: number) => f32(name, shape, Array.from(pseudoRandom(shape.reduce((a, d) => a * d, 1), seed)));
    const nodes = [
      { opType: 'Tanh', input: ['x'], output: ['t1'] },
      { opType: 'HardSigmoid', input: ['t1'], output: ['t2'], attribute: [{ name: 'alpha', type: 1, f: 0.3 }, { name: 'beta', type: 1, f: 0.4 }] },
      { opType: 'LeakyRelu', input: ['x'], output: ['t3'], attribute: [{ name: 'alpha', type: 1, f: 0.1 }] },
      { opType: 'Sub', input: ['t2', 't3'], output: ['t4'] },
      { opType: 'Mul', input: ['t4', 'c6'], output: ['t5'] },
      { opType: 'Div', input: ['t5', 'c41'], output: ['t6'] },
      { opType: 'Exp', input: ['t6'], output: ['t7'] },
      { opType: 'Erf', input: ['t7'], output: ['t8'] },
      { opType: 'Gelu', input: ['t6'], output: ['t9'], attribute: [{ name: 'approximate', type: 3, s: new TextEncoder().encode('tanh') }] },
      { opType: 'Abs', input: ['t9'], output: ['t10'] },
      { opType: 'Sqrt', input: ['t10'], output: ['t11'] },
      { opType: 'Neg', input: ['t11'], output: ['t12'] },
      { opType: 'Add', input: ['t12', 't8'], output: ['t13'] },
      { opType: 'Softmax', input: ['t13'], output: ['t14'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
      { opType: 'ReduceMean', input: ['t14', 'axes'], output: ['t15'], attribute: [{ name: 'keepdims', type: 2, i: 1 }] },
      { opType: 'Mul', input: ['t14', 't15'], output: ['t16'] },
      { opType: 'MatMul', input: ['t16', 'w63'], output: ['t17'] },
      { opType: 'Reshape', input: ['t17', 'shape'], output: ['t18'] },
      { opType: 'Gemm', input: ['t18', 'w53', 'b5'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ];
    const inits = [W('c6', [6], 3), f32('c41', [4, 1], [2, -1.5, 0.75, 3]), W('w63', [6, 3], 5), W('w53', [5, 3], 6), W('b5', [5], 7),
      { name: 'axes', dataType: 7, dims: [1], int64Data: [2] }, { name: 'shape', dataType: 7, dims: [2], int64Data: [4, 3] }];
    const imported = load(model(nodes, [['x', 'float32', [1, 4, 6]]], ['y'], 20, inits));
    const g = runPipeline(imported, optimizationPasses);
    const data = pseudoRandom(16 * 24, 9);
    const calib = Array.from({ length: 16 }, (_, i) => ({
      feeds: new Map([['x', { dtype: 'float32' as const, shape: [1, 4, 6], data: data.subarray(24 * i, 24 * (i + 1)) }]]), file: '<test>', index: i, progress: (i + 1) / 16,
    }));
    const stats = collectStats(g, calib);
    // Tanh, HardSigmoid, LeakyRelu, Sub, Mul, Div, Add, Softmax, ReduceMean and MatMul have int8
    // rows that may take them: name every node of an op with a row (but the Reshape and the last
    // Gemm, which stay int8), so that their float kernels run.
    const named = g.nodes.filter((n) => inGroup('int8', n.op) && n.op !== 'Reshape' && n.outputs[0] !== 'y').map((n) => n.name);
    expect(named).toHaveLength(11);
    const q = quantizeGraph(g, calibrationRanges(stats, { method: 'minmax' }), { floatNodes: new Set(named) });
    const floatOps = q.floatNodes.map((n) => n.op);
    for (const op of ['Tanh', 'HardSigmoid', 'LeakyRelu', 'Sub', 'Mul', 'Div', 'Exp', 'Erf', 'Gelu', 'Abs', 'Sqrt', 'Neg', 'Add', 'Softmax', 'ReduceMean', 'MatMul']) {
      expect(floatOps).toContain(op);
    }
    const dir = join(tmp(), 'kernels');
    compileC(q.graph, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir });
    const r = await verifyFolder({ dir, inputs: { dtype: 'float32', shape: [4, 4, 6], data: pseudoRandom(96, 21) }, targets: ['host'] });
    expect(r.targets[0].mismatch).toBeUndefined();
    const trace = r.targets[0].floatTrace!;
    expect(trace.kind, JSON.stringify(trace)).toBe('all-match');
    if (trace.kind === 'all-match') expect(trace.float.maxRelError).toBeLessThanOrEqual(FLOAT_TOLERANCE);
    expect(r.ok).toBe(true);
  }, 120_000);
});

/** W4A8: int4 symmetric per-channel weights with int8 activations (`--bits w4a8`), end to end.
 * The quantizer gives every Conv/FC weight 4 bits from the WidthPlan; the QDQ export writes them
 * as INT4 initializers behind DequantizeLinear at opset 21, which onnxruntime-node runs (within a
 * quantization step of qgc's interpreter: it requantizes in float) and lowerQdq reads back to the
 * same graph; the CLI quantizes, runs and compiles such models; the C backend's int4 kernels
 * (cmsis-nn arm_*_s4 and portable qgc_*_s4) are bit-exact with the interpreter on every example,
 * on the host (ASan + UBSan) and under QEMU on Cortex-M4 and M55; and wasm refuses int4. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { ErrorCode } from '../src/errors.js';
import { runGraph } from '../src/interp/run.js';
import type { Graph } from '../src/ir/graph.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { loadModel, loadModelBytes } from '../src/onnx/load.js';
import { decodeModel } from '../src/onnx/proto.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { openCalibration } from '../src/quant/calib-data.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { BITS_PRESETS, parseBits } from '../src/quant/widths.js';
import { cli } from './support/cli.js';
import { errorOf } from './support/errors.js';
import { example } from './support/examples.js';
import { graphDifferences, perOpCrossCheck } from './support/qdq-check.js';
import { tempFolders } from './support/tmp.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';

const tmp = tempFolders('qgc-w4a8-');
const fm = example('fashion-mnist');
const EXAMPLES = ['fashion-mnist', 'fashion-mnist-dwsep', 'fashion-mnist-residual', 'kws-dscnn'];
const INT4 = 22; // onnx.TensorProto.DataType.INT4

function quantizedW4(name: string): { float: Graph; q: Graph } {
  const dir = join('examples', name);
  const float = runPipeline(loadModel(join(dir, 'model.onnx')).graph, optimizationPasses);
  const stats = collectStats(float, openCalibration(float, [join(dir, 'calib.npy')]).samples());
  const q = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }), { widths: parseBits('w4a8') }).graph;
  return { float, q };
}

const linearNodes = (g: Graph) => g.nodes.filter((n) => n.op === 'QConv' || n.op === 'QFullyConnected');

describe('W4A8 in the quantizer and QDQ', () => {
  const { float, q } = quantizedW4('fashion-mnist-dwsep');

  it('gives every Conv/FC weight 4 bits (values in [-7, 7], scale max|w| / 7) and keeps activations at 8', () => {
    expect(BITS_PRESETS.w4a8).toEqual({ weightBits: 4, activationBits: 8 });
    const nodes = linearNodes(q);
    expect(nodes.length).toBeGreaterThan(3);
    for (const n of nodes) {
      const w = q.tensors.get(n.inputs[1])!;
      expect(w.quant!.bits).toBe(4);
      const data = w.data as Int8Array;
      expect(data.every((v) => v >= -7 && v <= 7)).toBe(true);
      expect(data.some((v) => Math.abs(v) === 7)).toBe(true); // the range is used
      expect(q.tensors.get(n.outputs[0])!.quant!.bits).toBe(8);
    }
    // The float weights' largest magnitude per channel lands on ±7.
    const conv = nodes[0];
    const fw = float.tensors.get(float.nodes.find((n) => n.name === conv.name)!.inputs[1])!.data as Float32Array;
    const per = fw.length / q.tensors.get(conv.inputs[1])!.shape[0];
    const maxAbs = Math.max(...Array.from(fw.subarray(0, per), Math.abs));
    expect(q.tensors.get(conv.inputs[1])!.quant!.scale[0]).toBe(Math.fround(maxAbs / 7));
  });

  it('a per-node WidthPlan entry overrides the uniform widths (what a per-layer search sets)', () => {
    const stats = collectStats(float, openCalibration(float, [join('examples', 'fashion-mnist-dwsep', 'calib.npy')]).samples());
    const first = float.nodes.find((n) => n.op === 'Conv')!.name;
    const mixed = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }), { widths: { uniform: BITS_PRESETS.w8a8, perNode: new Map([[first, BITS_PRESETS.w4a8]]) } }).graph;
    const bits = linearNodes(mixed).map((n) => [n.name, mixed.tensors.get(n.inputs[1])!.quant!.bits]);
    expect(bits[0]).toEqual([first, 4]);
    expect(bits.slice(1).every(([, b]) => b === 8)).toBe(true);
  });

  it('exports INT4 weights behind DequantizeLinear at opset 21, and lowerQdq reads back the same graph', () => {
    const bytes = exportQdq(q);
    const model = decodeModel(bytes);
    expect(Number(model.opsetImport[0].version)).toBe(21);
    const weights = new Set(linearNodes(q).map((n) => n.inputs[1]));
    const inits = model.graph!.initializer!.filter((t) => weights.has(t.name!));
    expect(inits.length).toBe(weights.size);
    for (const t of inits) {
      expect(t.dataType).toBe(INT4);
      const count = (t.dims as number[]).reduce((a, b) => a * Number(b), 1);
      expect(t.rawData!.length).toBe(Math.ceil(count / 2)); // two per byte
    }
    const back = lowerQdq(loadModelBytes(bytes).graph);
    expect(graphDifferences(back, q)).toEqual([]);
    const widths = (g: Graph) => [...g.tensors.values()].filter((t) => t.quant).map((t) => `${t.name}:${t.quant!.bits}`).sort();
    expect(widths(back)).toEqual(widths(q));
    expect(() => exportQdq(q, { opset: 13 })).toThrow(/INT4 from opset 21/);
    expect(exportQdq(q)).toEqual(bytes); // same graph, same bytes
  });

  it('onnxruntime-node runs the INT4 QDQ model: every op within one step of qgc\'s interpreter on the same int8 inputs', async () => {
    const x = example('fashion-mnist-dwsep').testX();
    const per = x.data.length / x.shape[0];
    const shape = [1, ...x.shape.slice(1)];
    const feeds = [0, 1, 2, 3].map((i) => new Map([[q.inputs[0], { dtype: 'float32' as const, shape, data: (x.data as Float32Array).slice(i * per, (i + 1) * per) }]]));
    const perOp = await perOpCrossCheck(q, feeds);
    expect(perOp.size).toBe(q.nodes.length - 2);
    for (const [n, d] of perOp) expect(d.maxDiff, `${n.op} '${n.name}'`).toBeLessThanOrEqual(1);
    // End to end (onnxruntime requantizes in float, so one-step ties compound over the layers):
    // the same top-1 class on every sample.
    const session = await ort.InferenceSession.create(exportQdq(q));
    for (const f of feeds) {
      const v = f.get(q.inputs[0])!;
      const theirs = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', v.data, shape) }))[session.outputNames[0]].data as Float32Array;
      const ours = runGraph(q, f).get(q.outputs[0])!.data as Float32Array;
      const top = (a: Float32Array) => a.indexOf(Math.max(...a));
      expect(top(theirs)).toBe(top(ours));
    }
    await session.release();
  });
});

describe('W4A8 on the command line', () => {
  it('qgc quantize --bits w4a8 writes INT4 weights that qgc run --int runs; qgc compile --bits w4a8 writes them to net.qdq.onnx', async () => {
    const dir = tmp();
    const qdq = join(dir, 'w4.onnx');
    const r = await cli('quantize', fm.model, '--calib', join(fm.dir, 'calib.npy'), '--bits', 'w4a8', '-o', qdq);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ w4a8, nearest rounding, weights per channel/);
    const model = decodeModel(readFileSync(qdq));
    const int4Weights = (m: typeof model) => m.graph!.initializer!.filter((t) => t.dataType === INT4 && !t.name!.endsWith('zero_point')).length;
    expect(int4Weights(model)).toBe(3);
    const out = join(dir, 'y.npy');
    const run = await cli('run', '--int', qdq, '--input', join(fm.dir, 'test_x.npy'), '--output', out);
    expect(run.code, run.err).toBe(0);
    expect(existsSync(out)).toBe(true);
    const c = await cli('compile', fm.model, '--calib', join(fm.dir, 'calib.npy'), '--bits', 'w4a8', '--target', 'cortex-m4', '-o', join(dir, 'c'));
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/arm_convolve_s4/);
    expect(c.out).toMatch(/arm_fully_connected_s4/);
    expect(int4Weights(decodeModel(readFileSync(join(dir, 'c', 'net.qdq.onnx'))))).toBe(3);
  });

  it('refuses unknown widths, widths without kernels yet, --bits on a QDQ model, and int4 on wasm', async () => {
    const dir = tmp();
    const calib = join(fm.dir, 'calib.npy');
    const unknown = await cli('quantize', fm.model, '--calib', calib, '--bits', 'w3a8', '-o', join(dir, 'x.onnx'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/QGC\d+.*--bits 'w3a8' is unknown.*w8a8, w4a8/);
    const later = await cli('quantize', fm.model, '--calib', calib, '--bits', 'w8a16', '-o', join(dir, 'x.onnx'));
    expect(later.code).toBe(2);
    expect(later.err).toMatch(/--bits w8a16: int16 activations .* not implemented yet/);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
    const qdq = join(dir, 'q.onnx');
    expect((await cli('quantize', fm.model, '--calib', calib, '-o', qdq)).code).toBe(0);
    const again = await cli('run', '--int', qdq, '--bits', 'w4a8', '--input', join(fm.dir, 'test_x.npy'));
    expect(again.err).toMatch(/already quantized; --bits is for float models/);
    const { q } = quantizedW4('fashion-mnist');
    const conv = q.nodes.find((n) => n.op === 'QConv')!;
    const e = errorOf(() => compileWasm(q, { target: 'wasm', name: 'net', outDir: tmp() }));
    expect(e.code).toBe(ErrorCode.UnsupportedDType);
    expect(e.where).toEqual({ node: conv.name, op: 'QConv', tensor: conv.inputs[1] });
    expect(e.message).toMatch(/has 4-bit values; the Wasm kernels take 8-bit weights only/);
  });
});

describe('W4A8 in C: bit-exact with the interpreter on every example', () => {
  for (const name of EXAMPLES) {
    for (const kernels of ['cmsis-nn', 'portable'] as const) {
      it(`${name}, ${kernels}: host (ASan + UBSan), Cortex-M4 and Cortex-M55 under QEMU`, async (ctx) => {
        needs(ctx, GCC, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
        const dir = tmp();
        const ex = join('examples', name);
        const c = await cli('compile', join(ex, 'model.onnx'), '--calib', join(ex, 'calib.npy'), '--bits', 'w4a8', '--target', 'cortex-m4', '--kernels', kernels, '-o', dir);
        expect(c.code, c.err).toBe(0);
        const v = await cli('verify', dir, '--inputs', join(ex, 'test_x.npy'), '--limit', '3', '--targets', 'host,cortex-m4,cortex-m55');
        expect(v.code, v.out + v.err).toBe(0);
        expect(v.out.split('\n').filter((l) => / 3 .*bit-exact/.test(l)).length, v.out).toBe(3);
      }, 120_000);
    }
  }
});

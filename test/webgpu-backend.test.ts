/** The WebGPU backend on Dawn (SwiftShader's Vulkan driver in CI), one device for the file: the
 * hand-made graphs that reach every kernel path (each convolution shape, depthwise, grouped,
 * dilated, 1-D, pooling with padding and ceil mode, in-place add and clamp, concat with and
 * without requantization, Pad in every mode, softmax, batches, boundary transposes) and
 * requantization at the ends of its range, on both dot products; the QLinearConv conformance
 * case; a model with two inputs and two outputs; the loader's API (metadata, TypeErrors naming
 * the shape, runBatch = run); and bad input: a device below a needed limit, no packed dot
 * product (the fallback is taken), a lost device mid-run. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWebgpu } from '../src/backends/webgpu/emit.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Graph, Node, Tensor } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import { readFileChecked } from '../src/onnx/load.js';
import { importModel } from '../src/onnx/import.js';
import { decodeModel, decodeTensor } from '../src/onnx/proto.js';
import { tensorFromProto } from '../src/onnx/tensor.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import type { DawnDevice } from '../src/verify/dawn.js';
import { verifyWebgpuFolder } from '../src/verify/webgpu.js';
import { ALL_CASES, cnn } from './support/c-graphs.js';
import { randomSamples } from './support/c-harness.js';
import { cli } from './support/cli.js';
import { NODE_TEST_ROOT } from './support/conformance.js';
import { GOLDEN_CASES } from './support/golden-graphs.js';
import { QGraphBuilder } from './support/qgraph.js';
import { DAWN, ONNX_TESTDATA, describeNeeding, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';
import { testGpu, type TestGpu } from './support/webgpu.js';

const tmp = tempFolders('qgc-webgpu-');

interface LoadedNet {
  dotProduct: 'packed' | 'unpacked';
  inputs: { name: string; shape: number[]; dtype: string; scale: number; zeroPoint: number }[];
  outputs: { name: string; shape: number[]; dtype: string; scale: number; zeroPoint: number }[];
  steps: { index: number; name: string; op: string; kernel: string; shader: string }[];
  run(x: unknown): Promise<Int8Array | Record<string, Int8Array>>;
  runBatch(x: unknown): Promise<(Int8Array | Record<string, Int8Array>)[]>;
  runF32(x: unknown): Promise<Float32Array | Record<string, Float32Array>>;
  runBatchF32(x: unknown): Promise<(Float32Array | Record<string, Float32Array>)[]>;
  destroy(): void;
}
interface NetOptions {
  dotProduct?: string;
  wgslLanguageFeatures?: { has(f: string): boolean };
  batch?: number;
}
type Loader = { createNet(device: unknown, options?: NetOptions): Promise<LoadedNet> };
let loads = 0;
const load = async (file: string) => (await import(`${pathToFileURL(file).href}?v=${++loads}`)) as Loader;

let gpu: TestGpu;
const features = () => gpu.wgslLanguageFeatures;

/** Compiles to a new folder and verifies both dot products on `count` random float samples. */
async function compileAndVerify(graph: Graph, inputShape: readonly number[], rand: () => number, count = 4) {
  const dir = join(tmp(), 'out');
  compileWebgpu(graph, { target: 'webgpu', name: 'net', outDir: dir });
  const samples = randomSamples(rand, inputShape, count);
  const stacked = new Float32Array(samples.reduce((a, s) => a + s.length, 0));
  samples.forEach((s, k) => stacked.set(s, k * s.length));
  const x = { dtype: 'float32' as const, shape: [inputShape[0] * count, ...inputShape.slice(1)], data: stacked };
  return { dir, result: await verifyWebgpuFolder({ dir, inputs: x, device: gpu.device as unknown as DawnDevice }) };
}

describeNeeding([DAWN], 'WebGPU backend: bit-exact with the integer interpreter on every kernel path, both dot products', () => {
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.device.destroy());

  for (const make of [...ALL_CASES, ...GOLDEN_CASES]) {
    const c = make();
    it(`${c.name}: packed and unpacked dot products, run, runBatch and runF32`, async () => {
      const { result } = await compileAndVerify(c.graph, c.inputShape, c.rand);
      expect(result.paths.map((p) => p.path)).toEqual(['packed', 'unpacked']);
      for (const p of result.paths) {
        expect(p.mismatch, p.message).toBeUndefined();
        expect(p.samples).toBe(4);
        expect(p.bytes).toBeGreaterThan(0);
      }
    }, 120_000);
  }

  it('requantization at the ends of its range (shifts -31..30, multipliers 0..2^31-1) in conv, depthwise and FC', async () => {
    const b = new QGraphBuilder(5);
    let y = b.conv(b.input([1, 3, 6, 6]), { outC: 13, k: [3, 3], pads: [1, 1, 1, 1] });
    y = b.conv(y, { outC: 13, k: [3, 3], pads: [1, 1, 1, 1], group: 13 });
    y = b.fc(b.reshape(y, [1, 13 * 36]), 11);
    const g = b.build(y);
    const mults = [0, 1, 2 ** 30, 2 ** 31 - 1, 1518500250, 1073741825, 2147483000];
    const shifts = [-31, -25, -17, -12, -9, -5, -1, 0, 1, 2, 7, 18, 30];
    let k = 0;
    for (const n of g.nodes) {
      if (n.op !== 'QConv' && n.op !== 'QFullyConnected') continue;
      const len = n.attrs.multiplier.length;
      n.attrs.multiplier = Int32Array.from({ length: len }, (_, i) => mults[(i + k) % mults.length]);
      n.attrs.shift = Int32Array.from({ length: len }, (_, i) => shifts[(i * 5 + k) % shifts.length]);
      n.attrs.outputZeroPoint = 0;
      k++;
    }
    const { result } = await compileAndVerify(g, [1, 3, 6, 6], b.rand, 6);
    for (const p of result.paths) expect(p.mismatch, p.message).toBeUndefined();
  }, 120_000);

  it('four output channels per invocation and one: 8 and 12 channels in groups of 4, 6 and 2', async () => {
    const b = new QGraphBuilder(17);
    let y = b.conv(b.input([2, 8, 5, 5]), { outC: 8, k: [3, 3], pads: [1, 1, 1, 1], group: 2 });
    y = b.conv(y, { outC: 12, k: [1, 1], group: 2 });
    y = b.conv(y, { outC: 12, k: [3, 1], pads: [1, 0, 1, 0], group: 6 });
    const { result } = await compileAndVerify(b.build(y), [2, 8, 5, 5], b.rand, 4);
    for (const p of result.paths) expect(p.mismatch, p.message).toBeUndefined();
  }, 120_000);

  it('the workgroup size is the target\'s: 8x8x1 workgroups (test/data/targets/webgpu-dp4a.json) give the same bytes', async () => {
    const c = cnn();
    const dir = join(tmp(), 'out');
    compileWebgpu(c.graph, { target: 'test/data/targets/webgpu-dp4a.json', name: 'net', outDir: dir });
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.wgsl'))) expect(readFileSync(join(dir, f), 'utf8'), f).toContain('@workgroup_size(8, 8, 1)');
    expect(readFileSync(join(dir, 'net.linear.wgsl'), 'utf8')).not.toContain('@workgroup_size(64, 1, 1)');
    const samples = randomSamples(c.rand, c.inputShape, 4);
    const x = { dtype: 'float32' as const, shape: [4, ...c.inputShape.slice(1)], data: Float32Array.from(samples.flatMap((s) => Array.from(s))) };
    const r = await verifyWebgpuFolder({ dir, inputs: x, device: gpu.device as unknown as DawnDevice });
    for (const p of r.paths) expect(p.mismatch, p.message).toBeUndefined();
    expect(r.paths).toHaveLength(2);
  }, 120_000);

  it('the QLinearConv conformance case (lowered from ONNX) is bit-exact on both dot products', async (ctx) => {
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
    compileWebgpu(graph, { target: 'webgpu', name: 'net', outDir: out });
    const loader = await load(join(out, 'net.js'));
    for (const dotProduct of ['packed', 'unpacked']) {
      const net = await loader.createNet(gpu.device, { dotProduct, wgslLanguageFeatures: features() });
      expect(Array.from((await net.run(in8)) as Int8Array), dotProduct).toEqual(Array.from(want));
      net.destroy();
    }
    const r = await verifyWebgpuFolder({ dir: out, inputs: { dtype: 'int8', shape, data: in8 }, device: gpu.device as unknown as DawnDevice });
    expect(r.ok).toBe(true);
    expect(r.paths).toHaveLength(2);
  });

  it('two inputs and two outputs (test/data/two-heads): by name, bit-exact through the CLI', async () => {
    const DATA = 'test/data/two-heads';
    const dir = join(tmp(), 'out');
    const c = await cli('compile', `${DATA}/model.onnx`, '--target', 'webgpu', '--calib', `a=${DATA}/ca.npy`, '--calib', `b=${DATA}/cb.npy`, '-o', dir);
    expect(c.code, c.err).toBe(0);
    const v = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--inputs', `b=${DATA}/tb.npy`);
    expect(v.code, v.err).toBe(0);
    // 8 samples, each (5 + 3) int8 outputs and (5 + 3) floats.
    expect(v.out).toMatch(/webgpu packed\s+folder\s+8\s+320\s+bit-exact/);
    expect(v.out).toMatch(/webgpu unpacked\s+folder\s+8\s+320\s+bit-exact/);
    const net = await (await load(join(dir, 'net.js'))).createNet(gpu.device);
    expect(net.inputs.map((i) => [i.name, i.shape])).toEqual([['a', [1, 1, 12, 12]], ['b', [1, 2, 12, 12]]]);
    expect(net.outputs.map((o) => [o.name, o.shape])).toEqual([['y1', [1, 5]], ['y2', [1, 3]]]);
    const out = (await net.run({ a: new Int8Array(144), b: new Int8Array(288) })) as Record<string, Int8Array>;
    expect(Object.keys(out)).toEqual(['y1', 'y2']);
    expect([out.y1.length, out.y2.length]).toEqual([5, 3]);
    await expect(net.run(new Int8Array(144))).rejects.toThrow(TypeError);
    await expect(net.run({ a: new Int8Array(144) })).rejects.toThrow(/input 'b' must be a Int8Array of shape \[1, 2, 12, 12\] \(288 values\)/);
    expect(readFileSync(join(dir, 'net.d.ts'), 'utf8')).toMatch(/readonly a: T;[\s\S]*readonly b: T;[\s\S]*y1: T;[\s\S]*y2: T;/);
    net.destroy();
  }, 120_000);

  it('the loader: metadata as the Wasm backend gives it, TypeErrors naming the shape, runBatch gives what run gives', async () => {
    const c = cnn();
    const dir = join(tmp(), 'out');
    compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
    const net = await (await load(join(dir, 'net.js'))).createNet(gpu.device, { wgslLanguageFeatures: features() });
    expect(net.dotProduct).toBe('packed');
    expect(net.inputs).toEqual([{ name: expect.any(String), shape: [1, 3, 9, 9], dtype: 'int8', scale: expect.any(Number), zeroPoint: expect.any(Number) }]);
    expect(net.outputs).toEqual([{ name: expect.any(String), shape: [1, 10], dtype: 'int8', scale: expect.any(Number), zeroPoint: expect.any(Number) }]);
    await expect(net.run(new Int8Array(242))).rejects.toThrow(/run: input '.*' must be a Int8Array of shape \[1, 3, 9, 9\] \(243 values\), got Int8Array of 242 values/);
    await expect(net.run(new Uint8Array(243))).rejects.toThrow(TypeError);
    await expect(net.runF32(new Int8Array(243))).rejects.toThrow(/Float32Array of shape \[1, 3, 9, 9\]/);
    await expect(net.runBatch([new Int8Array(243), new Int8Array(7)])).rejects.toThrow(/runBatch \(sample 1\): input .* \(243 values\), got Int8Array of 7 values/);
    await expect(net.runBatch(new Int8Array(243))).rejects.toThrow(/expected an Array of samples/);
    const xs = Array.from({ length: 5 }, (_, k) => Int8Array.from({ length: 243 }, (_, i) => ((i + 1) * (k + 3) * 37) % 256 - 128));
    const single = [];
    for (const x of xs) single.push(Array.from((await net.run(x)) as Int8Array));
    expect((await net.runBatch(xs)).map((o) => Array.from(o as Int8Array))).toEqual(single);
    // A batch larger than any before grows the arena; a smaller one after it reuses it.
    expect((await net.runBatch([...xs, ...xs])).map((o) => Array.from(o as Int8Array))).toEqual([...single, ...single]);
    expect(Array.from((await net.run({ [net.inputs[0].name]: xs[2] })) as Int8Array)).toEqual(single[2]);
    const f = Float32Array.from({ length: 243 }, (_, i) => Math.sin(i));
    expect(Array.from((await net.runBatchF32([f]))[0] as Float32Array)).toEqual(Array.from((await net.runF32(f)) as Float32Array));
    // Concurrent calls are queued, not interleaved.
    const both = await Promise.all(xs.map((x) => net.run(x)));
    expect(both.map((o) => Array.from(o as Int8Array))).toEqual(single);
    const report = JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as { layers: { kernel: string }[] };
    expect(net.steps.map((st) => st.kernel)).toEqual(report.layers.map((l) => l.kernel));
    expect(readFileSync(join(dir, 'net.js'), 'utf8')).not.toMatch(/\beval\b|new Function|Function\(/);
    net.destroy();
    await expect(net.run(xs[0])).rejects.toThrow(/destroyed/);
  }, 120_000);

  it('without packed_4x8_integer_dot_product the unpack shaders run; asking for packed names the feature', async () => {
    const c = cnn();
    const dir = join(tmp(), 'out');
    compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
    const loader = await load(join(dir, 'net.js'));
    const none = new Set<string>();
    const x = Int8Array.from({ length: 243 }, (_, i) => (i * 11) % 256 - 128);
    const fallback = await loader.createNet(gpu.device, { wgslLanguageFeatures: none });
    expect(fallback.dotProduct).toBe('unpacked');
    const packed = await loader.createNet(gpu.device, { wgslLanguageFeatures: features() });
    expect(packed.dotProduct).toBe('packed');
    expect(Array.from((await fallback.run(x)) as Int8Array)).toEqual(Array.from((await packed.run(x)) as Int8Array));
    await expect(loader.createNet(gpu.device, { dotProduct: 'packed', wgslLanguageFeatures: none })).rejects.toThrow(/needs the WGSL language feature packed_4x8_integer_dot_product/);
    await expect(loader.createNet(gpu.device, { dotProduct: 'fast' })).rejects.toThrow(/'auto', 'packed' or 'unpacked'/);
    await expect(loader.createNet({})).rejects.toThrow(/expected a GPUDevice/);
    // A target without the feature writes only the unpack shaders.
    const t = JSON.parse(readFileSync('targets/webgpu.json', 'utf8')) as { name: string; features: { packed4x8IntegerDotProduct: boolean } };
    t.name = 'webgpu-nodot';
    t.features.packed4x8IntegerDotProduct = false;
    const tfile = join(tmp(), 'webgpu-nodot.json');
    writeFileSync(tfile, JSON.stringify(t));
    const plain = join(tmp(), 'plain');
    compileWebgpu(c.graph, { target: tfile, name: 'net', outDir: plain });
    expect(readdirSync(plain).filter((f) => f.endsWith('.wgsl')).sort()).toEqual(['net.linear.wgsl', 'net.pool.wgsl', 'net.softmax.wgsl']);
    const plainNet = await (await load(join(plain, 'net.js'))).createNet(gpu.device, { wgslLanguageFeatures: features() });
    expect(plainNet.dotProduct).toBe('unpacked');
    await expect((await load(join(plain, 'net.js'))).createNet(gpu.device, { dotProduct: 'packed', wgslLanguageFeatures: features() })).rejects.toThrow(/compiled without dot4I8Packed shaders/);
    for (const n of [fallback, packed, plainNet]) n.destroy();
  }, 120_000);

  it('a device below a limit the network needs gets an error naming the limit', async () => {
    const c = cnn();
    // Workgroups of 512 invocations (the target allows them; SwiftShader gives 256).
    const t = JSON.parse(readFileSync('targets/webgpu.json', 'utf8')) as { name: string; limits: Record<string, number>; tiling: { workgroupSize: number[] } };
    t.name = 'webgpu-wide';
    t.limits.maxComputeInvocationsPerWorkgroup = 1024;
    t.limits.maxComputeWorkgroupSizeX = 1024;
    t.tiling.workgroupSize = [512, 1, 1];
    const tfile = join(tmp(), 'webgpu-wide.json');
    writeFileSync(tfile, JSON.stringify(t));
    const dir = join(tmp(), 'wide');
    compileWebgpu(c.graph, { target: tfile, name: 'net', outDir: dir });
    await expect((await load(join(dir, 'net.js'))).createNet(gpu.device)).rejects.toThrow(
      /needs the device limit maxComputeWorkgroupSizeX >= 512, the device has 256; request it with adapter\.requestDevice\(\{ requiredLimits: \{ maxComputeWorkgroupSizeX: 512 \} \}\)/);
    // A batch whose arena is above maxStorageBufferBindingSize names that limit.
    const b = new QGraphBuilder(3);
    const big = b.build(b.conv(b.input([1, 16, 64, 64]), { outC: 16, k: [1, 1] }));
    const bigDir = join(tmp(), 'big');
    compileWebgpu(big, { target: 'webgpu', name: 'net', outDir: bigDir });
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    const perSample = (JSON.parse(readFileSync(join(bigDir, 'net_report.json'), 'utf8')) as { totals: { sampleBytes: number } }).totals.sampleBytes;
    const batch = Math.floor(limit / perSample) + 1;
    await expect((await load(join(bigDir, 'net.js'))).createNet(gpu.device, { batch })).rejects.toThrow(
      new RegExp(`${batch} samples need ${batch * perSample} bytes of arena, above the device's maxStorageBufferBindingSize \\(${limit}\\)`));
  }, 120_000);

  it('verify finds shaders that compute something else (same layout, other weights)', async () => {
    const make = (seed: number) => {
      const b = new QGraphBuilder(seed);
      return b.build(b.fc(b.reshape(b.conv(b.input([1, 2, 6, 6]), { outC: 4, k: [3, 3] }), [1, 64]), 5));
    };
    const dir = join(tmp(), 'out');
    compileWebgpu(make(1), { target: 'webgpu', name: 'net', outDir: dir });
    const other = compileWebgpu(make(2), { target: 'webgpu', name: 'net' });
    writeFileSync(join(dir, 'net.weights.bin'), other.files.get('net.weights.bin')!);
    const x = { dtype: 'float32' as const, shape: [4, 2, 6, 6], data: new Float32Array(288).map((_, i) => Math.cos(i)) };
    const r = await verifyWebgpuFolder({ dir, inputs: x, device: gpu.device as unknown as DawnDevice });
    expect(r.ok).toBe(false);
    expect(r.paths.map((p) => p.path)).toEqual(['packed', 'unpacked']);
    for (const p of r.paths) expect(p.message).toMatch(new RegExp(`^sample 0, net\\.run output .* WGSL with the ${p.path} dot product gives -?\\d+, the interpreter -?\\d+`));
  });

  it('a device lost in the middle of a run rejects the pending run', async () => {
    const own = await testGpu();
    const c = cnn();
    const dir = join(tmp(), 'out');
    compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
    const net = await (await load(join(dir, 'net.js'))).createNet(own.device);
    const pending = net.run(new Int8Array(243));
    own.device.destroy();
    await expect(pending).rejects.toThrow(/the GPU device was lost \(destroyed/);
    await expect(net.run(new Int8Array(243))).rejects.toThrow(/device was lost/);
  }, 60_000);
});

it('net.d.ts takes the DOM\'s GPUDevice: a consumer type-checks against it', () => {
  const dir = join(tmp(), 'out');
  compileWebgpu(cnn().graph, { target: 'webgpu', name: 'net', outDir: dir });
  writeFileSync(join(dir, 'use.ts'), [
    "import { createNet } from './net.js';",
    'export async function classify(device: GPUDevice, x: Int8Array): Promise<number> {',
    '  const net = await createNet(device, { wgslLanguageFeatures: navigator.gpu.wgslLanguageFeatures, dotProduct: \'auto\' });',
    '  const [y] = await net.runBatch([x]);',
    '  const z: Float32Array = await net.runF32(new Float32Array(243));',
    '  net.destroy();',
    '  return (await net.run(x)).length + y.length + z.length + net.inputs[0].shape.length;',
    '}',
  ].join('\n'));
  const program = ts.createProgram([join(dir, 'use.ts')], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], strict: true, noEmit: true, types: [], skipLibCheck: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
});

it('the same graph gives the same bytes', () => {
  const a = compileWebgpu(cnn().graph, { target: 'webgpu', name: 'net' });
  const b = compileWebgpu(cnn().graph, { target: 'webgpu', name: 'net' });
  for (const [f, content] of a.files) expect(b.files.get(f), f).toEqual(content);
});

it('errors come before any file is written: an op without a WGSL kernel, a 3-D window, another kind of target, --kernels', async () => {
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
    compileWebgpu(g, { target: 'webgpu', name: 'net', outDir: dir });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CompileError);
  expect((err as CompileError).code).toBe(ErrorCode.UnsupportedOp);
  expect((err as CompileError).where).toMatchObject({ node: 'my sigmoid', op: 'Sigmoid' });
  expect((err as CompileError).message).toMatch(/the WebGPU backend has no kernel for Sigmoid/);
  expect(existsSync(dir)).toBe(false);
  const b3 = new QGraphBuilder(2);
  expect(() => compileWebgpu(b3.build(b3.conv(b3.input([1, 2, 4, 4, 4]), { outC: 2, k: [1, 1, 1] })), { target: 'webgpu', name: 'net' })).toThrow(/3-D windows/);
  expect(() => compileWebgpu(cnn().graph, { target: 'wasm', name: 'net' })).toThrow(/kind wasm; the WebGPU backend compiles for kind webgpu targets/);
  const k = await cli('compile', 'examples/fashion-mnist/model.onnx', '--target', 'webgpu', '--kernels', 'portable', '--calib', 'examples/fashion-mnist/calib.npy', '-o', join(tmp(), 'k'));
  expect(k.code).toBe(2);
  expect(k.err).toMatch(/--kernels chooses the kernel provider of a C target/);
  mkdirSync(join(tmp(), 'x'));
});

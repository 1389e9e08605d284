/** The example models through the WebGPU backend as a user runs them: `qgc compile --target
 * webgpu` (float models quantized on their calibration data, the QAT models' QDQ as they are),
 * then `qgc verify`, which loads the folder's
 * net.js in Node and runs its shaders on Dawn (SwiftShader's Vulkan driver in CI) with both dot
 * products (dot4I8Packed and unpack-and-multiply): every byte of `net.run`, `net.runBatch` and
 * `net.runF32` on the test images equals the integer interpreter's; the folder's net.qdq.onnx is
 * the same int8 network (it lowers back to the bytes compiled). One device for the file. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MARKER } from '../src/backends/c/output-dir.js';
import { compileWebgpu } from '../src/backends/webgpu/emit.js';
import { exportQdq } from '../src/onnx/export-qdq.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { dawnDevice, type DawnDevice } from '../src/verify/dawn.js';
import { readWebgpuFolder, verifyWebgpuFolder } from '../src/verify/webgpu.js';
import { cli } from './support/cli.js';
import { availableExamples } from './support/examples.js';
import { DAWN, describeNeeding } from './support/tools.js';


/** Test images per example (of the 256 the Fashion-MNIST ones ship, 64 for KWS): SwiftShader
 * runs on the CI machine's CPU. QGC_WEBGPU_EXAMPLE_IMAGES=all runs every image. */
const ALL = process.env.QGC_WEBGPU_EXAMPLE_IMAGES === 'all';
const LIMIT = ALL ? 256 : 32;

interface ExampleCase {
  name: string;
  model: string;
  /** Calibration data (float models); QDQ models compile as they are. */
  calib?: string;
  testX: string;
  classes: number;
  limit: number;
}

const CASES: ExampleCase[] = [
  ...availableExamples().map((ex) => ({ name: ex.name, model: ex.model, calib: `${ex.dir}/calib.npy`, testX: `${ex.dir}/test_x.npy`, classes: 10, limit: LIMIT })),
  ...['model.onnx', 'model-torch1.13.onnx'].map((f) => ({ name: `fashion-mnist-qat/${f}`, model: `examples/fashion-mnist-qat/${f}`, testX: 'examples/fashion-mnist/test_x.npy', classes: 10, limit: LIMIT })),
  // The MobileNetV3-style example (Hard-Swish, squeeze-excite with HardSigmoid and a broadcast
  // Mul, a residual Add): every op int8, so all of it runs in WGSL.
  { name: 'fashion-mnist-mbv3', model: 'examples/fashion-mnist-mbv3/model.onnx', calib: 'examples/fashion-mnist-mbv3/calib.npy', testX: 'examples/fashion-mnist-mbv3/test_x.npy', classes: 10, limit: LIMIT },
  { name: 'kws-dscnn', model: 'examples/kws-dscnn/model.onnx', calib: 'examples/kws-dscnn/calib.npy', testX: 'examples/kws-dscnn/test_x.npy', classes: 12, limit: ALL ? 64 : 16 },
];

const roots: string[] = [];
let device: DawnDevice;

describeNeeding([DAWN], 'example models on the WebGPU backend (Dawn)', () => {
  beforeAll(async () => {
    device = (await dawnDevice()).device;
  });
  afterAll(() => {
    device?.destroy();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  for (const ex of CASES) {
    it(`${ex.name}: both dot products bit-exact on ${ex.limit} test images (run, runBatch, runF32)`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'qgc-webgpu-ex-'));
      roots.push(root);
      const dir = join(root, 'out');
      const c = await cli('compile', ex.model, '--target', 'webgpu', ...(ex.calib ? ['--calib', ex.calib] : []), '-o', dir);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(/net\.linear\.wgsl \(\+ net\.linear\.dp4a\.wgsl\)/);
      const r = await verifyWebgpuFolder({ dir, inputs: ex.testX, limit: ex.limit, device });
      expect(r.paths.map((p) => p.path)).toEqual(['packed', 'unpacked']);
      for (const p of r.paths) {
        expect(p.mismatch, p.message).toBeUndefined();
        expect(p.samples).toBe(ex.limit);
        // int8 and float logits of run, and of runF32.
        expect(p.bytes).toBe(ex.limit * ex.classes * 5);
      }
      // net.qdq.onnx: listed in the report and the marker, the compiled int8 graph as QDQ, and
      // lowered again it compiles to the same shaders, weights and parameters.
      const folder = readWebgpuFolder(dir);
      expect(folder.report.files).toContain('net.qdq.onnx');
      expect(readFileSync(join(dir, MARKER), 'utf8')).toContain('net.qdq.onnx');
      const qdq = new Uint8Array(readFileSync(join(dir, 'net.qdq.onnx')));
      expect(qdq).toEqual(exportQdq(folder.graph));
      const again = compileWebgpu(lowerQdq(loadModelBytes(qdq).graph), { target: 'webgpu', name: 'net' });
      expect(again.files.get('net.weights.bin')).toEqual(new Uint8Array(readFileSync(join(dir, 'net.weights.bin'))));
      const body = (js: string) => js.split('\n').slice(1).join('\n');
      expect(body(again.files.get('net.js') as string)).toEqual(body(readFileSync(join(dir, 'net.js'), 'utf8')));
      console.log(`${ex.name} on ${r.adapter}: ${r.paths.map((p) => `${p.path} ${(p.medianUs / 1000).toFixed(1)} ms/run, ${(p.batchUsPerSample / 1000).toFixed(1)} ms/sample in a batch of ${p.samples}`).join('; ')}`);
    }, 300_000);
  }
});


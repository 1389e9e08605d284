/**
 * `qgc verify` on a folder the WebGPU backend wrote: loads the folder's own loader (`<name>.js`)
 * in Node, creates the network on a Dawn device (src/verify/dawn.ts: SwiftShader's Vulkan
 * driver where there is no GPU) once per dot-product path (dot4I8Packed where the folder has
 * those shaders and the adapter the feature, and the unpack-and-multiply shaders), runs every
 * sample with `net.run` (int8, one submission each), `net.runBatch` (all samples in one
 * submission) and `net.runF32`, and compares every output byte with the integer interpreter on
 * the graph read from `<name>_schedule.json` (src/verify/reference.ts, compare.ts, as for C and
 * Wasm).
 */
import type { WebgpuReport } from '../backends/webgpu/report.js';
import type { Value } from '../interp/types.js';
import { bytesCompared, compareOutputs, describeMismatch, type Mismatch } from './compare.js';
import { dawn as dawnInstance, dawnDevice, type DawnDevice } from './dawn.js';
import type { SampleOutput } from './driver.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { byName, bytesOf, importLoader, isBackendFolder, loaderReference, outputsInOrder, readBackendFolder, type LoaderFolder } from './loader-io.js';

/** A folder written by the WebGPU backend. */
export type WebgpuFolder = LoaderFolder<WebgpuReport>;

/** True when `dir` holds a network the WebGPU backend compiled (its report says `backend: webgpu`). */
export function isWebgpuFolder(dir: string, name?: string): boolean {
  return isBackendFolder(dir, 'webgpu', name);
}

/** Reads the report and the integer graph of a WebGPU folder. */
export function readWebgpuFolder(dir: string, name?: string): WebgpuFolder {
  return readBackendFolder<WebgpuReport>(dir, name, 'webgpu', 'WebGPU', (r) => typeof r.shaders === 'object');
}

/** The dot product a run used ('none': no shader of the network has one). */
export type DotProductPath = 'packed' | 'unpacked' | 'none';

/** The outcome of one dot-product path. */
export interface WebgpuPathResult {
  path: DotProductPath;
  /** e.g. `webgpu packed (SwiftShader driver 5.0.0 (Vulkan, Dawn))`. */
  description: string;
  samples: number;
  bytes: number;
  mismatch?: Mismatch;
  message?: string;
  /** Median wall time of one `net.run` (one submission, read back), microseconds. */
  medianUs: number;
  /** Wall time of `net.runBatch` over all samples, per sample, microseconds. */
  batchUsPerSample: number;
  runMs: number;
}

export interface WebgpuVerifyResult {
  folder: WebgpuFolder;
  paths: WebgpuPathResult[];
  /** Dot-product paths not run, with the reason (e.g. no dot4I8Packed shaders in the folder). */
  skipped: { path: DotProductPath; reason: string }[];
  adapter: string;
  ok: boolean;
}

export interface WebgpuVerifyOptions {
  dir: string;
  name?: string;
  inputs: string | readonly string[] | Value | ReadonlyMap<string, Value>;
  limit?: number;
  /** A device to run on (the caller keeps it); default: a new Dawn device, destroyed after. */
  device?: DawnDevice;
  onProgress?: (line: string) => void;
}

/** The loader's API, as verify uses it. */
interface LoadedNet {
  dotProduct: DotProductPath;
  outputs: readonly { name: string }[];
  run(x: Record<string, Int8Array>): Promise<Int8Array | Record<string, Int8Array>>;
  runBatch(x: Record<string, Int8Array>[]): Promise<(Int8Array | Record<string, Int8Array>)[]>;
  runF32(x: Record<string, Float32Array>): Promise<Float32Array | Record<string, Float32Array>>;
  destroy(): void;
}

interface Loader {
  createNet(device: DawnDevice, options: { dotProduct: 'auto' | 'packed' | 'unpacked'; wgslLanguageFeatures: ReadonlySet<string> }): Promise<LoadedNet>;
}


/** Runs the folder's shaders on both dot-product paths on every sample; mismatches are returned (`ok: false`). */
export async function verifyWebgpuFolder(opts: WebgpuVerifyOptions): Promise<WebgpuVerifyResult> {
  const folder = readWebgpuFolder(opts.dir, opts.name);
  const ref = loaderReference(folder.graph, opts.inputs, opts.limit);
  const loader = await importLoader<Loader>(folder.dir, folder.name);
  const own = opts.device === undefined;
  const { dawn, device } = opts.device === undefined ? await dawnDevice() : { dawn: await dawnInstance(), device: opts.device };
  const features = dawn.gpu.wgslLanguageFeatures;
  const hasDot = Object.values(folder.report.shaders).some((s) => s.dot);
  const hasPackedShaders = Object.values(folder.report.shaders).some((s) => s.packed !== null);
  const paths: WebgpuPathResult[] = [];
  const skipped: WebgpuVerifyResult['skipped'] = [];
  const runnable: DotProductPath[] = [hasDot ? 'unpacked' : 'none'];
  if (!hasDot) skipped.push({ path: 'packed', reason: 'no shader of this network has a dot product' });
  else if (!hasPackedShaders) skipped.push({ path: 'packed', reason: 'the folder has no dot4I8Packed shaders (the target has features.packed4x8IntegerDotProduct false)' });
  else if (!features.has('packed_4x8_integer_dot_product')) skipped.push({ path: 'packed', reason: `${dawn.description} lacks the WGSL feature packed_4x8_integer_dot_product` });
  else runnable.unshift('packed');
  try {
    for (const path of runnable) {
      opts.onProgress?.(`verifying the ${path} dot-product shaders on ${dawn.description}...`);
      let net: LoadedNet;
      try {
        net = await loader.createNet(device, { dotProduct: path === 'none' ? 'auto' : path, wgslLanguageFeatures: features });
      } catch (e) {
        throw new VerifyError(VerifyErrorCode.RunFailed, `${folder.name}.js does not create the network on ${dawn.description}: ${(e as Error).message}`);
      }
      try {
        const t0 = performance.now();
        const outputs: SampleOutput[] = [];
        const times: number[] = [];
        for (let k = 0; k < ref.count; k++) {
          const s = performance.now();
          const o8 = outputsInOrder(net.outputs, await net.run(byName(ref, ref.in8[k])));
          times.push((performance.now() - s) * 1000);
          const oF = ref.inF ? outputsInOrder(net.outputs, await net.runF32(byName(ref, ref.inF[k]))) : [];
          outputs.push({ index: k, instructions: 0n, stack: 0, out8: bytesOf(o8), outF: bytesOf(oF) });
        }
        const b0 = performance.now();
        const batch = await net.runBatch(ref.in8.map((s) => byName(ref, s)));
        const batchUs = ((performance.now() - b0) * 1000) / Math.max(1, ref.count);
        const runMs = performance.now() - t0;
        times.sort((a, b) => a - b);
        let mismatch = compareOutputs(ref, outputs);
        let who = `WGSL with the ${path} dot product`;
        if (!mismatch) {
          // The batch must give what the single runs gave, sample by sample.
          const batched = outputs.map((o, k) => ({ ...o, out8: bytesOf(outputsInOrder(net.outputs, batch[k])) }));
          mismatch = compareOutputs(ref, batched);
          who = `WGSL with the ${path} dot product in one runBatch of ${ref.count}`;
        }
        const r: WebgpuPathResult = {
          path, description: `webgpu ${path} (${dawn.description})`, samples: ref.count, bytes: bytesCompared(ref),
          medianUs: times[Math.floor(times.length / 2)] ?? 0, batchUsPerSample: batchUs, runMs,
        };
        if (mismatch) {
          r.mismatch = mismatch;
          r.message = describeMismatch(mismatch, ref, folder.name, { who, run: 'net.run', runF32: 'net.runF32' });
        }
        paths.push(r);
      } finally {
        net.destroy();
      }
    }
  } finally {
    if (own) device.destroy();
  }
  return { folder, paths, skipped, adapter: dawn.description, ok: paths.every((p) => !p.mismatch) };
}

/**
 * `qgc verify` on a folder the Wasm backend wrote: loads the folder's own loader (`<name>.js`)
 * in Node, instantiates each module (SIMD128 and scalar) through it, runs every sample with
 * `net.run` (int8) and `net.runF32` (float), and compares every output byte with the integer
 * interpreter on the graph read from `<name>_schedule.json` (src/verify/reference.ts,
 * compare.ts, exactly as for C).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WasmReport, WasmVariant } from '../backends/wasm/report.js';
import type { Value } from '../interp/types.js';
import { bytesCompared, compareOutputs, describeMismatch, type Mismatch } from './compare.js';
import type { SampleOutput } from './driver.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { byName, bytesOf, importLoader, isBackendFolder, loaderReference, outputsInOrder, readBackendFolder, type LoaderFolder } from './loader-io.js';

/** A folder written by the Wasm backend. */
export type WasmFolder = LoaderFolder<WasmReport>;

/** True when `dir` holds a network the Wasm backend compiled (its report says `backend: wasm`). */
export function isWasmFolder(dir: string, name?: string): boolean {
  return isBackendFolder(dir, 'wasm', name);
}

/** Reads the report and the integer graph of a Wasm folder. */
export function readWasmFolder(dir: string, name?: string): WasmFolder {
  return readBackendFolder<WasmReport>(dir, name, 'wasm', 'Wasm', (r) => Array.isArray(r.modules));
}

/** The outcome of one module. */
export interface WasmModuleResult {
  variant: WasmVariant;
  /** `wasm simd (node)` / `wasm scalar (node)`. */
  description: string;
  file: string;
  moduleBytes: number;
  samples: number;
  bytes: number;
  mismatch?: Mismatch;
  message?: string;
  /** Median wall time of one `net.run`, microseconds. */
  medianUs: number;
  runMs: number;
}

export interface WasmVerifyResult {
  folder: WasmFolder;
  modules: WasmModuleResult[];
  ok: boolean;
}

export interface WasmVerifyOptions {
  dir: string;
  name?: string;
  inputs: string | readonly string[] | Value | ReadonlyMap<string, Value>;
  limit?: number;
  onProgress?: (line: string) => void;
}

/** The loader's API, as verify uses it. */
interface LoadedNet {
  simd: boolean;
  outputs: readonly { name: string }[];
  run(x: Record<string, Int8Array>): Int8Array | Record<string, Int8Array>;
  runF32(x: Record<string, Float32Array>): Float32Array | Record<string, Float32Array>;
}

interface Loader {
  createNet(source: Uint8Array): Promise<LoadedNet>;
}


/** Runs every module of the folder on every sample; mismatches are returned (`ok: false`). */
export async function verifyWasmFolder(opts: WasmVerifyOptions): Promise<WasmVerifyResult> {
  const folder = readWasmFolder(opts.dir, opts.name);
  const ref = loaderReference(folder.graph, opts.inputs, opts.limit);
  const loader = await importLoader<Loader>(folder.dir, folder.name);
  const modules: WasmModuleResult[] = [];
  for (const m of folder.report.modules) {
    opts.onProgress?.(`verifying the ${m.variant} module in Node...`);
    const binary = new Uint8Array(readFileSync(join(folder.dir, m.file)));
    let net: LoadedNet;
    try {
      net = await loader.createNet(binary);
    } catch (e) {
      throw new VerifyError(VerifyErrorCode.RunFailed, `${m.file} does not load in Node: ${(e as Error).message}`, m.variant === 'simd' ? 'Node >= 20 runs SIMD128; compile again if the file is damaged.' : undefined);
    }
    const t0 = performance.now();
    const outputs: SampleOutput[] = [];
    const times: number[] = [];
    for (let k = 0; k < ref.count; k++) {
      const s = performance.now();
      const o8 = outputsInOrder(net.outputs, net.run(byName(ref, ref.in8[k])));
      times.push((performance.now() - s) * 1000);
      const oF = ref.inF ? outputsInOrder(net.outputs, net.runF32(byName(ref, ref.inF[k]))) : [];
      outputs.push({ index: k, instructions: 0n, stack: 0, out8: bytesOf(o8), outF: bytesOf(oF) });
    }
    const runMs = performance.now() - t0;
    times.sort((a, b) => a - b);
    const mismatch = compareOutputs(ref, outputs);
    const r: WasmModuleResult = {
      variant: m.variant, description: `wasm ${m.variant} (node)`, file: m.file, moduleBytes: binary.length, samples: ref.count, bytes: bytesCompared(ref),
      medianUs: times[Math.floor(times.length / 2)], runMs,
    };
    if (mismatch) {
      r.mismatch = mismatch;
      r.message = describeMismatch(mismatch, ref, folder.name, { who: `the ${m.variant} module`, run: 'net.run', runF32: 'net.runF32' });
    }
    modules.push(r);
  }
  return { folder, modules, ok: modules.every((m) => !m.mismatch) };
}

/**
 * Kind `wasm`: a WebAssembly engine the Wasm backend (coming) compiles for. The file says which
 * Wasm features the generated module may use, how much linear memory it may take, which
 * bit-widths its kernels take, and a cost model (per layer, in the engine's unit) for the
 * bit-width search. Field meanings: docs/cortex-m.md "Other target kinds".
 */
import { parseKernelBits, parseLayerCost, type KernelBits, type LayerCostModel } from './cost.js';
import { Validator } from './validate.js';

/** One Wasm page, bytes. */
export const WASM_PAGE = 65536;

export interface WasmFeatures {
  /** Fixed-width 128-bit SIMD (`v128`, i8x16/i16x8/i32x4). */
  simd128: boolean;
  /** Relaxed SIMD (e.g. i32x4.relaxed_dot_i8x16_i7x16_add_s); needs simd128. */
  relaxedSimd: boolean;
  /** memory.copy / memory.fill. */
  bulkMemory: boolean;
  /** Shared memory and atomics (a worker pool). */
  threads: boolean;
}

export interface WasmTarget {
  kind: 'wasm';
  /** File name without `.json`. */
  name: string;
  description: string;
  features: WasmFeatures;
  /** Linear memory in 64 KiB pages: what the module starts with and its maximum (null: the engine's). */
  memory: { initialPages: number; maximumPages: number | null };
  kernels: KernelBits;
  /** Per-layer cost, in nanoseconds (wall time of a measured engine) or instructions. */
  costModel: LayerCostModel<'nanoseconds' | 'instructions'>;
  file: string;
}

/** Where the wasm format is described (the hint of every wasm field error). */
export const WASM_HINT = 'See docs/cortex-m.md ("Other target kinds") for the wasm target format; test/data/targets/wasm-simd.json is a complete example.';

/** Validates a wasm target file's fields (`kind` already read). */
export function parseWasmTarget(root: Record<string, unknown>, file: string): WasmTarget {
  const v = new Validator(file, WASM_HINT);
  const features = v.object(root.features, 'features');
  const memory = v.object(root.memory, 'memory');
  const t: WasmTarget = {
    kind: 'wasm',
    name: v.string(root.name, 'name'),
    description: v.string(root.description, 'description'),
    features: {
      simd128: v.boolean(features.simd128, 'features.simd128'),
      relaxedSimd: v.boolean(features.relaxedSimd, 'features.relaxedSimd'),
      bulkMemory: v.boolean(features.bulkMemory, 'features.bulkMemory'),
      threads: v.boolean(features.threads, 'features.threads'),
    },
    memory: {
      initialPages: v.count(memory.initialPages, 'memory.initialPages', 65536),
      maximumPages: memory.maximumPages === null ? null : v.count(memory.maximumPages, 'memory.maximumPages', 65536),
    },
    kernels: parseKernelBits(v, v.object(root.kernels, 'kernels')),
    costModel: parseLayerCost(v, v.object(root.costModel, 'costModel'), 'costModel', ['nanoseconds', 'instructions'] as const),
    file,
  };
  if (t.features.relaxedSimd && !t.features.simd128) v.fail('features.relaxedSimd', 'needs features.simd128');
  if (t.memory.maximumPages !== null && t.memory.maximumPages < t.memory.initialPages) v.fail('memory.maximumPages', `is below memory.initialPages (${t.memory.initialPages})`);
  return t;
}

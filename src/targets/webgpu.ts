/**
 * Kind `webgpu`: a GPU reached through WebGPU, for the WGSL backend (coming). The file gives
 * the adapter features the shaders may use, the device limits they must fit, the workgroup
 * size and tiling of the matrix kernels, the bit-widths, and a per-layer cost model. Field
 * meanings: docs/cortex-m.md "Other target kinds".
 */
import { parseKernelBits, parseLayerCost, type KernelBits, type LayerCostModel } from './cost.js';
import { Validator } from './validate.js';

export interface WebgpuFeatures {
  /** WGSL language feature `packed_4x8_integer_dot_product` (dot4I8Packed / dot4U8Packed). */
  packed4x8IntegerDotProduct: boolean;
  /** Device feature `shader-f16`. */
  shaderF16: boolean;
  /** Device feature `subgroups`. */
  subgroups: boolean;
}

export interface WebgpuLimits {
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupSizeZ: number;
  maxComputeInvocationsPerWorkgroup: number;
  /** Bytes of `var<workgroup>` memory. */
  maxComputeWorkgroupStorageSize: number;
  maxStorageBufferBindingSize: number;
}

export interface WebgpuTiling {
  /** `@workgroup_size(x, y, z)` of the matrix kernels. */
  workgroupSize: [number, number, number];
  /** Output rows and columns one workgroup computes, and the reduction step it loads per iteration. */
  tileM: number;
  tileN: number;
  tileK: number;
}

export interface WebgpuTarget {
  kind: 'webgpu';
  /** File name without `.json`. */
  name: string;
  description: string;
  features: WebgpuFeatures;
  limits: WebgpuLimits;
  tiling: WebgpuTiling;
  kernels: KernelBits;
  /** Per-layer cost in nanoseconds; perCallOverhead is one dispatch. */
  costModel: LayerCostModel<'nanoseconds'>;
  file: string;
}

/** Where the webgpu format is described (the hint of every webgpu field error). */
export const WEBGPU_HINT = 'See docs/cortex-m.md ("Other target kinds") for the webgpu target format; test/data/targets/webgpu-dp4a.json is a complete example.';

const LIMITS = ['maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize'] as const;

/** Validates a webgpu target file's fields (`kind` already read). */
export function parseWebgpuTarget(root: Record<string, unknown>, file: string): WebgpuTarget {
  const v = new Validator(file, WEBGPU_HINT);
  const features = v.object(root.features, 'features');
  const limitsIn = v.object(root.limits, 'limits');
  const tiling = v.object(root.tiling, 'tiling');
  const ws: unknown[] = Array.isArray(tiling.workgroupSize) && tiling.workgroupSize.length === 3 ? tiling.workgroupSize
    : v.fail('tiling.workgroupSize', tiling.workgroupSize === undefined ? 'is missing' : 'must be [x, y, z]');
  const limits = Object.fromEntries(LIMITS.map((k) => [k, v.count(limitsIn[k], `limits.${k}`)])) as unknown as WebgpuLimits;
  const t: WebgpuTarget = {
    kind: 'webgpu',
    name: v.string(root.name, 'name'),
    description: v.string(root.description, 'description'),
    features: {
      packed4x8IntegerDotProduct: v.boolean(features.packed4x8IntegerDotProduct, 'features.packed4x8IntegerDotProduct'),
      shaderF16: v.boolean(features.shaderF16, 'features.shaderF16'),
      subgroups: v.boolean(features.subgroups, 'features.subgroups'),
    },
    limits,
    tiling: {
      workgroupSize: [0, 1, 2].map((i) => v.count(ws[i], `tiling.workgroupSize[${i}]`)) as [number, number, number],
      tileM: v.count(tiling.tileM, 'tiling.tileM'),
      tileN: v.count(tiling.tileN, 'tiling.tileN'),
      tileK: v.count(tiling.tileK, 'tiling.tileK'),
    },
    kernels: parseKernelBits(v, v.object(root.kernels, 'kernels')),
    costModel: parseLayerCost(v, v.object(root.costModel, 'costModel'), 'costModel', ['nanoseconds'] as const),
    file,
  };
  const [x, y, z] = t.tiling.workgroupSize;
  const axes = [[x, limits.maxComputeWorkgroupSizeX], [y, limits.maxComputeWorkgroupSizeY], [z, limits.maxComputeWorkgroupSizeZ]] as const;
  axes.forEach(([n, max], i) => { if (n > max) v.fail(`tiling.workgroupSize[${i}]`, `is ${n}, above limits.${LIMITS[i]} (${max})`); });
  if (x * y * z > limits.maxComputeInvocationsPerWorkgroup) {
    v.fail('tiling.workgroupSize', `has ${x * y * z} invocations, above limits.maxComputeInvocationsPerWorkgroup (${limits.maxComputeInvocationsPerWorkgroup})`);
  }
  // One int8 tile of A (tileM x tileK) and of B (tileK x tileN) sit in workgroup memory.
  const tileBytes = t.tiling.tileK * (t.tiling.tileM + t.tiling.tileN);
  if (tileBytes > limits.maxComputeWorkgroupStorageSize) {
    v.fail('tiling', `needs ${tileBytes} bytes of workgroup memory (tileK * (tileM + tileN)), above limits.maxComputeWorkgroupStorageSize (${limits.maxComputeWorkgroupStorageSize})`);
  }
  if (t.features.packed4x8IntegerDotProduct && t.tiling.tileK % 4 !== 0) v.fail('tiling.tileK', 'must be a multiple of 4 with packed4x8IntegerDotProduct (four int8 per u32)');
  return t;
}

/**
 * A WebGPU device in Node for `qgc verify` and the tests: Dawn through the `webgpu` npm package
 * (dawn.node), on Vulkan. Without a GPU, Vulkan is SwiftShader's CPU driver from Debian's
 * chromium package; where VK_ICD_FILENAMES is unset and that driver is installed, it is chosen
 * here, and XDG_RUNTIME_DIR (which the Vulkan loader reads) is set to the temporary folder when
 * unset. A real GPU is used by setting VK_ICD_FILENAMES to its driver (or to '' for the
 * loader's own search).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CompileError, ErrorCode } from '../errors.js';

/** SwiftShader's Vulkan driver as Debian's chromium package installs it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** How to get what `dawnDevice` needs. */
export const DAWN_INSTALL = 'npm install webgpu@0.6.2 (Dawn for Node) and apt-get install chromium (SwiftShader\'s Vulkan driver)';

/** What a dawn.node GPU gives (the subset qgc uses; the package ships no types for Node). */
export interface DawnGpu {
  wgslLanguageFeatures: ReadonlySet<string>;
  requestAdapter(options?: object): Promise<DawnAdapter | null>;
}

export interface DawnAdapter {
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<DawnDevice>;
}

export interface DawnDevice {
  limits: Record<string, number>;
  lost: Promise<{ reason?: string; message?: string }>;
  queue: unknown;
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  destroy(): void;
}

export interface Dawn {
  gpu: DawnGpu;
  /** The adapter (of the device, from dawnDevice). */
  adapter: DawnAdapter;
  /** e.g. `SwiftShader (Vulkan)`. */
  description: string;
}

let instance: Promise<Dawn> | undefined;

/** Sets the Vulkan environment Dawn needs when the caller has not. */
export function vulkanEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  if (env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (env.XDG_RUNTIME_DIR === undefined) env.XDG_RUNTIME_DIR = tmpdir();
}

async function open(): Promise<Dawn> {
  vulkanEnvironment();
  let mod: { create(flags: string[]): DawnGpu; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new CompileError(ErrorCode.BadInput, `cannot load the webgpu package (${(e as Error).message})`, {}, DAWN_INSTALL);
  }
  // WebGPU's globals (GPUBufferUsage, GPUMapMode, ...) for code that expects a browser's; net.js
  // itself needs none.
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const gpu = mod.create(['backend=vulkan']);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new CompileError(ErrorCode.BadInput, `Dawn found no Vulkan adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''})`, {}, DAWN_INSTALL);
  }
  const i = adapter.info ?? {};
  const description = [i.description || i.device || i.vendor || 'unknown adapter', '(Vulkan, Dawn)'].join(' ');
  return { gpu, adapter, description };
}

/** The process's Dawn instance and adapter (opened once). */
export function dawn(): Promise<Dawn> {
  instance ??= open();
  instance.catch(() => { instance = undefined; });
  return instance;
}

/** A new device on a new Dawn adapter (an adapter gives one device; the caller destroys it). */
export async function dawnDevice(requiredLimits?: Record<string, number>): Promise<{ dawn: Dawn; device: DawnDevice }> {
  const d = await dawn();
  const adapter = await d.gpu.requestAdapter();
  if (!adapter) throw new CompileError(ErrorCode.BadInput, 'Dawn found no Vulkan adapter for a second device', {}, DAWN_INSTALL);
  return { dawn: { ...d, adapter }, device: await adapter.requestDevice(requiredLimits ? { requiredLimits } : undefined) };
}

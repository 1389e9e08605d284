/** Headless Chromium for the browser tests and benchmarks: Debian's `chromium` driven by
 * playwright-core (no downloaded browser), pages served from a local folder on 127.0.0.1 (a
 * secure context, which WebGPU needs), nothing fetched from the network.
 *
 * With `webgpu`, Chromium exposes `navigator.gpu` on SwiftShader's Vulkan driver, which Debian's
 * package ships next to the browser (/usr/lib/chromium/libvk_swiftshader.so): the same WebGPU
 * implementation (Dawn) a user's Chromium runs, on the CPU. `webgpu: 'hardware'` leaves the
 * adapter to Chromium instead, for machines with a GPU. */
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve } from '../../examples/common/serve.mjs';
import { CHROMIUM_PATH } from './tools.js';

/** Flags every launch uses: no sandbox (CI runs as root), nothing reaching out to the network. */
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** WebGPU on SwiftShader (the flags): Vulkan through SwiftShader, WebGPU's adapter and ANGLE on it. */
export const WEBGPU_SWIFTSHADER_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];
/** WebGPU on whatever adapter Chromium finds (a real GPU where there is one). */
export const WEBGPU_HARDWARE_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

export type WebgpuAdapterChoice = 'swiftshader' | 'hardware';

export interface LaunchOptions {
  /** Expose navigator.gpu, on SwiftShader or on the hardware adapter; without it the GPU is off. */
  webgpu?: WebgpuAdapterChoice;
}

/** The Chromium command-line flags for `opts`. */
export function chromiumArgs(opts: LaunchOptions = {}): string[] {
  if (opts.webgpu === 'swiftshader') return [...BASE_ARGS, ...WEBGPU_SWIFTSHADER_ARGS];
  if (opts.webgpu === 'hardware') return [...BASE_ARGS, ...WEBGPU_HARDWARE_ARGS];
  return [...BASE_ARGS, '--disable-gpu'];
}

/** Launches headless Chromium (CHROMIUM_PATH, Debian's package unless QGC_CHROMIUM says otherwise). */
export function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(opts) });
}

/** A folder served on 127.0.0.1 (any free port). */
export interface ServedFolder {
  /** `http://127.0.0.1:PORT/`, ending in a slash. */
  url: string;
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<ServedFolder> {
  const server: Server = await serve(root, 0);
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the page server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Collects the page's uncaught errors, console errors and failed requests (by URL; the
 * browser's own /favicon.ico request aside), for a test to expect none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // A failed request is reported below with its URL; the console line names none.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') errors.push(`${r.status()} ${r.url()}`);
  });
  return errors;
}

/** What a page sees of WebGPU. */
export interface WebgpuInPage {
  /** navigator.gpu exists. */
  gpu: boolean;
  /** An adapter was granted; its vendor and architecture (`google` / `swiftshader` on SwiftShader). */
  adapter?: { vendor: string; architecture: string; description: string };
  /** navigator.gpu.wgslLanguageFeatures. */
  languageFeatures: string[];
}

/** Asks the page's navigator.gpu for an adapter (the page must be a secure context, e.g. served on 127.0.0.1). */
export function webgpuInPage(page: Page): Promise<WebgpuInPage> {
  // A string, so the function reaches the browser exactly as written (no transpiler helpers).
  return page.evaluate(`(async () => {
    if (!navigator.gpu) return { gpu: false, languageFeatures: [] };
    const languageFeatures = [...navigator.gpu.wgslLanguageFeatures].sort();
    const a = await navigator.gpu.requestAdapter();
    if (!a) return { gpu: true, languageFeatures };
    const { vendor, architecture, description } = a.info;
    return { gpu: true, adapter: { vendor, architecture, description }, languageFeatures };
  })()`);
}

/**
 * Handlebars for the Wasm backend: templates/wasm/net.js.hbs (the loader) and net.d.ts.hbs, in an
 * isolated environment with HTML escaping off and no helpers. The templates only print values
 * computed in TypeScript.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export type WasmTemplate = 'net.js' | 'net.d.ts';

let cached: Map<WasmTemplate, Handlebars.TemplateDelegate> | undefined;

/** templates/wasm (the same relative path from src/ and dist/). */
export function wasmTemplatesDir(): string {
  return fileURLToPath(new URL('../../../templates/wasm/', import.meta.url));
}

/** Renders one template with `view`. */
export function renderWasm(t: WasmTemplate, view: object): string {
  if (!cached) {
    const hb = Handlebars.create();
    const dir = wasmTemplatesDir();
    cached = new Map((['net.js', 'net.d.ts'] as const).map((n) => [n, hb.compile(readFileSync(join(dir, `${n}.hbs`), 'utf8'), { noEscape: true, strict: true })]));
  }
  return cached.get(t)!(view);
}

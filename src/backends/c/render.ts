/**
 * Handlebars for the C backend: loads templates/c/ (the five file templates, the shared
 * partials in partials/ and one partial per kernel family in kernels/) into an isolated
 * Handlebars environment with HTML escaping off. Templates only print values computed in
 * TypeScript; no helpers are registered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** templates/c (the same relative path from src/ and dist/). */
export function cTemplatesDir(): string {
  return fileURLToPath(new URL('../../../templates/c/', import.meta.url));
}

export type FileTemplate = 'net.h' | 'net.c' | 'net_weights.c' | 'net.cmake' | 'net.mk';

/** Compiled file templates, sharing one Handlebars environment. */
export interface Renderer {
  render(template: FileTemplate, view: object): string;
  /** Files copied verbatim into every output folder (the portable kernels). */
  staticFiles: { name: string; text: string }[];
  /** The float kernels, copied only next to networks with nodes kept in float. */
  floatFile: { name: string; text: string };
}

let cached: Renderer | undefined;

/** The float kernels' source (templates/c/portable/). */
export const FLOAT_FILE = 'qgc_float.c';

/** The C renderer (templates read once per process). */
export function cRenderer(): Renderer {
  if (cached) return cached;
  const dir = cTemplatesDir();
  const hb = Handlebars.create();
  // Inline partials (dims, window, header) lose their final newline so they can sit mid-line;
  // kernel partials are whole lines and keep it.
  for (const f of readdirSync(join(dir, 'partials')).filter((f) => f.endsWith('.hbs')).sort()) {
    const text = readFileSync(join(dir, 'partials', f), 'utf8');
    hb.registerPartial(basename(f, '.hbs'), f === 'header.hbs' ? text : text.replace(/\n$/, ''));
  }
  for (const f of readdirSync(join(dir, 'kernels')).filter((f) => f.endsWith('.hbs')).sort()) {
    hb.registerPartial(basename(f, '.hbs'), readFileSync(join(dir, 'kernels', f), 'utf8'));
  }
  const names: FileTemplate[] = ['net.h', 'net.c', 'net_weights.c', 'net.cmake', 'net.mk'];
  const compiled = new Map(names.map((n) => [n, hb.compile(readFileSync(join(dir, `${n}.hbs`), 'utf8'), { noEscape: true, strict: true })]));
  const staticFiles = ['qgc_kernels.h', 'qgc_math.h', 'qgc_kernels.c', 'qgc_data.c'].map((name) => ({ name, text: readFileSync(join(dir, 'portable', name), 'utf8') }));
  cached = {
    render: (t, view) => compiled.get(t)!(view),
    staticFiles,
    floatFile: { name: FLOAT_FILE, text: readFileSync(join(dir, 'portable', FLOAT_FILE), 'utf8') },
  };
  return cached;
}

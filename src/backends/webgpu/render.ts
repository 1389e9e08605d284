/**
 * Handlebars for the WebGPU backend: one template per shader family (templates/wgsl/<family>
 * .wgsl.hbs) with the shared snippets as partials (templates/wgsl/partials: bindings and byte
 * loads, the per-word main, requantization, the two dot products, the softmax fixed point), the
 * loader net.js.hbs and net.d.ts.hbs, and requant-check.wgsl.hbs (the GPU test of the
 * requantization). An isolated environment with HTML escaping off and no helpers: the
 * templates only print values computed in TypeScript.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { FIXED_POINT, INT32_MAX, SOFTMAX_ACCUM_BITS } from '../../ir/intmath.js';
import type { Family } from './kernel.js';

export type WgslTemplate = Family | 'requant-check' | 'net.js' | 'net.d.ts';

/** templates/wgsl (the same relative path from src/ and dist/). */
export function wgslTemplatesDir(): string {
  return fileURLToPath(new URL('../../../templates/wgsl/', import.meta.url));
}

const PARTIALS: Record<string, string> = {
  common: 'common', main: 'main', byElement: 'by-element', requant: 'requant', dotPacked: 'dot-packed', dotUnpacked: 'dot-unpacked', fixedpoint: 'fixedpoint',
};

let cached: { hb: typeof Handlebars; templates: Map<string, Handlebars.TemplateDelegate> } | undefined;

function env() {
  if (cached) return cached;
  const hb = Handlebars.create();
  const dir = wgslTemplatesDir();
  for (const [name, file] of Object.entries(PARTIALS)) hb.registerPartial(name, readFileSync(join(dir, 'partials', `${file}.wgsl.hbs`), 'utf8'));
  const templates = new Map<string, Handlebars.TemplateDelegate>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.hbs'))) {
    const name = f.replace(/\.wgsl\.hbs$|\.hbs$/, '');
    templates.set(name, hb.compile(readFileSync(join(dir, f), 'utf8'), { noEscape: true, strict: true }));
  }
  cached = { hb, templates };
  return cached;
}

/** Renders one template with `view`. */
export function renderWgsl(t: WgslTemplate, view: object): string {
  const tpl = env().templates.get(t);
  if (!tpl) throw new Error(`no template ${t} in ${wgslTemplatesDir()}`);
  return tpl(view);
}

/** The numbers the requantization and fixed-point partials print (src/ir/intmath.ts). */
export function arithmeticView() {
  return {
    requant: { half: 2 ** 30 },
    fixed: {
      int32Min: `i32(${-(2 ** 31)})`, int32Max: INT32_MAX, negativeNudge: 1 - 2 ** 30,
      quarterMask: 2 ** 24 - 1, quarter: 2 ** 24, oneEighth: 2 ** 28, one: 2 ** 29,
      oneThird: FIXED_POINT.oneThird, expMinusOneEighth: FIXED_POINT.expMinusOneEighth,
      barrel: FIXED_POINT.expBarrel.map((value, i) => ({ bit: 2 ** (24 + i), value })),
      fortyEightOverSeventeen: FIXED_POINT.fortyEightOverSeventeen, minusThirtyTwoOverSeventeen: FIXED_POINT.minusThirtyTwoOverSeventeen,
      accumBits: SOFTMAX_ACCUM_BITS,
      // The sum's reciprocal is Q0.31; the output keeps 8 of those bits.
      unitBits: 31 - 8,
    },
  };
}

/** The workgroup view of the templates. */
export function workgroupView(size: readonly [number, number, number]) {
  return { x: size[0], y: size[1], z: size[2], invocations: size[0] * size[1] * size[2] };
}

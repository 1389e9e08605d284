/**
 * Device targets: `targets/<name>.json` (or any `.json` a user passes) describes one target of
 * a kind: `mcu` (a microcontroller core the C backend compiles for, mcu.ts), `wasm` (wasm.ts)
 * or `webgpu` (webgpu.ts). A file without `kind` is an mcu target. Nothing about a device is
 * hard-coded elsewhere; passes and backends read a target from here. Field meanings:
 * docs/cortex-m.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError, ErrorCode } from '../errors.js';
import { parseMcuTarget, type McuTarget } from './mcu.js';
import { Validator } from './validate.js';
import { parseWasmTarget, type WasmTarget } from './wasm.js';
import { parseWebgpuTarget, type WebgpuTarget } from './webgpu.js';

export { layerCost, type ElementOp, type KernelFamily, type KernelWidth, type LayerCostModel as CostModel } from './cost.js';
export { addLutMinElements, tickRatio, usesAddLut, type Board, type ConvRowsCost, type FpuKind, type McuTarget, type MemoryRegion } from './mcu.js';
export type { WasmTarget } from './wasm.js';
export type { WebgpuTarget } from './webgpu.js';

/** One target of any kind, narrowed by `kind`. */
export type AnyTarget = McuTarget | WasmTarget | WebgpuTarget;
export type TargetKind = AnyTarget['kind'];
/** The target of kind `K`. */
export type TargetOf<K extends TargetKind> = Extract<AnyTarget, { kind: K }>;

/**
 * The target the C backend and `qgc verify` read: kind mcu. Kept under this name while
 * src/backends/c and src/verify take `Target`; new code names `McuTarget` or `AnyTarget`.
 */
export type Target = McuTarget;

/** The registry of kinds: each kind's parser (which validates every field). */
const KINDS: { readonly [K in TargetKind]: (root: Record<string, unknown>, file: string) => TargetOf<K> } = {
  mcu: parseMcuTarget,
  wasm: parseWasmTarget,
  webgpu: parseWebgpuTarget,
};

/** The kinds qgc reads, in the registry's order. */
export const TARGET_KINDS = Object.keys(KINDS) as TargetKind[];

/** What each kind's consumer says when handed a target of another kind. */
const FOR_KIND: Record<TargetKind, string> = {
  mcu: 'the C backend compiles for kind mcu targets',
  wasm: 'the Wasm backend compiles for kind wasm targets',
  webgpu: 'the WGSL backend compiles for kind webgpu targets',
};

/** The `targets/` folder shipped with qgc (same relative path from src/ and dist/). */
export function targetsDir(): string {
  return fileURLToPath(new URL('../../targets/', import.meta.url));
}

/** Names of the targets in `dir`, sorted; with `kind`, only the targets of that kind (their
 * files are loaded, so a broken file there fails). */
export function listTargets(dir: string = targetsDir(), kind?: TargetKind): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  return kind === undefined ? names : names.filter((n) => loadAnyTarget(n, dir).kind === kind);
}

const cache = new Map<string, AnyTarget>();

/**
 * Loads a target of any kind by name (`cortex-m4`) from `dir`, or from a path to a JSON file.
 * Throws a CompileError naming the file and the field when anything is missing or wrong.
 */
export function loadAnyTarget(nameOrPath: string, dir: string = targetsDir()): AnyTarget {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\');
  const file = isPath ? nameOrPath : join(dir, `${nameOrPath}.json`);
  const hit = cache.get(file);
  if (hit) return hit;
  if (!existsSync(file)) {
    const known = listTargets(dir);
    throw new CompileError(ErrorCode.BadInput, `unknown target '${nameOrPath}'`, { file }, known.length
      ? `Available targets: ${known.join(', ')}.`
      : `No targets found in ${dir}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CompileError(ErrorCode.BadInput, `target file is not valid JSON: ${(e as Error).message}`, { file },
      'Fix the JSON syntax (targets/cortex-m4.json is a complete example).');
  }
  const target = parseAnyTarget(json, file);
  if (!isPath && target.name !== nameOrPath) {
    throw new CompileError(ErrorCode.BadInput, `field 'name' is '${target.name}' but the file is ${basename(file)}`, { file },
      `Set "name": "${nameOrPath}".`);
  }
  cache.set(file, target);
  return target;
}

/** Loads a target that must be of `kind` (see loadAnyTarget); another kind is refused. */
export function loadTargetOfKind<K extends TargetKind>(kind: K, nameOrPath: string, dir: string = targetsDir()): TargetOf<K> {
  return requireKind(kind, loadAnyTarget(nameOrPath, dir));
}

/** Loads an mcu target (what the C backend and `qgc verify` take); another kind is refused
 * with "the C backend compiles for kind mcu targets". */
export function loadTarget(nameOrPath: string, dir: string = targetsDir()): McuTarget {
  return loadTargetOfKind('mcu', nameOrPath, dir);
}

/** Validates a parsed target JSON of any kind (a missing `kind` is mcu). `file` is used in error messages only. */
export function parseAnyTarget(json: unknown, file: string): AnyTarget {
  const v = new Validator(file, `Set "kind" to one of ${TARGET_KINDS.map((k) => `"${k}"`).join(', ')} (or leave it out for mcu); see docs/cortex-m.md.`);
  const root = v.object(json, '');
  const kind = root.kind === undefined ? 'mcu' : v.oneOf(root.kind, 'kind', TARGET_KINDS);
  return KINDS[kind](root, file);
}

/** Validates a parsed mcu target JSON (see parseAnyTarget); another kind is refused. */
export function parseTarget(json: unknown, file: string): McuTarget {
  return requireKind('mcu', parseAnyTarget(json, file));
}

/** `t` as a target of `kind`, or a CompileError saying which kind it is and who needs which. */
export function requireKind<K extends TargetKind>(kind: K, t: AnyTarget): TargetOf<K> {
  if (t.kind === kind) return t as TargetOf<K>;
  throw new CompileError(ErrorCode.BadInput, `target '${t.name}' is of kind ${t.kind}; ${FOR_KIND[kind]}`, { file: t.file },
    `Pass a target of kind ${kind}${kind === 'mcu' ? ` (${listTargets(targetsDir(), 'mcu').join(', ')})` : ''}.`);
}

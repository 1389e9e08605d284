/**
 * CMSIS-NN as a cached static library, for a Cortex-M target (arm-none-eabi-gcc) or the host
 * (`cc`). qgc never ships CMSIS-NN: it compiles the copy the user points CMSIS_NN_ROOT at
 * (default `../shared/cmsis-nn` beside the repository). Every `Source/**\/*.c` is built
 * except the experimental float kernels and tables (`*_f16.c`, `*_f32.c`, `*_flt.c`: off by
 * default upstream too).
 * The DSP / MVE paths are chosen by CMSIS-NN itself from the `-mcpu` predefines.
 *
 * Cache: `<cacheDir>/cmsis-nn-<target>-<hash>/libcmsis-nn.a`, where the hash covers the
 * compiler and its version, the flags and the content of every CMSIS-NN source and header;
 * `<cacheDir>` is QGC_CACHE_DIR, else `node_modules/.cache/qgc` in the qgc package, else
 * `$TMPDIR/qgc-cache`. Concurrent builders race safely (build in a temp dir, then rename).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTarget, type Target } from '../targets/target.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { exec, INSTALL, parallelMap, requireTool } from './exec.js';

/** The qgc package (repository) root. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** CMSIS_NN_ROOT, or `../shared/cmsis-nn` relative to the qgc repository root. */
export function cmsisNnRoot(): string {
  const env = process.env.CMSIS_NN_ROOT;
  return env && env.length > 0 ? resolve(env) : resolve(packageRoot(), '..', 'shared', 'cmsis-nn');
}

/** True when `root` looks like a CMSIS-NN checkout (Include/arm_nnfunctions.h and Source/). */
export function isCmsisNnRoot(root: string): boolean {
  return existsSync(join(root, 'Include', 'arm_nnfunctions.h')) && existsSync(join(root, 'Source'));
}

/** Where cached build products go (created on demand). */
export function cacheDir(): string {
  const env = process.env.QGC_CACHE_DIR;
  if (env && env.length > 0) return resolve(env);
  const nm = join(packageRoot(), 'node_modules');
  try {
    accessSync(nm, constants.W_OK);
    return join(nm, '.cache', 'qgc');
  } catch {
    return join(tmpdir(), 'qgc-cache');
  }
}

export interface CmsisNnOptions {
  /** CMSIS-NN checkout; default cmsisNnRoot(). */
  root?: string;
  /** Optimization flag; default '-Ofast' (CMSIS-NN's own CMake default). */
  opt?: string;
  /** Extra compiler flags (part of the cache key). */
  cflags?: string[];
  /** Parallel compiler processes; default: all CPUs. */
  jobs?: number;
  /** Override the cache folder. */
  cacheDir?: string;
}

export interface CmsisNnLib {
  /** Path of libcmsis-nn.a. */
  lib: string;
  /** CMSIS-NN's Include/ folder (pass with -isystem). */
  includeDir: string;
  /** True when the library came from the cache. */
  cached: boolean;
  /** Number of C files compiled into it. */
  sources: number;
}

/** The integer C sources of a CMSIS-NN checkout, sorted. */
export function cmsisNnSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.c') && !/_(f16|f32|flt)\.c$/.test(e.name)) out.push(p);
    }
  };
  walk(join(root, 'Source'));
  return out.sort();
}

function requireCmsisNn(root: string): void {
  if (!isCmsisNnRoot(root)) {
    throw new VerifyError(VerifyErrorCode.CmsisNnMissing, `CMSIS-NN not found at ${root}`,
      'Set CMSIS_NN_ROOT to a CMSIS-NN checkout (the folder with Include/ and Source/), e.g. git clone https://github.com/ARM-software/CMSIS-NN.');
  }
}

const contentHashes = new Map<string, string>();

/** sha256 over the relative path and bytes of every .c and .h under root/Source and root/Include. */
function contentHash(root: string): string {
  const hit = contentHashes.get(root);
  if (hit) return hit;
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|h)$/.test(e.name)) {
        h.update(relative(root, p));
        h.update('\0');
        h.update(readFileSync(p));
      }
    }
  };
  walk(join(root, 'Include'));
  walk(join(root, 'Source'));
  const hex = h.digest('hex');
  contentHashes.set(root, hex);
  return hex;
}

const versions = new Map<string, string>();

async function compilerVersion(cc: string): Promise<string> {
  const hit = versions.get(cc);
  if (hit) return hit;
  const r = await exec(cc, ['--version']);
  const v = `${cc}\n${r.stdout.split('\n')[0]}`;
  versions.set(cc, v);
  return v;
}

const inFlight = new Map<string, Promise<CmsisNnLib>>();

/**
 * Builds (or finds in the cache) CMSIS-NN for a target name / Target, or for 'host'.
 * Throws VerifyError when the compiler or CMSIS-NN is missing or a file fails to compile.
 */
export async function buildCmsisNn(target: Target | string, opts: CmsisNnOptions = {}): Promise<CmsisNnLib> {
  const root = resolve(opts.root ?? cmsisNnRoot());
  requireCmsisNn(root);
  const host = target === 'host';
  const t = host ? null : typeof target === 'string' ? loadTarget(target) : target;
  const cc = host
    ? requireTool(process.env.CC || 'cc', INSTALL.hostCc, 'host C compiler')
    : requireTool('arm-none-eabi-gcc', INSTALL.armGcc);
  const ar = host
    ? requireTool(process.env.AR || 'ar', INSTALL.binutils)
    : requireTool('arm-none-eabi-ar', INSTALL.armGcc);
  const includeDir = join(root, 'Include');
  const flags = [
    ...(t ? t.cflags : []),
    opts.opt ?? '-Ofast',
    '-ffunction-sections',
    '-fdata-sections',
    ...(opts.cflags ?? []),
  ];
  const sources = cmsisNnSources(root);
  const key = createHash('sha256')
    .update(JSON.stringify({ cc: await compilerVersion(cc), flags, root, sources, content: contentHash(root) }))
    .digest('hex')
    .slice(0, 16);
  const name = host ? 'host' : t!.name;
  const dir = join(opts.cacheDir ?? cacheDir(), `cmsis-nn-${name}-${key}`);
  const lib = join(dir, 'libcmsis-nn.a');
  if (existsSync(lib)) return { lib, includeDir, cached: true, sources: sources.length };

  // One build per library per process; other processes are handled by the rename below.
  const pending = inFlight.get(dir);
  if (pending) return pending;
  const p = (async (): Promise<CmsisNnLib> => {
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(tmp, { recursive: true });
    try {
      const objs = await parallelMap(sources, async (src, i) => {
        const obj = join(tmp, `${i.toString().padStart(3, '0')}_${basename(src, '.c')}.o`);
        const r = await exec(cc, [...flags, '-I', includeDir, '-c', src, '-o', obj]);
        if (r.code !== 0) {
          throw new VerifyError(VerifyErrorCode.BuildFailed, `CMSIS-NN: ${relative(root, src)} failed to compile for ${name}`,
            'Check CMSIS_NN_ROOT points at a CMSIS-NN version that supports this compiler.', r.stderr);
        }
        return obj;
      }, opts.jobs);
      const r = await exec(ar, ['rcs', join(tmp, 'libcmsis-nn.a'), ...objs]);
      if (r.code !== 0) throw new VerifyError(VerifyErrorCode.BuildFailed, `CMSIS-NN: ${ar} failed`, undefined, r.stderr);
      for (const o of objs) rmSync(o);
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ target: name, root, cc: await compilerVersion(cc), flags, sources: sources.length }, null, 2));
      try {
        renameSync(tmp, dir);
      } catch (e) {
        if (!existsSync(lib)) throw e; // someone else won the race: use theirs
      }
      return { lib, includeDir, cached: false, sources: sources.length };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      inFlight.delete(dir);
    }
  })();
  inFlight.set(dir, p);
  return p;
}

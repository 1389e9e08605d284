/**
 * Writing the C backend's files without clobbering anything else: an output folder may be
 * written when it is missing or empty, or when it holds only files qgc wrote there before
 * (listed in its `.qgc-output` marker); anything else needs `force`. Files a previous compile
 * listed in the marker and this one no longer writes are removed; other files are never touched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CompileError, ErrorCode } from '../../errors.js';

/** Name of the marker file listing what qgc wrote. */
export const MARKER = '.qgc-output';

function readMarker(dir: string): string[] | undefined {
  const p = join(dir, MARKER);
  if (!existsSync(p)) return undefined;
  try {
    const json: unknown = JSON.parse(readFileSync(p, 'utf8'));
    const files = (json as { files?: unknown }).files;
    return Array.isArray(files) && files.every((f) => typeof f === 'string' && !f.includes('/') && !f.includes('\\')) ? files : undefined;
  } catch {
    return undefined;
  }
}

/** The folders of `dir` that do not exist yet, outermost first, and the nearest one that does. */
function missingLevels(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let p = resolve(dir);
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return { existing: p, missing };
}

/** Throws unless a folder can be made in `parent`: makes one and removes it (a permission
 * check alone passes for root where nothing can be made, e.g. under /proc). */
function probeFolder(parent: string, dir: string): void {
  const probe = join(parent, `.qgc-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmSync(probe, { recursive: true });
  } catch (e) {
    throw new CompileError(ErrorCode.FileWrite, `cannot create the output folder in ${parent} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: dir },
      'Pass -o with a folder under a writable one.');
  }
}

/** Throws (before anything is written) when `dir` may not be written without `force`, or
 * when it is missing and its nearest existing parent is not a writable folder. */
export function checkOutputDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) {
    probeFolder(missingLevels(dir).existing, dir);
    return;
  }
  if (!statSync(dir).isDirectory()) {
    throw new CompileError(ErrorCode.FileWrite, 'the output path exists and is not a folder', { file: dir }, 'Pass -o with a folder path.');
  }
  const present = readdirSync(dir);
  if (present.length === 0 || force) return;
  const ours = readMarker(dir);
  const foreign = ours ? present.filter((f) => f !== MARKER && !ours.includes(f)) : present;
  if (foreign.length > 0) {
    const list = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', ...' : '');
    throw new CompileError(ErrorCode.FileWrite, `the output folder holds files qgc did not write (${list})`, { file: dir },
      'Choose an empty or new folder, or pass --force to write into it anyway (files qgc does not write are kept).');
  }
}

/** Creates `dir` and its missing parents one level at a time: Node's recursive mkdir never
 * returns where a level cannot be made but the error is not reported as such (under /proc). */
export function makeFolders(dir: string): void {
  for (const level of missingLevels(dir).missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      throw new CompileError(ErrorCode.FileWrite, `cannot create the folder ${level} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: dir },
        'Pass -o with a folder under a writable one.');
    }
  }
}

/** Writes `files` into `dir` (after checkOutputDir) and updates the marker. */
export function writeOutputDir(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  makeFolders(dir);
  try {
    const previous = readMarker(dir) ?? [];
    for (const f of previous) if (!files.has(f) && existsSync(join(dir, f))) rmSync(join(dir, f));
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, MARKER), JSON.stringify({ writer: 'qgc compile', files: [...files.keys()] }, null, 2) + '\n');
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw new CompileError(ErrorCode.FileWrite, `cannot write the output: ${(e as Error).message}`, { file: dir }, 'Check the folder is writable.');
  }
}

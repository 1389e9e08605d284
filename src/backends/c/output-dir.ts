/**
 * Writing the C backend's files without clobbering anything else: an output folder may be
 * written when it is missing or empty, or when it holds only files qgc wrote there before
 * (listed in its `.qgc-output` marker); anything else needs `force`. Files a previous compile
 * listed in the marker and this one no longer writes are removed; other files are never touched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Throws (before anything is written) when `dir` may not be written without `force`. */
export function checkOutputDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
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
      'Choose an empty or new folder, or pass --force to write into it anyway (other files are kept).');
  }
}

/** Writes `files` into `dir` (after checkOutputDir) and updates the marker. */
export function writeOutputDir(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  try {
    mkdirSync(dir, { recursive: true });
    const previous = readMarker(dir) ?? [];
    for (const f of previous) if (!files.has(f) && existsSync(join(dir, f))) rmSync(join(dir, f));
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, MARKER), JSON.stringify({ writer: 'qgc compile', files: [...files.keys()] }, null, 2) + '\n');
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw new CompileError(ErrorCode.FileWrite, `cannot write the output: ${(e as Error).message}`, { file: dir }, 'Check the folder is writable.');
  }
}

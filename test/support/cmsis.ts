/** Host builds of CMSIS-NN for bit-exactness tests: locates the source (CMSIS_NN_ROOT, default
 * ../shared/cmsis-nn beside the project root), compiles its int8 kernels once into a static
 * library cached under os.tmpdir() by a hash of the sources, and builds small test programs
 * (test/support/*.c) against it. Nothing is written inside the repository. */
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { commandExists, pathExists, type Requirement } from './tools.js';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '../..');

export const CMSIS_NN_ROOT = resolve(process.env.CMSIS_NN_ROOT ?? join(projectRoot, '../shared/cmsis-nn'));
export const CMSIS_NN: Requirement = pathExists(
  'CMSIS-NN source',
  join(CMSIS_NN_ROOT, 'Include/arm_nnsupportfunctions.h'),
  'point CMSIS_NN_ROOT at a CMSIS-NN checkout (Include/ and Source/)',
);
export const GCC: Requirement = commandExists('gcc', 'apt-get install gcc');

/** A C source under test/support/. */
export function supportSource(name: string): string {
  return join(here, name);
}

const WARN = ['-Wall', '-Wextra', '-Werror'];

/** The CMSIS-NN int8 sources (float kernels and the Python bindings left out). */
function cmsisSources(): string[] {
  const src = join(CMSIS_NN_ROOT, 'Source');
  const files: string[] = [];
  for (const dir of readdirSync(src, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === 'Bindings') continue;
    for (const f of readdirSync(join(src, dir.name))) {
      if (f.endsWith('.c') && !/_(f16|f32|flt)\.c$/.test(f)) files.push(join(src, dir.name, f));
    }
  }
  return files.sort();
}

function hashFiles(files: string[], extra: string): string {
  const h = createHash('sha256').update(extra);
  for (const f of files) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Runs `jobs` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, job: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await job(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

let libPromise: Promise<string> | undefined;

/** Path of libcmsisnn.a (host gcc -O1, default build: no DSP/MVE, no single rounding). */
export function cmsisLibrary(): Promise<string> {
  libPromise ??= buildLibrary();
  return libPromise;
}

async function buildLibrary(): Promise<string> {
  const sources = cmsisSources();
  const headers = readdirSync(join(CMSIS_NN_ROOT, 'Include'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const flags = ['-O1', `-I${join(CMSIS_NN_ROOT, 'Include')}`];
  const dir = join(tmpdir(), `qgc-cmsis-nn-${hashFiles([...sources, ...headers], flags.join(' '))}`);
  const lib = join(dir, 'libcmsisnn.a');
  if (existsSync(lib)) return lib;
  const work = mkdtempSync(join(tmpdir(), 'qgc-cmsis-build-'));
  await pool(sources, 4, (s) => execFileAsync('gcc', [...flags, '-c', s, '-o', join(work, basename(s, '.c') + '.o')]));
  const objects = readdirSync(work).filter((f) => f.endsWith('.o'));
  await execFileAsync('ar', ['rcs', 'libcmsisnn.a', ...objects], { cwd: work });
  try {
    renameSync(work, dir); // atomic publish; a concurrent build may have won the race
  } catch {
    rmSync(work, { recursive: true, force: true });
  }
  return lib;
}

const programDirs: string[] = [];

/** Removes every program compileProgram built (call from afterAll). */
export function removePrograms(): void {
  for (const dir of programDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Compiles C sources (with -Wall -Wextra -Werror) into an executable in a fresh temp dir;
 * removePrograms() deletes it. */
export function compileProgram(sources: string[], opts: { lib?: string; opt?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-cc-'));
  programDirs.push(dir);
  const exe = join(dir, 'prog');
  const args = [opts.opt ?? '-O1', ...WARN, `-I${join(CMSIS_NN_ROOT, 'Include')}`, ...sources, '-o', exe];
  if (opts.lib) args.push(opts.lib);
  args.push('-lm');
  execFileSync('gcc', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return exe;
}

/** Runs a program with `input` on stdin and returns its stdout. */
export function runProgram(exe: string, args: string[] = [], input?: string | Buffer): Buffer {
  return execFileSync(exe, args, { input, maxBuffer: 256 * 1024 * 1024 });
}

/** Case files for test/support/cmsis-driver.c. */
export const DriverOp = { Conv: 1, DepthwiseConv: 2, FullyConnected: 3, Add: 4, MaxPool: 5, AvgPool: 6, Softmax: 7 } as const;

export class CaseWriter {
  private chunks: Buffer[] = [];
  count = 0;

  add(op: number, params: number[], arrays: (Int8Array | Int32Array)[]): number {
    const head = Int32Array.from([op, params.length, ...params, arrays.length]);
    this.chunks.push(Buffer.from(head.buffer));
    for (const a of arrays) {
      this.chunks.push(Buffer.from(Int32Array.from([a.BYTES_PER_ELEMENT, a.length]).buffer));
      this.chunks.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    }
    return this.count++;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface DriverResult {
  status: number;
  output: Int8Array;
}

/** Runs every case through the driver; one result per case, in order. */
export function runDriver(exe: string, cases: CaseWriter): DriverResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-cases-'));
  const inPath = join(dir, 'in.bin');
  const outPath = join(dir, 'out.bin');
  writeFileSync(inPath, cases.bytes());
  execFileSync(exe, [inPath, outPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const buf = readFileSync(outPath);
  rmSync(dir, { recursive: true, force: true });
  const results: DriverResult[] = [];
  let off = 0;
  while (off < buf.length) {
    const status = buf.readInt32LE(off);
    const count = buf.readInt32LE(off + 4);
    off += 8;
    results.push({ status, output: new Int8Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + count)) });
    off += count;
  }
  return results;
}

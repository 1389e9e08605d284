/** CMSIS-NN for bit-exactness tests: the source (CMSIS_NN_ROOT, default ../shared/cmsis-nn
 * beside the project root), its host library (built once by src/verify/cmsis-nn.ts), and small
 * test programs (test/support/*.c) built against it in temporary folders. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCmsisNn, cmsisNnRoot } from '../../src/verify/cmsis-nn.js';

const here = dirname(fileURLToPath(import.meta.url));

export const CMSIS_NN_ROOT = cmsisNnRoot();
/** The CMSIS-NN source and the host gcc (the shared requirements of ./tools.ts). */
export { CMSIS_NN, GCC } from './tools.js';

/** A C source under test/support/. */
export function supportSource(name: string): string {
  return join(here, name);
}

const WARN = ['-Wall', '-Wextra', '-Werror'];

/** Path of the host build of CMSIS-NN's int8 kernels (default build: no DSP/MVE, no single
 * rounding), the one `qgc verify` and the C backend tests use, cached by src/verify/cmsis-nn.ts. */
export async function cmsisLibrary(): Promise<string> {
  return (await buildCmsisNn('host', { root: CMSIS_NN_ROOT })).lib;
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
export const DriverOp = { Conv: 1, DepthwiseConv: 2, FullyConnected: 3, Add: 4, MaxPool: 5, AvgPool: 6, Softmax: 7, Mul: 8 } as const;

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

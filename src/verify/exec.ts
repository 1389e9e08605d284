/** Running external tools (compilers, QEMU) for the verifier: PATH lookup, spawn with a time limit. */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { VerifyError, VerifyErrorCode } from './errors.js';

/** How to install each external tool (Debian/Ubuntu package names). */
export const INSTALL = {
  armGcc: 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi',
  newlib: 'apt-get install libnewlib-arm-none-eabi',
  qemu: 'apt-get install qemu-system-arm',
  hostCc: 'apt-get install gcc',
  binutils: 'apt-get install binutils',
} as const;

const whichCache = new Map<string, string | null>();

/** Absolute path of `cmd` on PATH (or `cmd` itself when it is a path), or null. */
export function which(cmd: string): string | null {
  if (whichCache.has(cmd)) return whichCache.get(cmd)!;
  let found: string | null = null;
  const candidates = isAbsolute(cmd) || cmd.includes('/')
    ? [cmd]
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      found = c;
      break;
    } catch {
      // not here
    }
  }
  whichCache.set(cmd, found);
  return found;
}

/** Like which(), but throws a VerifyError naming the package to install. */
export function requireTool(cmd: string, install: string, why = ''): string {
  const path = which(cmd);
  if (path === null) {
    throw new VerifyError(VerifyErrorCode.ToolMissing, `'${cmd}' was not found on PATH${why ? ` (${why})` : ''}`, `Install it: ${install}.`);
  }
  return path;
}

export interface ExecOptions {
  cwd?: string;
  /** Bytes written to the child's stdin, which is then closed (empty when absent). */
  input?: string | Uint8Array;
  /** Kill the child (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ExecResult {
  /** Exit status; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

/** Runs a program without a shell and collects its output. Rejects only when it cannot start. */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => { /* the child may exit before reading its input */ });
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new VerifyError(VerifyErrorCode.RunFailed, `cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        wallMs: performance.now() - start,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Maps `fn` over `items` with at most `jobs` running at once; results in input order. */
export async function parallelMap<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>,
  jobs: number = availableParallelism()): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

/**
 * Running verification programs: an ELF on the target's QEMU board (semihosting for I/O and
 * exit status, `-icount shift=0` so instruction counts are deterministic), or a host
 * executable built by buildHost().
 *
 * Inputs: compile them into the program as C arrays (simplest, nothing to pass), or pass
 * bytes on `stdin` (read with qgc_read_stdin), or put files in `cwd` and read them with
 * qgc_read_file("name") (semihosting paths are relative to QEMU's working directory).
 */
import { loadTarget, type Target } from '../targets/target.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { exec, INSTALL, requireTool } from './exec.js';

export interface RunOptions {
  /** Target name or Target; its board.qemuMachine is the QEMU machine. */
  target: Target | string;
  elf: string;
  /** Wall-clock limit; default 60 s. */
  timeoutMs?: number;
  /** Bytes for the program's semihosting stdin. */
  stdin?: string | Uint8Array;
  /** QEMU's working directory: where qgc_read_file() finds relative paths. */
  cwd?: string;
  /** Extra QEMU arguments. */
  qemuArgs?: string[];
}

export interface RunResult {
  /** Everything the program wrote through semihosting. */
  stdout: string;
  /** QEMU's own diagnostics. */
  stderr: string;
  /** The program's exit status (main's return value or qgc_exit's argument, & 0xff). */
  exitCode: number;
  /** The runtime's fault report line when the program faulted (exit status QGC_EXIT_FAULT = 126). */
  fault: string | null;
  /** `qgc.<key>=<value>` lines the program printed with qgc_report(). */
  reports: Record<string, bigint>;
  wallMs: number;
  /** The command line, for running it by hand. */
  command: string[];
}

/** Exit status of a program that took a fault (qgc_runtime.h QGC_EXIT_FAULT). */
export const EXIT_FAULT = 126;

/** The qemu-system-arm command line that runs `elf` on the target's board. */
export function qemuCommand(target: Target | string, elf: string): string[] {
  const t = typeof target === 'string' ? loadTarget(target) : target;
  if (t.board.qemuMachine === null) {
    throw new VerifyError(VerifyErrorCode.RunFailed, `target ${t.name} has no QEMU board; it can be compiled but not run`,
      'Run on hardware, or pick a target with board.qemuMachine (cortex-m4, cortex-m55, ...).');
  }
  return [
    'qemu-system-arm',
    '-M', t.board.qemuMachine,
    '-display', 'none',
    '-monitor', 'none',
    '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native',
    '-icount', 'shift=0',
    '-kernel', elf,
  ];
}

/** Collects `qgc.<key>=<value>` lines (see qgc_report in qgc_runtime.h). */
export function parseReports(stdout: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const m of stdout.matchAll(/^qgc\.([A-Za-z0-9_.-]+)=(\d+)\s*$/gm)) out[m[1]] = BigInt(m[2]);
  return out;
}

function faultLine(stdout: string): string | null {
  const m = /^qgc: fault: .*$/m.exec(stdout);
  return m ? m[0] : null;
}

/**
 * Runs an ELF under QEMU and returns its output and exit status. A nonzero exit status is
 * returned, not thrown; a timeout or a QEMU that cannot start throws VerifyError.
 */
export async function runQemu(opts: RunOptions): Promise<RunResult> {
  const target = typeof opts.target === 'string' ? loadTarget(opts.target) : opts.target;
  const [cmd, ...args] = [...qemuCommand(target, opts.elf), ...(opts.qemuArgs ?? [])];
  const qemu = requireTool(cmd, INSTALL.qemu);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const r = await exec(qemu, args, { cwd: opts.cwd, input: opts.stdin, timeoutMs });
  if (r.timedOut) {
    throw new VerifyError(VerifyErrorCode.Timeout, `${opts.elf} did not finish on ${target.board.qemuMachine} within ${timeoutMs} ms`,
      'An endless loop, a lockup (QEMU does not exit on a double fault), or a limit too low for this model.',
      `stdout so far:\n${r.stdout}${r.stderr ? `\nqemu stderr:\n${r.stderr}` : ''}`);
  }
  if (r.code === null) {
    throw new VerifyError(VerifyErrorCode.RunFailed, `qemu-system-arm was killed by ${r.signal}`, undefined, r.stderr);
  }
  if (r.code !== 0 && r.stdout === '' && /qemu-system-arm:/.test(r.stderr)) {
    throw new VerifyError(VerifyErrorCode.RunFailed, `qemu-system-arm failed to run ${opts.elf}`, undefined, r.stderr);
  }
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.code,
    fault: faultLine(r.stdout),
    reports: parseReports(r.stdout),
    wallMs: r.wallMs,
    command: [cmd, ...args],
  };
}

export interface HostRunOptions {
  exe: string;
  args?: string[];
  timeoutMs?: number;
  stdin?: string | Uint8Array;
  cwd?: string;
}

/** Runs a host executable from buildHost() with the same result shape as runQemu. */
export async function runHost(opts: HostRunOptions): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const r = await exec(opts.exe, opts.args ?? [], { cwd: opts.cwd, input: opts.stdin, timeoutMs });
  if (r.timedOut) {
    throw new VerifyError(VerifyErrorCode.Timeout, `${opts.exe} did not finish within ${timeoutMs} ms`, undefined, `stdout so far:\n${r.stdout}`);
  }
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.code ?? 128 + 9,
    fault: r.code === null ? `killed by ${r.signal}` : null,
    reports: parseReports(r.stdout),
    wallMs: r.wallMs,
    command: [opts.exe, ...(opts.args ?? [])],
  };
}

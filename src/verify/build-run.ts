/**
 * Builds a network's C with the verify driver and runs it: on the host with `cc`,
 * AddressSanitizer and UndefinedBehaviorSanitizer, or for a Cortex-M target with
 * arm-none-eabi-gcc, qgc's startup code and linker script, under QEMU.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { macroPrefix } from '../backends/c/identifiers.js';
import { FLOAT_FILE } from '../backends/c/render.js';
import type { Target } from '../targets/target.js';
import { DRIVER_EXIT } from './driver.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { runHost, runQemu, type RunResult } from './qemu.js';
import { buildElf, buildHost, type Defines, type SizeInfo } from './toolchain.js';

/** Sanitizer flags of host builds: any report aborts the program. */
export const SANITIZE: readonly string[] = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

export interface BuildRunSpec {
  /** 'host' or a Cortex-M target with a QEMU board. */
  where: Target | 'host';
  /** The folder with `<name>.h/.c`, `<name>_weights.c` and qgc's kernel files. */
  srcDir: string;
  name: string;
  /** Link CMSIS-NN. */
  cmsisNn: boolean;
  /** With CMSIS-NN: build `<name>_check_scratch()` (the driver calls it first); default true. */
  checkScratch?: boolean;
  /** The driver (and any other extra C files). */
  extraSources: string[];
  defines: Defines;
  /** Folder for objects and the executable. */
  outDir: string;
  /** Working directory of the run (where the driver finds its input files). */
  runDir: string;
  timeoutMs: number;
}

export interface BuildRunResult {
  run: RunResult;
  /** Berkeley sizes of the ELF and its linker map file (Cortex-M only). */
  size?: SizeInfo;
  map?: string;
  buildMs: number;
}

/** Network sources of a compiled folder, in link order (the float kernels where the folder has them). */
export function networkSources(srcDir: string, name: string): string[] {
  const float = existsSync(join(srcDir, FLOAT_FILE)) ? [FLOAT_FILE] : [];
  return [`${name}.c`, `${name}_weights.c`, 'qgc_kernels.c', 'qgc_data.c', ...float].map((f) => join(srcDir, f));
}

/** Builds and runs; throws a VerifyError when the program does not finish with status 0. */
export async function buildAndRun(spec: BuildRunSpec): Promise<BuildRunResult> {
  const sources = [...spec.extraSources, ...networkSources(spec.srcDir, spec.name)];
  const defines: Defines = { ...spec.defines, [`${macroPrefix(spec.name)}_CHECK_SCRATCH`]: spec.cmsisNn && spec.checkScratch !== false };
  const t0 = performance.now();
  if (spec.where === 'host') {
    const { exe } = await buildHost({ sources, includeDirs: [spec.srcDir], defines, cmsisNn: spec.cmsisNn, outDir: spec.outDir, name: 'verify', cflags: [...SANITIZE], ldflags: [...SANITIZE] });
    const buildMs = performance.now() - t0;
    const run = await runHost({ exe, cwd: spec.runDir, timeoutMs: spec.timeoutMs });
    check(run, 'the host');
    return { run, buildMs };
  }
  const b = await buildElf({ target: spec.where, sources, includeDirs: [spec.srcDir], defines, cmsisNn: spec.cmsisNn, outDir: spec.outDir, name: 'verify' });
  const buildMs = performance.now() - t0;
  const run = await runQemu({ target: spec.where, elf: b.elf, cwd: spec.runDir, timeoutMs: spec.timeoutMs });
  check(run, `${spec.where.name} (QEMU ${spec.where.board.qemuMachine})`);
  return { run, size: b.size, map: b.map, buildMs };
}

/** The line that says why a run failed: a sanitizer report, a fault, or the driver's message. */
function why(run: RunResult): string {
  const text = `${run.stdout}\n${run.stderr}`;
  const sanitizer = /^.*(ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer).*$/m.exec(text);
  if (sanitizer) return sanitizer[0].trim();
  if (run.fault) return run.fault;
  const driver = /^verify: .*$/m.exec(run.stdout);
  if (driver) return driver[0];
  if (run.exitCode === DRIVER_EXIT.nullCheck) return 'the NULL pointer check did not return -1';
  return `exit status ${run.exitCode}`;
}

function check(run: RunResult, where: string): void {
  if (run.exitCode === 0) return;
  throw new VerifyError(VerifyErrorCode.RunFailed, `the network failed on ${where}: ${why(run)}`,
    'Rerun with --keep to look at the build; this is a qgc bug unless the sources were edited.',
    `${run.command.join(' ')}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
}

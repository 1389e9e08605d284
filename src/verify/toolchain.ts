/**
 * Building C programs for verification: for a Cortex-M target with arm-none-eabi-gcc (an
 * ELF for the target's QEMU board, with qgc's bare-metal runtime) or for the host with `cc`.
 *
 * Project code (what qgc generates, and test drivers) is compiled strictly:
 * `-std=c99 -pedantic -Wall -Wextra -Werror`. CMSIS-NN comes in as a cached static library
 * (./cmsis-nn.ts) with its headers as -isystem, so its warnings never fail a build.
 *
 *   const { elf, size } = await buildElf({ target: 'cortex-m4', sources: ['net.c', 'main.c'],
 *     includeDirs: [dir], cmsisNn: true, outDir: dir });
 *   const { stdout, exitCode } = await runQemu({ target: 'cortex-m4', elf });
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { loadTarget, tickRatio, type Target } from '../targets/target.js';
import { buildCmsisNn, type CmsisNnOptions } from './cmsis-nn.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { exec, INSTALL, parallelMap, requireTool } from './exec.js';

/** Warnings every qgc-generated or project C file must pass. */
export const STRICT_CFLAGS: readonly string[] = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror'];

/** templates/c/runtime: qgc_startup.S, qgc_runtime.c, qgc_runtime_host.c, qgc_runtime.h, qgc_link.ld.hbs. */
export function runtimeDir(): string {
  return fileURLToPath(new URL('../../templates/c/runtime/', import.meta.url));
}

export type Defines = Record<string, string | number | boolean>;

export interface BuildOptions {
  /** Target name (`cortex-m4`) or a loaded Target. */
  target: Target | string;
  /** Project C (or .S) files, compiled with STRICT_CFLAGS unless `strict: false`. */
  sources: string[];
  includeDirs?: string[];
  /** `-D` macros; `true` means `-DNAME`, `false` leaves it out. */
  defines?: Defines;
  /** Link CMSIS-NN (built and cached for the target) and put its Include/ on the path. */
  cmsisNn?: boolean | CmsisNnOptions;
  /** Folder for objects, the linker script, the map file and the ELF (created). */
  outDir: string;
  /** Base name of the output; default 'prog'. */
  name?: string;
  /** Optimization flag for project code; default '-O2'. */
  opt?: string;
  /** Use STRICT_CFLAGS for project sources; default true. */
  strict?: boolean;
  /** Extra compile flags for project sources. */
  cflags?: string[];
  /** Extra link flags, e.g. ['-u', '_printf_float']. */
  ldflags?: string[];
  /** Stack reservation in bytes; default the target's board.stackSize. */
  stackSize?: number;
  /** Link qgc's runtime (startup, semihosting, counters); default true. */
  runtime?: boolean;
}

export interface SizeInfo {
  /** Berkeley `size` columns: code + const data (+ .ARM.exidx, init arrays). */
  text: number;
  data: number;
  bss: number;
  /** Flash the program needs: text + data (the .data load image). */
  flash: number;
  /** Static RAM: data + bss (stack and heap not included). */
  ram: number;
}

export interface BuildResult {
  elf: string;
  map: string;
  linkerScript: string;
  size: SizeInfo;
  /** Stack reservation linked in (bytes at the top of RAM). */
  stackSize: number;
  target: Target;
  /** Whether the program fits the target's typical part (target.part), stack included in RAM. */
  fitsPart: { flash: boolean; ram: boolean };
}

function resolveTarget(t: Target | string): Target {
  return typeof t === 'string' ? loadTarget(t) : t;
}

function defineFlags(defines: Defines | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(defines ?? {})) {
    if (v === false) continue;
    out.push(v === true ? `-D${k}` : `-D${k}=${v}`);
  }
  return out;
}

const newlibChecked = new Set<string>();

/** Checks that newlib-nano exists for the target's multilib (libnewlib-arm-none-eabi). */
async function requireNewlib(gcc: string, target: Target): Promise<void> {
  const key = target.cflags.join(' ');
  if (newlibChecked.has(key)) return;
  const r = await exec(gcc, [...target.cflags, '-print-file-name=libc_nano.a']);
  const path = r.stdout.trim();
  if (r.code !== 0 || !path.includes('/') || !existsSync(path)) {
    throw new VerifyError(VerifyErrorCode.ToolMissing, `newlib (libc_nano.a) for ${target.name} was not found by arm-none-eabi-gcc`,
      `Install it: ${INSTALL.newlib}.`);
  }
  newlibChecked.add(key);
}

/** The linker script for a target's QEMU board memory map (templates/c/runtime/qgc_link.ld.hbs). */
export function renderLinkerScript(target: Target, stackSize: number = target.board.stackSize): string {
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  const tpl = Handlebars.compile(readFileSync(join(runtimeDir(), 'qgc_link.ld.hbs'), 'utf8'), { noEscape: true, strict: true });
  return tpl({
    target: target.name,
    board: target.board.qemuMachine ?? 'no QEMU board',
    romOrigin: hex(target.board.rom.origin),
    romLength: hex(target.board.rom.length),
    ramOrigin: hex(target.board.ram.origin),
    ramLength: hex(target.board.ram.length),
    stackSize: hex(stackSize),
    heapMin: hex(target.board.heapMin),
  });
}

interface CompileJob {
  src: string;
  obj: string;
  args: string[];
}

async function compileAll(cc: string, jobs: CompileJob[], what: string): Promise<void> {
  await parallelMap(jobs, async (j) => {
    const r = await exec(cc, [...j.args, '-c', j.src, '-o', j.obj]);
    if (r.code !== 0) {
      throw new VerifyError(VerifyErrorCode.BuildFailed, `${basename(j.src)} failed to compile for ${what}`,
        'The compiler output follows; qgc-generated code must build warning-free, so this is a qgc bug unless the file is yours.',
        `${[cc, ...j.args, '-c', j.src, '-o', j.obj].join(' ')}\n${r.stderr}`);
    }
  });
}

function objectJobs(sources: string[], objDir: string, argsFor: (src: string) => string[]): CompileJob[] {
  mkdirSync(objDir, { recursive: true });
  return sources.map((src, i) => ({
    src: resolve(src),
    obj: join(objDir, `${i.toString().padStart(3, '0')}_${basename(src, extname(src))}.o`),
    args: argsFor(src),
  }));
}

/** Builds an ELF for the target's board. Throws VerifyError on missing tools, compile errors or overflow. */
export async function buildElf(opts: BuildOptions): Promise<BuildResult> {
  const target = resolveTarget(opts.target);
  const gcc = requireTool('arm-none-eabi-gcc', INSTALL.armGcc);
  requireTool('arm-none-eabi-size', INSTALL.armGcc);
  await requireNewlib(gcc, target);
  const name = opts.name ?? 'prog';
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const stackSize = opts.stackSize ?? target.board.stackSize;
  const ld = join(outDir, `${name}.ld`);
  writeFileSync(ld, renderLinkerScript(target, stackSize));

  const runtime = opts.runtime ?? true;
  const rt = runtimeDir();
  const cmsis = opts.cmsisNn ? await buildCmsisNn(target, opts.cmsisNn === true ? {} : opts.cmsisNn) : null;
  const ratio = tickRatio(target) ?? { num: 1, den: 1 };
  const common = [
    ...target.cflags,
    opts.opt ?? '-O2',
    '-g',
    '-ffunction-sections',
    '-fdata-sections',
    '-I', rt,
    ...(opts.includeDirs ?? []).flatMap((d) => ['-I', resolve(d)]),
    ...(cmsis ? ['-isystem', cmsis.includeDir] : []),
    `-DQGC_TICK_NUM=${ratio.num}u`,
    `-DQGC_TICK_DEN=${ratio.den}u`,
    ...defineFlags(opts.defines),
  ];
  const sources = [...(runtime ? [join(rt, 'qgc_startup.S'), join(rt, 'qgc_runtime.c')] : []), ...opts.sources];
  const jobs = objectJobs(sources, join(outDir, `${name}.obj`), (src) => {
    const asm = /\.(S|s)$/.test(src);
    return [...common, ...(asm || opts.strict === false ? [] : STRICT_CFLAGS), ...(asm ? [] : opts.cflags ?? [])];
  });
  await compileAll(gcc, jobs, target.name);

  const elf = join(outDir, `${name}.elf`);
  const map = join(outDir, `${name}.map`);
  const linkArgs = [
    ...target.cflags,
    '-nostartfiles',
    '--specs=nano.specs',
    '-Wl,--gc-sections',
    `-Wl,-Map=${map}`,
    '-T', ld,
    ...jobs.map((j) => j.obj),
    ...(cmsis ? [cmsis.lib] : []),
    ...(opts.ldflags ?? []),
    '-lm',
    '-o', elf,
  ];
  const r = await exec(gcc, linkArgs);
  if (r.code !== 0) {
    const overflow = /region `(ROM|RAM)' overflowed by (\d+) bytes|qgc: RAM overflow/.exec(r.stderr);
    if (overflow) {
      const region = overflow[1] ?? 'RAM';
      const b = region === 'ROM' ? target.board.rom : target.board.ram;
      throw new VerifyError(VerifyErrorCode.DoesNotFit,
        `${name} does not fit ${target.name}'s ${region} (${b.length} bytes at 0x${b.origin.toString(16)} on ${target.board.qemuMachine ?? 'the board'})${overflow[2] ? `: over by ${overflow[2]} bytes` : ''}`,
        region === 'RAM' ? 'Reduce the arena or the stack (stackSize), or pick a target with more RAM.' : 'Reduce the weights (fewer bits) or pick a target with more flash.',
        r.stderr);
    }
    throw new VerifyError(VerifyErrorCode.BuildFailed, `linking ${name} for ${target.name} failed`, undefined,
      `${[gcc, ...linkArgs].join(' ')}\n${r.stderr}`);
  }
  const size = await readSize(elf);
  return {
    elf,
    map,
    linkerScript: ld,
    size,
    stackSize,
    target,
    fitsPart: { flash: size.flash <= target.part.flash, ram: size.ram + stackSize <= target.part.sram },
  };
}

/** Parses Berkeley-format `size` output (the first data row). */
export function parseSize(text: string): SizeInfo {
  const lines = text.trim().split('\n');
  const header = lines.findIndex((l) => /^\s*text\s+data\s+bss\b/.test(l));
  const row = header >= 0 ? lines[header + 1] : undefined;
  const m = row === undefined ? null : /^\s*(\d+)\s+(\d+)\s+(\d+)\s/.exec(row);
  if (!m) throw new VerifyError(VerifyErrorCode.RunFailed, `cannot parse size output: ${text.slice(0, 200)}`);
  const [text_, data, bss] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { text: text_, data, bss, flash: text_ + data, ram: data + bss };
}

/** Runs arm-none-eabi-size on an ELF. */
export async function readSize(elf: string): Promise<SizeInfo> {
  const size = requireTool('arm-none-eabi-size', INSTALL.armGcc);
  const r = await exec(size, [elf]);
  if (r.code !== 0) throw new VerifyError(VerifyErrorCode.RunFailed, `arm-none-eabi-size ${elf} failed`, undefined, r.stderr);
  return parseSize(r.stdout);
}

/** Options of a host build: those of a target build without the target and its stack; CMSIS-NN
 * is built for the host (its portable C paths) and the runtime is qgc_runtime_host.c. */
export type HostBuildOptions = Omit<BuildOptions, 'target' | 'stackSize'>;

/** Builds a host executable with `cc` (or $CC), linking qgc's host runtime. */
export async function buildHost(opts: HostBuildOptions): Promise<{ exe: string }> {
  const cc = requireTool(process.env.CC || 'cc', INSTALL.hostCc, 'host C compiler');
  const name = opts.name ?? 'prog';
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const rt = runtimeDir();
  const cmsis = opts.cmsisNn ? await buildCmsisNn('host', opts.cmsisNn === true ? {} : opts.cmsisNn) : null;
  const common = [
    opts.opt ?? '-O2',
    '-g',
    '-I', rt,
    ...(opts.includeDirs ?? []).flatMap((d) => ['-I', resolve(d)]),
    ...(cmsis ? ['-isystem', cmsis.includeDir] : []),
    ...defineFlags(opts.defines),
  ];
  const sources = [...((opts.runtime ?? true) ? [join(rt, 'qgc_runtime_host.c')] : []), ...opts.sources];
  const jobs = objectJobs(sources, join(outDir, `${name}.host-obj`), () =>
    [...common, ...(opts.strict === false ? [] : STRICT_CFLAGS), ...(opts.cflags ?? [])]);
  await compileAll(cc, jobs, 'the host');
  const exe = join(outDir, name);
  const linkArgs = [...jobs.map((j) => j.obj), ...(cmsis ? [cmsis.lib] : []), ...(opts.ldflags ?? []), '-lm', '-o', exe];
  const r = await exec(cc, linkArgs);
  if (r.code !== 0) {
    throw new VerifyError(VerifyErrorCode.BuildFailed, `linking ${name} for the host failed`, undefined, `${[cc, ...linkArgs].join(' ')}\n${r.stderr}`);
  }
  return { exe };
}

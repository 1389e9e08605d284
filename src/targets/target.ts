/**
 * Device targets: `targets/<name>.json` describes a core (compiler flags, ISA features,
 * a typical part's flash and SRAM), the board that runs it under QEMU (memory map for the
 * linker script, the measured instructions per SysTick tick) and a cost model for the
 * bit-width search. Nothing about a device is hard-coded elsewhere; everything reads a
 * `Target` from here. Field meanings: docs/cortex-m.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError, ErrorCode } from '../errors.js';

export type FpuKind = 'none' | 'sp' | 'dp';
export type KernelFamily = 'conv' | 'depthwiseConv' | 'fullyConnected';
export type KernelWidth = 's8' | 's4' | 's16';
export type ElementOp = 'add' | 'mul' | 'maxPool' | 'avgPool' | 'softmax' | 'relu';

export interface MemoryRegion {
  /** Start address. */
  origin: number;
  /** Size in bytes. */
  length: number;
  /** What the region is on the board (free text). */
  what: string;
}

export interface Board {
  /** `qemu-system-arm -M` machine, or null when no QEMU model exists (compile-only). */
  qemuMachine: string | null;
  description: string;
  /** The board's system clock, which SysTick counts. */
  clockHz: number;
  /**
   * Executed instructions per SysTick tick under `-icount shift=0` (1 ns per instruction,
   * so 1e9 / clockHz). Measured with a calibrated loop (test/qemu-runtime.test.ts).
   * Null when there is no QEMU machine.
   */
  instructionsPerTick: number | null;
  /** Linker regions: code + const data, and data + bss + heap + stack. */
  rom: MemoryRegion;
  ram: MemoryRegion;
  /** Default stack reservation at the top of RAM, bytes. */
  stackSize: number;
  /** Minimum heap the linker script keeps free between .bss and the stack, bytes. */
  heapMin: number;
}

export interface CostModel {
  /** 'instructions' (what QEMU counts) or 'cycles'. */
  unit: 'instructions' | 'cycles';
  /** 'estimate' until someone measures it; 'measured' after. */
  source: 'estimate' | 'measured';
  note: string;
  /** Fixed cost of one kernel call (argument checks, loop setup). */
  perCallOverhead: number;
  /** Marginal cost per multiply-accumulate, per kernel family and operand width. */
  perMac: Record<KernelFamily, Record<KernelWidth, number>>;
  /** Cost per output element (requantization, loop overhead), per kernel family and width. */
  perOutput: Record<KernelFamily, Record<KernelWidth, number>>;
  /** Cost per output element (pooling: per window element) of the non-MAC ops. */
  perElement: Record<ElementOp, number>;
}

export interface Target {
  /** File name without `.json`, e.g. `cortex-m4`. */
  name: string;
  description: string;
  /** `-mcpu` value. */
  cpu: string;
  arch: string;
  /** Code-generation flags for arm-none-eabi-gcc (and for linking). */
  cflags: string[];
  features: { dsp: boolean; mve: boolean; fpu: FpuKind };
  /** A typical part with this core: flash and SRAM bytes the generated code should fit. */
  part: { example: string; flash: number; sram: number };
  kernels: { providers: string[]; weightBits: number[]; activationBits: number[] };
  board: Board;
  costModel: CostModel;
  /** Where the JSON came from. */
  file: string;
}

/** The `targets/` folder shipped with qgc (same relative path from src/ and dist/). */
export function targetsDir(): string {
  return fileURLToPath(new URL('../../targets/', import.meta.url));
}

/** Names of the targets in `dir`, sorted. */
export function listTargets(dir: string = targetsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

const cache = new Map<string, Target>();

/**
 * Loads a target by name (`cortex-m4`) from `dir`, or from a path to a JSON file.
 * Throws a CompileError naming the file and the field when anything is missing or wrong.
 */
export function loadTarget(nameOrPath: string, dir: string = targetsDir()): Target {
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
  const target = parseTarget(json, file);
  if (!isPath && target.name !== nameOrPath) {
    throw new CompileError(ErrorCode.BadInput, `field 'name' is '${target.name}' but the file is ${basename(file)}`, { file },
      `Set "name": "${nameOrPath}".`);
  }
  cache.set(file, target);
  return target;
}

/** Validates a parsed target JSON. `file` is used in error messages only. */
export function parseTarget(json: unknown, file: string): Target {
  const v = new Validator(file);
  const root = v.object(json, '');
  const board = v.object(root.board, 'board');
  const qemuMachine = v.stringOrNull(board.qemuMachine, 'board.qemuMachine');
  const instructionsPerTick = qemuMachine === null
    ? v.positiveOrNull(board.instructionsPerTick, 'board.instructionsPerTick')
    : v.positive(board.instructionsPerTick, 'board.instructionsPerTick');
  const clockHz = v.positive(board.clockHz, 'board.clockHz');
  const cost = v.object(root.costModel, 'costModel');
  const perMac = v.object(cost.perMac, 'costModel.perMac');
  const perOutput = v.object(cost.perOutput, 'costModel.perOutput');
  const perElement = v.object(cost.perElement, 'costModel.perElement');
  const families: KernelFamily[] = ['conv', 'depthwiseConv', 'fullyConnected'];
  const widths: KernelWidth[] = ['s8', 's4', 's16'];
  const elementOps: ElementOp[] = ['add', 'mul', 'maxPool', 'avgPool', 'softmax', 'relu'];
  const features = v.object(root.features, 'features');
  const part = v.object(root.part, 'part');
  const kernels = v.object(root.kernels, 'kernels');

  const t: Target = {
    name: v.string(root.name, 'name'),
    description: v.string(root.description, 'description'),
    cpu: v.string(root.cpu, 'cpu'),
    arch: v.string(root.arch, 'arch'),
    cflags: v.stringArray(root.cflags, 'cflags'),
    features: {
      dsp: v.boolean(features.dsp, 'features.dsp'),
      mve: v.boolean(features.mve, 'features.mve'),
      fpu: v.oneOf(features.fpu, 'features.fpu', ['none', 'sp', 'dp'] as const),
    },
    part: {
      example: v.string(part.example, 'part.example'),
      flash: v.size(part.flash, 'part.flash'),
      sram: v.size(part.sram, 'part.sram'),
    },
    kernels: {
      providers: v.stringArray(kernels.providers, 'kernels.providers'),
      weightBits: v.numberArray(kernels.weightBits, 'kernels.weightBits'),
      activationBits: v.numberArray(kernels.activationBits, 'kernels.activationBits'),
    },
    board: {
      qemuMachine,
      description: v.string(board.description, 'board.description'),
      clockHz,
      instructionsPerTick,
      rom: v.region(board.rom, 'board.rom'),
      ram: v.region(board.ram, 'board.ram'),
      stackSize: v.size(board.stackSize, 'board.stackSize'),
      heapMin: v.size(board.heapMin, 'board.heapMin', true),
    },
    costModel: {
      unit: v.oneOf(cost.unit, 'costModel.unit', ['instructions', 'cycles'] as const),
      source: v.oneOf(cost.source, 'costModel.source', ['estimate', 'measured'] as const),
      note: v.string(cost.note, 'costModel.note'),
      perCallOverhead: v.nonNegative(cost.perCallOverhead, 'costModel.perCallOverhead'),
      perMac: Object.fromEntries(families.map((f) => {
        const row = v.object(perMac[f], `costModel.perMac.${f}`);
        return [f, Object.fromEntries(widths.map((w) => [w, v.positive(row[w], `costModel.perMac.${f}.${w}`)]))];
      })) as Record<KernelFamily, Record<KernelWidth, number>>,
      perOutput: Object.fromEntries(families.map((f) => {
        const row = v.object(perOutput[f], `costModel.perOutput.${f}`);
        return [f, Object.fromEntries(widths.map((w) => [w, v.nonNegative(row[w], `costModel.perOutput.${f}.${w}`)]))];
      })) as Record<KernelFamily, Record<KernelWidth, number>>,
      perElement: Object.fromEntries(elementOps.map((op) => [op, v.positive(perElement[op], `costModel.perElement.${op}`)])) as Record<ElementOp, number>,
    },
    file,
  };

  // Cross-field checks.
  if (!t.cflags.includes(`-mcpu=${t.cpu}`)) v.fail('cflags', `must contain -mcpu=${t.cpu}`);
  if (!t.cflags.includes('-mthumb')) v.fail('cflags', 'must contain -mthumb (Cortex-M runs Thumb code only)');
  const floatAbi = t.cflags.find((f) => f.startsWith('-mfloat-abi='));
  if (floatAbi === undefined) v.fail('cflags', 'must contain -mfloat-abi=soft or -mfloat-abi=hard');
  if (t.features.fpu === 'none' && floatAbi !== '-mfloat-abi=soft') v.fail('cflags', "must use -mfloat-abi=soft when features.fpu is 'none'");
  if (t.features.fpu !== 'none' && floatAbi === '-mfloat-abi=soft') v.fail('cflags', `-mfloat-abi=soft wastes the ${t.features.fpu} FPU; use -mfloat-abi=hard`);
  if (t.features.mve && !t.features.dsp) v.fail('features.dsp', 'must be true when features.mve is true (MVE cores have the DSP extension)');
  if (t.board.stackSize % 8 !== 0) v.fail('board.stackSize', 'must be a multiple of 8 (AAPCS stack alignment)');
  if ((t.board.ram.origin + t.board.ram.length) % 8 !== 0) v.fail('board.ram', 'must end on an 8-byte boundary (the stack starts there)');
  if (t.board.stackSize + t.board.heapMin >= t.board.ram.length) v.fail('board.stackSize', 'stack + heapMin leave no RAM for data');
  if (instructionsPerTick !== null && Math.abs(instructionsPerTick - 1e9 / clockHz) > 1e-9 * instructionsPerTick) {
    v.fail('board.instructionsPerTick', `is ${instructionsPerTick} but -icount shift=0 (1 ns per instruction) at board.clockHz ${clockHz} gives ${1e9 / clockHz}`);
  }
  for (const b of t.kernels.weightBits) if (![4, 8, 16].includes(b)) v.fail('kernels.weightBits', `has ${b}; allowed: 4, 8, 16`);
  for (const b of t.kernels.activationBits) if (![8, 16].includes(b)) v.fail('kernels.activationBits', `has ${b}; allowed: 8, 16`);
  return t;
}

/**
 * The instructions-per-tick factor as a fraction NUM/DEN of small integers (31.25 → 125/4),
 * for the C runtime's QGC_TICK_NUM / QGC_TICK_DEN. Null when the target has no QEMU board.
 */
export function tickRatio(target: Target): { num: number; den: number } | null {
  const x = target.board.instructionsPerTick;
  if (x === null) return null;
  for (let den = 1; den <= 1024; den++) {
    const num = Math.round(x * den);
    if (Math.abs(num / den - x) < 1e-12 * x) return { num, den };
  }
  throw new CompileError(ErrorCode.BadInput, `board.instructionsPerTick ${x} is not a fraction with a denominator up to 1024`, { file: target.file });
}

/**
 * The cost model's estimate for one layer: perCallOverhead + perMac * macs + perOutput * outputs,
 * in the model's unit (instructions for the Cortex-M targets).
 */
export function layerCost(target: Target, family: KernelFamily, width: KernelWidth, macs: number, outputs: number): number {
  const m = target.costModel;
  return m.perCallOverhead + m.perMac[family][width] * macs + m.perOutput[family][width] * outputs;
}

/** Field-by-field checker that reports `file: field 'a.b' must be ...` as a CompileError. */
class Validator {
  constructor(private readonly file: string) {}

  fail(path: string, what: string): never {
    throw new CompileError(ErrorCode.BadInput, `invalid target: field '${path || '(root)'}' ${what}`, { file: this.file },
      'See docs/cortex-m.md for the target file format; targets/cortex-m4.json is a complete example.');
  }

  object(x: unknown, path: string): Record<string, unknown> {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(path, 'must be an object');
    return x as Record<string, unknown>;
  }

  string(x: unknown, path: string): string {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'string' || x.length === 0) this.fail(path, 'must be a non-empty string');
    return x;
  }

  stringOrNull(x: unknown, path: string): string | null {
    if (x === null) return null;
    if (x === undefined) this.fail(path, 'is missing (use null when there is none)');
    return this.string(x, path);
  }

  boolean(x: unknown, path: string): boolean {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'boolean') this.fail(path, 'must be true or false');
    return x;
  }

  oneOf<T extends string>(x: unknown, path: string, allowed: readonly T[]): T {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
      this.fail(path, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    }
    return x as T;
  }

  positive(x: unknown, path: string): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) this.fail(path, 'must be a positive number');
    return x;
  }

  positiveOrNull(x: unknown, path: string): number | null {
    return x === null || x === undefined ? null : this.positive(x, path);
  }

  nonNegative(x: unknown, path: string): number {
    if (x === undefined) this.fail(path, 'is missing');
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) this.fail(path, 'must be a number >= 0');
    return x;
  }

  /** A byte count or address: an integer, or a "0x..." hex string. */
  size(x: unknown, path: string, zeroOk = false): number {
    if (x === undefined) this.fail(path, 'is missing');
    let n: number = NaN;
    if (typeof x === 'number') n = x;
    else if (typeof x === 'string' && /^0x[0-9a-fA-F]+$/.test(x)) n = parseInt(x, 16);
    if (!Number.isSafeInteger(n) || n < 0 || (!zeroOk && n === 0) || n > 0xffffffff) {
      this.fail(path, `must be ${zeroOk ? 'a non-negative' : 'a positive'} integer (or a "0x..." hex string) below 2^32`);
    }
    return n;
  }

  region(x: unknown, path: string): MemoryRegion {
    const o = this.object(x, path);
    const origin = this.size(o.origin, `${path}.origin`, true);
    const length = this.size(o.length, `${path}.length`);
    if (origin + length > 0x1_0000_0000) this.fail(path, 'extends past the 4 GiB address space');
    return { origin, length, what: this.string(o.what, `${path}.what`) };
  }

  stringArray(x: unknown, path: string): string[] {
    if (!Array.isArray(x) || x.length === 0) this.fail(path, x === undefined ? 'is missing' : 'must be a non-empty array of strings');
    return x.map((e, i) => this.string(e, `${path}[${i}]`));
  }

  numberArray(x: unknown, path: string): number[] {
    if (!Array.isArray(x) || x.length === 0) this.fail(path, x === undefined ? 'is missing' : 'must be a non-empty array of numbers');
    return x.map((e, i) => this.positive(e, `${path}[${i}]`));
  }
}

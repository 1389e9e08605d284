/**
 * Kind `mcu`: a microcontroller core that the C backend compiles for (Cortex-M today).
 * `targets/<name>.json` describes the core (compiler flags, ISA features, a typical part's
 * flash and SRAM), the board that runs it under QEMU (memory map for the linker script, the
 * measured instructions per SysTick tick, whether `qgc verify` runs on it by default) and a
 * cost model: per-layer estimates for the bit-width search, and the coefficients kernel
 * dispatch reads (gathered rows vs arm_convolve_s8, the add lookup table). Field meanings:
 * docs/cortex-m.md.
 */
import { CompileError, ErrorCode } from '../errors.js';
import { parseKernelBits, parseLayerCost, type KernelBits, type LayerCostModel } from './cost.js';
import { Validator, type MemoryRegion } from './validate.js';

export type { MemoryRegion } from './validate.js';
export type FpuKind = 'none' | 'sp' | 'dp';

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
  /** `qgc verify` runs on this board when no `--targets` are given (optional, default false;
   * needs a QEMU machine). */
  verifyByDefault: boolean;
}

/** Per-pixel coefficients of arm_convolve_s8 on a DSP build: a layer costs pixels *
 * (mac * C_out * K + outChannel * C_out + tap * taps + tapChannel * taps * C_in), K = taps * C_in. */
export interface DspConvS8Cost { mac: number; outChannel: number; tap: number; tapChannel: number }
/** Gathered rows on a DSP build: pixels * (mac * C_out * K + outChannel * C_out) + rows *
 * (rowWeight * C_out * K + gathered * (gathered + gatheredChannel * C_in) + row). */
export interface DspRowsCost { mac: number; outChannel: number; rowWeight: number; gathered: number; gatheredChannel: number; row: number }
/** arm_convolve_s8 on an MVE build (16-byte lanes, four output channels at a time): pixels *
 * ((lane * lanes + quad) * C_out / 4 + taps * (tap + tapChannel * C_in) + pixel). */
export interface MveConvS8Cost { lane: number; quad: number; tap: number; tapChannel: number; pixel: number }
/** Gathered rows on an MVE build (four output columns at a time): rows * (fours * C_out *
 * (quadLane * lanes + quad) + (W_out % 4) * C_out * (restLane * lanes + rest) + gathered *
 * (gathered + gatheredChannel * C_in) + row). */
export interface MveRowsCost { quadLane: number; quad: number; restLane: number; rest: number; gathered: number; gatheredChannel: number; row: number }

/** The fitted estimates that choose gathered rows or arm_convolve_s8 for a convolution
 * (src/backends/c/cmsis-dispatch.ts, docs/c-backend.md "Gathered rows"), one form per ISA. */
export type ConvRowsCost =
  | { model: 'dsp'; note: string; convS8: DspConvS8Cost; rows: DspRowsCost }
  | { model: 'mve'; note: string; convS8: MveConvS8Cost; rows: MveRowsCost };

/** The constants kernel dispatch reads. */
export interface McuDispatchCost {
  /** Elements from which a QAdd reads its input rescaling from two 256-entry int32 tables
   * (qgc_add_lut_s8) instead of calling arm_elementwise_add_s8; null: never. */
  addLutMinElements: number | null;
  /** Gathered rows vs arm_convolve_s8; null: always the wrapper (not measured on this core). */
  convRows: ConvRowsCost | null;
}

export interface McuCostModel extends LayerCostModel<'instructions' | 'cycles'> {
  dispatch: McuDispatchCost;
}

export interface McuTarget {
  kind: 'mcu';
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
  kernels: { providers: string[] } & KernelBits;
  board: Board;
  costModel: McuCostModel;
  /** Where the JSON came from. */
  file: string;
}

/** Where the mcu format is described (the hint of every mcu field error). */
export const MCU_HINT = 'See docs/cortex-m.md for the target file format; targets/cortex-m4.json is a complete example.';

const DSP_CONV_S8 = ['mac', 'outChannel', 'tap', 'tapChannel'] as const;
const DSP_ROWS = ['mac', 'outChannel', 'rowWeight', 'gathered', 'gatheredChannel', 'row'] as const;
const MVE_CONV_S8 = ['lane', 'quad', 'tap', 'tapChannel', 'pixel'] as const;
const MVE_ROWS = ['quadLane', 'quad', 'restLane', 'rest', 'gathered', 'gatheredChannel', 'row'] as const;

function coefficients<K extends string>(v: Validator, x: unknown, path: string, keys: readonly K[]): Record<K, number> {
  const o = v.object(x, path);
  for (const k of Object.keys(o)) if (!(keys as readonly string[]).includes(k)) v.fail(`${path}.${k}`, `is not a coefficient of this model (expected ${keys.join(', ')})`);
  return Object.fromEntries(keys.map((k) => [k, v.finite(o[k], `${path}.${k}`)])) as Record<K, number>;
}

function parseConvRows(v: Validator, x: unknown, path: string): ConvRowsCost | null {
  const o = v.objectOrNull(x, path);
  if (o === null) return null;
  const model = v.oneOf(o.model, `${path}.model`, ['dsp', 'mve'] as const);
  const note = v.string(o.note, `${path}.note`);
  return model === 'dsp'
    ? { model, note, convS8: coefficients(v, o.convS8, `${path}.convS8`, DSP_CONV_S8), rows: coefficients(v, o.rows, `${path}.rows`, DSP_ROWS) }
    : { model, note, convS8: coefficients(v, o.convS8, `${path}.convS8`, MVE_CONV_S8), rows: coefficients(v, o.rows, `${path}.rows`, MVE_ROWS) };
}

/** Validates an mcu target file's fields (`kind` already read). `file` is used in error messages only. */
export function parseMcuTarget(root: Record<string, unknown>, file: string): McuTarget {
  const v = new Validator(file, MCU_HINT);
  const board = v.object(root.board, 'board');
  const qemuMachine = v.stringOrNull(board.qemuMachine, 'board.qemuMachine');
  const instructionsPerTick = qemuMachine === null
    ? v.positiveOrNull(board.instructionsPerTick, 'board.instructionsPerTick')
    : v.positive(board.instructionsPerTick, 'board.instructionsPerTick');
  const clockHz = v.positive(board.clockHz, 'board.clockHz');
  const cost = v.object(root.costModel, 'costModel');
  const dispatch = v.object(cost.dispatch, 'costModel.dispatch');
  const features = v.object(root.features, 'features');
  const part = v.object(root.part, 'part');
  const kernels = v.object(root.kernels, 'kernels');

  const t: McuTarget = {
    kind: 'mcu',
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
    kernels: { providers: v.stringArray(kernels.providers, 'kernels.providers'), ...parseKernelBits(v, kernels) },
    board: {
      qemuMachine,
      description: v.string(board.description, 'board.description'),
      clockHz,
      instructionsPerTick,
      rom: v.region(board.rom, 'board.rom'),
      ram: v.region(board.ram, 'board.ram'),
      stackSize: v.size(board.stackSize, 'board.stackSize'),
      heapMin: v.size(board.heapMin, 'board.heapMin', true),
      verifyByDefault: v.optionalBoolean(board.verifyByDefault, 'board.verifyByDefault', false),
    },
    costModel: {
      ...parseLayerCost(v, cost, 'costModel', ['instructions', 'cycles'] as const),
      dispatch: {
        addLutMinElements: v.countOrNull(dispatch.addLutMinElements, 'costModel.dispatch.addLutMinElements'),
        convRows: parseConvRows(v, dispatch.convRows, 'costModel.dispatch.convRows'),
      },
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
  if (t.board.verifyByDefault && qemuMachine === null) v.fail('board.verifyByDefault', 'must be false when board.qemuMachine is null (there is nothing to run on)');
  const rows = t.costModel.dispatch.convRows;
  const isa = t.features.mve ? 'mve' : t.features.dsp ? 'dsp' : 'plain';
  if (rows !== null && rows.model !== isa) {
    v.fail('costModel.dispatch.convRows.model', `is '${rows.model}' but CMSIS-NN builds the ${isa} kernels for this core (features.dsp/mve)${isa === 'plain' ? '; use null' : `; use '${isa}'`}`);
  }
  return t;
}

/**
 * The instructions-per-tick factor as a fraction NUM/DEN of small integers (31.25 → 125/4),
 * for the C runtime's QGC_TICK_NUM / QGC_TICK_DEN. Null when the target has no QEMU board.
 */
export function tickRatio(target: McuTarget): { num: number; den: number } | null {
  const x = target.board.instructionsPerTick;
  if (x === null) return null;
  for (let den = 1; den <= 1024; den++) {
    const num = Math.round(x * den);
    if (Math.abs(num / den - x) < 1e-12 * x) return { num, den };
  }
  throw new CompileError(ErrorCode.BadInput, `board.instructionsPerTick ${x} is not a fraction with a denominator up to 1024`, { file: target.file });
}

/** Elements from which a CMSIS-NN build's QAdd uses the lookup-table add (qgc_add_lut_s8);
 * null when it never does (the core's own add is cheaper, e.g. MVE). */
export function addLutMinElements(target: McuTarget): number | null {
  return target.costModel.dispatch.addLutMinElements;
}

/** True when a QAdd of `elements` outputs runs as the lookup-table add on `target`. */
export function usesAddLut(target: McuTarget, elements: number): boolean {
  const min = addLutMinElements(target);
  return min !== null && elements >= min;
}

/**
 * Schedule → one Wasm module (binaryen): one function per step with every bound, stride, offset
 * and multiplier baked in, and `run` calling them in order. One linear memory, sized to what the
 * network needs and never grown:
 *
 *   [0, arena)              the arena the schedule planned (tensors and kernel scratch)
 *   [io, io + staging)      API buffers of inputs/outputs whose arena bytes are not in the
 *                           model's order (NHWC): run() gathers them in and out
 *   [consts, consts + n)    packed weights, per-channel records and tables (a data segment)
 *   16 bytes                room for the 8-byte SIMD loads that run past a tensor's end
 *
 * The module is validated, optimized (binaryen at -O3) and validated again.
 */
import binaryen from 'binaryen';
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount } from '../../ir/graph.js';
import type { StridedCopy } from '../../schedule/layout.js';
import type { Boundary, Schedule, ScheduledTensor } from '../../schedule/types.js';
import { ConstPool } from './consts.js';
import { Fn, type Expr } from './fn.js';
import type { BuildContext, WasmProvider } from './kernel.js';
import { gather } from './kernels/data.js';
import { addSoftmaxHelpers } from './kernels/softmax.js';

/** One Wasm page. */
const PAGE = 65536;
const SLACK = 16;

const align16 = (x: number) => Math.ceil(x / 16) * 16;

/** Where an API input or output lives in linear memory. */
export interface IoPlace {
  name: string;
  /** Address of the model-order (row-major) bytes the loader writes or reads. */
  offset: number;
  size: number;
  /** True when those bytes are the arena tensor itself (no copy in run). */
  direct: boolean;
}

/** The memory map both modules of a network share (inputs and outputs at the same addresses). */
export interface IoMap {
  arenaBytes: number;
  inputs: IoPlace[];
  outputs: IoPlace[];
  /** First address past the arena and the staging buffers. */
  end: number;
}

export function isPlain(c: StridedCopy): boolean {
  return c.dims.length === 1 && c.srcStrides[0] === 1;
}

/** The memory map of a schedule's API buffers. */
export function ioMap(schedule: Schedule): IoMap {
  const arenaBytes = schedule.plan.arenaBytes;
  let at = align16(arenaBytes);
  const place = (b: Boundary): IoPlace => {
    const size = elementCount(b.shape);
    if (isPlain(b.copy)) return { name: b.apiName, offset: schedule.plan.offsets.get(b.tensor.storage.id)!, size, direct: true };
    const p = { name: b.apiName, offset: at, size, direct: false };
    at = align16(at + size);
    return p;
  };
  const inputs = schedule.inputs.map(place);
  const outputs = schedule.outputs.map(place);
  return { arenaBytes, inputs, outputs, end: at };
}

export interface BuiltModule {
  binary: Uint8Array;
  /** Linear memory bytes (pages × 64 KiB) and how much of it is used. */
  memoryBytes: number;
  usedBytes: number;
  constBytes: number;
  /** Step index → bytes of constants that step added. */
  stepConstBytes: number[];
}

export interface ModuleOptions {
  simd: boolean;
  bulkMemory: boolean;
  /** Largest memory the target allows, in pages (null: any). */
  maximumPages: number | null;
}

/** Adds every function (steps, boundary copies, `run`) to `m`, placing constants in `consts`;
 * returns the constant bytes each step added. */
function addFunctions(m: binaryen.Module, schedule: Schedule, provider: WasmProvider, io: IoMap, consts: ConstPool, opts: ModuleOptions): number[] {
  const offsets = schedule.plan.offsets;
  const addr = (t: ScheduledTensor) => offsets.get(t.storage.id)!;
  if (schedule.steps.some((s) => s.kind === 'node' && s.node.op === 'QSoftmax')) addSoftmaxHelpers(m);
  const calls: Expr[] = [];
  const fnCall = (name: string) => m.call(name, [], binaryen.none);
  // Step 0: inputs that arrive in another byte order are gathered into the arena.
  schedule.inputs.forEach((b, i) => {
    if (io.inputs[i].direct) return;
    const f = new Fn(m, opts.simd, opts.bulkMemory);
    f.finish(`in${i}`, gather(f, addr(b.tensor), io.inputs[i].offset, b.copy));
    calls.push(fnCall(`in${i}`));
  });
  const stepConstBytes: number[] = [];
  for (const step of schedule.steps) {
    const f = new Fn(m, opts.simd, opts.bulkMemory);
    const scratch = step.kind === 'node' && step.scratch ? offsets.get(step.scratch.id)! : 0;
    const ctx: BuildContext = { f, addr, scratch, consts };
    const before = consts.bytes;
    let body: Expr[];
    if (step.kind === 'copy') body = provider.buildCopy(step, ctx);
    else {
      const k = provider.kernels[step.node.op];
      if (!k) throw new CompileError(ErrorCode.Internal, `the Wasm provider scheduled ${step.node.op} without a kernel`, { node: step.node.name, op: step.node.op });
      body = k.build(step, ctx);
    }
    stepConstBytes.push(consts.bytes - before);
    const name = `step${step.index}`;
    f.finish(name, body);
    m.addFunctionExport(name, name);
    calls.push(fnCall(name));
  }
  schedule.outputs.forEach((b, i) => {
    if (io.outputs[i].direct) return;
    const f = new Fn(m, opts.simd, opts.bulkMemory);
    f.finish(`out${i}`, gather(f, io.outputs[i].offset, addr(b.tensor), b.copy));
    calls.push(fnCall(`out${i}`));
  });
  m.addFunction('run', binaryen.none, binaryen.none, [], calls.length ? m.block(null, calls) : m.nop());
  m.addFunctionExport('run', 'run');
  // Which module this is, for the loader's `net.simd`.
  m.addGlobal('qgc_simd', binaryen.i32, false, m.i32.const(opts.simd ? 1 : 0));
  m.addGlobalExport('qgc_simd', 'qgc_simd');
  return stepConstBytes;
}

function newModule(opts: ModuleOptions): binaryen.Module {
  const m = new binaryen.Module();
  let features = binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals;
  if (opts.simd) features |= binaryen.Features.SIMD128;
  if (opts.bulkMemory) features |= binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt;
  m.setFeatures(features);
  return m;
}

/** The bytes of a module with one SIMD128 instruction (the loader's feature probe). */
export function simdProbe(): Uint8Array {
  const m = newModule({ simd: true, bulkMemory: false, maximumPages: null });
  try {
    m.addFunction('probe', binaryen.none, binaryen.v128, [], m.i32x4.splat(m.i32.const(0)));
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** Builds, validates and optimizes the module of `schedule` for `provider`'s kernels. Binaryen
 * wants the memory declared before the code that uses it, and its size depends on the constants
 * the kernels pack, so a first pass (into a module that is dropped) lays the constants out. */
export function buildModule(schedule: Schedule, provider: WasmProvider, opts: ModuleOptions): BuiltModule {
  const io = ioMap(schedule);
  const base = align16(io.end);
  const sizing = newModule(opts);
  let data: Uint8Array;
  try {
    sizing.setMemory(1, 1, 'memory', []);
    const pool = new ConstPool(base);
    addFunctions(sizing, schedule, provider, io, pool, opts);
    data = pool.data();
  } finally {
    sizing.dispose();
  }
  const constBytes = data.length;
  const usedBytes = base + constBytes + SLACK;
  const pages = Math.max(1, Math.ceil(usedBytes / PAGE));
  if (opts.maximumPages !== null && pages > opts.maximumPages) {
    throw new CompileError(ErrorCode.BadInput, `the network needs ${pages} Wasm pages of memory (${usedBytes} bytes); the target allows ${opts.maximumPages}`, {},
      'Raise memory.maximumPages in the target file, or compile a smaller model.');
  }
  const m = newModule(opts);
  try {
    m.setMemory(pages, pages, 'memory', constBytes ? [{ offset: m.i32.const(base), data, passive: false }] : []);
    const consts = new ConstPool(base);
    const stepConstBytes = addFunctions(m, schedule, provider, io, consts, opts);
    const again = consts.data();
    if (again.length !== data.length || again.some((b, i) => b !== data[i])) throw new CompileError(ErrorCode.Internal, 'the Wasm constants changed between passes');
    if (!m.validate()) throw new CompileError(ErrorCode.Internal, 'binaryen rejected the generated Wasm module', {}, 'This is a qgc bug; please report it with the model.');
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    m.optimize();
    if (!m.validate()) throw new CompileError(ErrorCode.Internal, 'the optimized Wasm module does not validate', {}, 'This is a qgc bug; please report it with the model.');
    return { binary: m.emitBinary(), memoryBytes: pages * PAGE, usedBytes, constBytes, stepConstBytes };
  } finally {
    m.dispose();
  }
}

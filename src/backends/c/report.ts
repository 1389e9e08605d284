/**
 * The compile report: per step the kernel, shapes, multiply-accumulates, flash (constant data)
 * and RAM (output tensor, scratch) it costs, and the totals with the arena next to its lower
 * bound. Written as `<name>_report.json` and printed by `qgc compile`.
 */
import type { MemoryPlan } from '../../schedule/memory-plan.js';
import { isTranspose, summarizePlan, summarizeSteps } from '../../schedule/summary.js';
import { stepInputs, stepOutput, type Schedule, type Step } from '../../schedule/types.js';
import { inGroup } from '../../ir/ops.js';
import type { KernelCall } from './kernel-call.js';

export interface LayerReport {
  step: number;
  /** IR node name ('' for an inserted layout copy). */
  node: string;
  op: string;
  kernel: string;
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  /** Constant data of this step (weights, bias, multipliers...), bytes. */
  flashBytes: number;
  /** Bytes of the step's output tensor (0 when it is written in place). */
  outputBytes: number;
  scratchBytes: number;
  /** Bytes live in the arena while the step runs. */
  liveBytes: number;
  inPlace: boolean;
}

/** What `qgc compile --measure` measured on the target (src/cli/measure.ts). */
export interface Measured {
  /** Where: e.g. `cortex-m4 (QEMU mps2-an386)`. */
  where: string;
  /** Stack high-water mark of one `<name>_run` (bytes). */
  stackBytes: number;
  /** Code (.text) and constant data (.rodata) linked from the network's own files (its .c files
   * and qgc's portable kernels) and from CMSIS-NN, after --gc-sections. */
  network: { codeBytes: number; constBytes: number };
  cmsisNn: { codeBytes: number; constBytes: number };
  /** Flash of both together (code, constant data, .data load image). */
  flashBytes: number;
  /** Executed instructions of one inference on an all-zero input. */
  instructions: number;
}

export interface CReport {
  name: string;
  target: string;
  kernels: 'cmsis-nn' | 'portable';
  isa: string;
  layers: LayerReport[];
  totals: {
    macs: number;
    /** Constant data in flash (code not included; see the linker map for that). */
    weightsFlashBytes: number;
    arenaBytes: number;
    arenaLowerBound: number;
    /** Layout copies the backend inserted (0 for a model that is NHWC-friendly end to end). */
    layoutCopies: number;
    /** Whether the strided copies at the API boundary transpose (any input; any output). */
    boundaryTransposes: { input: boolean; output: boolean };
  };
  memoryPlan: { strategy: string; peakStep: number; buffers: { offset: number; bytes: number; first: number; last: number; holds: string }[] };
  /** Present when nodes run in float (kept by the quantizer between Dequantize and Quantize). */
  float?: FloatCost;
  files: string[];
  /** With `qgc compile --measure`: measured on the target. */
  measured?: Measured;
}

/** What the nodes kept in float cost. */
export interface FloatCost {
  /** The float nodes, in step order. */
  nodes: { step: number; node: string; op: string; kernel: string }[];
  /** Steps on float32 tensors: the float nodes, their Dequantize and Quantize steps, float copies. */
  steps: number;
  /** Bytes of float32 tensors in the arena plan (summed over tensors, before sharing). */
  tensorBytes: number;
  /** Float constants (weights, LayerNorm scales, constant operands) in flash, bytes. */
  flashBytes: number;
}

/** The float cost of a schedule, undefined when every step is integer. */
function floatCost(schedule: Schedule, layers: readonly LayerReport[]): FloatCost | undefined {
  const touchesFloat = (s: Step) => stepOutput(s).dtype === 'float32' || stepInputs(s).some((t) => t.dtype === 'float32');
  const steps = schedule.steps.filter(touchesFloat);
  if (steps.length === 0) return undefined;
  const layerOf = new Map(layers.map((l) => [l.step, l]));
  const nodes = steps.filter((s) => s.kind === 'node' && inGroup('floatFallback', s.node.op))
    .map((s) => ({ step: s.index, node: layerOf.get(s.index)!.node, op: layerOf.get(s.index)!.op, kernel: layerOf.get(s.index)!.kernel }));
  const floatStorages = new Set(steps.flatMap((s) => [stepOutput(s), ...stepInputs(s)]).filter((t) => t.dtype === 'float32').map((t) => t.storage));
  return {
    nodes,
    steps: steps.length,
    tensorBytes: [...floatStorages].reduce((a, s) => a + s.bytes, 0),
    flashBytes: steps.reduce((a, s) => a + layerOf.get(s.index)!.flashBytes, 0),
  };
}

/** Builds the report from the schedule and the calls (one per step). */
export function buildReport(
  meta: { name: string; target: string; kernels: 'cmsis-nn' | 'portable'; isa: string; files: string[] },
  schedule: Schedule,
  calls: KernelCall[],
): CReport {
  const plan: MemoryPlan = schedule.plan;
  const layers = summarizeSteps(schedule).map((s, i): LayerReport => ({
    step: s.step, node: s.node, op: s.op, kernel: calls[i].kernel, inputShapes: s.inputShapes, outputShape: s.outputShape, macs: s.macs,
    flashBytes: calls[i].consts.reduce((a, c) => a + c.data.byteLength, 0),
    outputBytes: s.outputBytes, scratchBytes: s.scratchBytes, liveBytes: s.liveBytes, inPlace: s.inPlace,
  }));
  return {
    ...meta,
    layers,
    totals: {
      macs: layers.reduce((a, l) => a + l.macs, 0),
      weightsFlashBytes: layers.reduce((a, l) => a + l.flashBytes, 0),
      arenaBytes: plan.arenaBytes,
      arenaLowerBound: plan.lowerBound,
      layoutCopies: schedule.steps.filter((s) => s.kind === 'copy').length,
      boundaryTransposes: { input: schedule.inputs.some((b) => isTranspose(b.copy)), output: schedule.outputs.some((b) => isTranspose(b.copy)) },
    },
    memoryPlan: summarizePlan(schedule),
    ...withFloat(floatCost(schedule, layers)),
  };
}

const withFloat = (f: FloatCost | undefined): { float?: FloatCost } => (f ? { float: f } : {});

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The report as a table for the terminal. */
export function formatReport(r: CReport): string {
  const lines = [`qgc compile: ${r.name} for ${r.target} (${r.kernels}, ${r.isa})`];
  // The op and kernel columns are as wide as their longest entry, so the table stays aligned.
  const opW = Math.max(16, ...r.layers.map((l) => l.op.length));
  const kernelW = Math.max(30, ...r.layers.map((l) => l.kernel.length));
  lines.push(`${pad('step', 4)}  ${'op'.padEnd(opW)} ${'kernel'.padEnd(kernelW)} ${pad('MACs', 10)} ${pad('flash B', 8)} ${pad('out B', 7)} ${pad('scratch', 7)} ${pad('live B', 7)}  node`);
  for (const l of r.layers) {
    const node = JSON.stringify(l.node).slice(1, -1);
    lines.push(`${pad(l.step, 4)}  ${l.op.padEnd(opW)} ${l.kernel.padEnd(kernelW)} ${pad(l.macs, 10)} ${pad(l.flashBytes, 8)} ${pad(l.inPlace ? 'in-place' : l.outputBytes, 7)} ${pad(l.scratchBytes, 7)} ${pad(l.liveBytes, 7)}  ${node}`);
  }
  const t = r.totals;
  lines.push(`total: ${t.macs} MACs, weights ${t.weightsFlashBytes} B flash, arena ${t.arenaBytes} B RAM (lower bound ${t.arenaLowerBound} B${t.arenaBytes === t.arenaLowerBound ? ', reached' : ''})`);
  const notes: string[] = [];
  if (t.layoutCopies) notes.push(`${t.layoutCopies} layout copies inside the network`);
  if (t.boundaryTransposes.input) notes.push('the input is transposed NCHW→NHWC on the way in');
  if (t.boundaryTransposes.output) notes.push('the output is transposed back to the model order');
  if (notes.length) lines.push(`note: ${notes.join('; ')}`);
  if (r.float) {
    const f = r.float;
    const names = f.nodes.map((n) => `${n.op} '${JSON.stringify(n.node).slice(1, -1)}'`).join(', ');
    lines.push(`float: ${f.nodes.length} node${f.nodes.length === 1 ? ' runs' : 's run'} in float (${names}): ${f.steps} float steps with their dequantize and quantize, ` +
      `${f.tensorBytes} B of float32 tensors in the arena plan, ${f.flashBytes} B of float constants`);
  }
  lines.push(`files: ${r.files.join(', ')}`);
  return lines.join('\n') + '\n';
}

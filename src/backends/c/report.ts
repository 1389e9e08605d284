/**
 * The compile report: per step the kernel, shapes, multiply-accumulates, flash (constant data)
 * and RAM (output tensor, scratch) it costs, and the totals with the arena next to its lower
 * bound. Written as `<name>_report.json` and printed by `qgc compile`.
 */
import type { KernelCall } from './kernel-call.js';
import type { Schedule, Step } from './lower.js';
import type { MemoryPlan } from './memory-plan.js';

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
    /** Elements moved by the strided copies at the API boundary (0: a plain memcpy-sized copy). */
    boundaryTransposes: { input: boolean; output: boolean };
  };
  memoryPlan: { strategy: string; peakStep: number; buffers: { offset: number; bytes: number; first: number; last: number; holds: string }[] };
  files: string[];
}

/** Builds the report from the schedule, the calls and the memory plan. */
export function buildReport(
  meta: { name: string; target: string; kernels: 'cmsis-nn' | 'portable'; isa: string; files: string[] },
  schedule: Schedule,
  calls: KernelCall[],
  scratch: Map<number, number>,
  plan: MemoryPlan,
): CReport {
  const storages = [...schedule.storages];
  const live = (t: number) => storages.filter((s) => s.first <= t && t <= s.last).reduce((a, s) => a + s.bytes, 0);
  const layers = schedule.steps.map((step: Step, i): LayerReport => {
    const call = calls[i];
    const flash = call.consts.reduce((a, c) => a + c.data.byteLength, 0);
    const out = step.kind === 'node' ? step.output : step.dst;
    const inPlace = step.kind === 'node' && step.inPlace;
    return {
      step: step.index,
      node: step.kind === 'node' ? step.node.name : '',
      op: step.kind === 'node' ? step.node.op : 'LayoutCopy',
      kernel: call.kernel,
      inputShapes: (step.kind === 'node' ? step.inputs : [step.src]).map((t) => [...t.shape]),
      outputShape: [...out.shape],
      macs: call.macs,
      flashBytes: flash,
      outputBytes: inPlace ? 0 : out.storage.bytes,
      scratchBytes: scratch.get(step.index) ?? 0,
      liveBytes: live(step.index),
      inPlace,
    };
  });
  const isCopy = (c: { dims: number[]; srcStrides: number[] }) => c.dims.length > 1 || c.srcStrides[0] !== 1;
  return {
    ...meta,
    layers,
    totals: {
      macs: layers.reduce((a, l) => a + l.macs, 0),
      weightsFlashBytes: layers.reduce((a, l) => a + l.flashBytes, 0),
      arenaBytes: plan.arenaBytes,
      arenaLowerBound: plan.lowerBound,
      layoutCopies: schedule.steps.filter((s) => s.kind === 'copy').length,
      boundaryTransposes: { input: isCopy(schedule.input.copy), output: isCopy(schedule.output.copy) },
    },
    memoryPlan: {
      strategy: plan.strategy,
      peakStep: plan.peakStep,
      buffers: storages
        .map((s) => ({ offset: plan.offsets.get(s.id)!, bytes: s.bytes, first: s.first, last: s.last, holds: s.label }))
        .sort((a, b) => a.offset - b.offset || a.first - b.first),
    },
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The report as a table for the terminal. */
export function formatReport(r: CReport): string {
  const lines = [`qgc compile: ${r.name} for ${r.target} (${r.kernels}, ${r.isa})`];
  lines.push(`${pad('step', 4)}  ${'op'.padEnd(16)} ${'kernel'.padEnd(30)} ${pad('MACs', 10)} ${pad('flash B', 8)} ${pad('out B', 7)} ${pad('scratch', 7)} ${pad('live B', 7)}  node`);
  for (const l of r.layers) {
    const node = JSON.stringify(l.node).slice(1, -1);
    lines.push(`${pad(l.step, 4)}  ${l.op.padEnd(16)} ${l.kernel.padEnd(30)} ${pad(l.macs, 10)} ${pad(l.flashBytes, 8)} ${pad(l.inPlace ? 'in-place' : l.outputBytes, 7)} ${pad(l.scratchBytes, 7)} ${pad(l.liveBytes, 7)}  ${node}`);
  }
  const t = r.totals;
  lines.push(`total: ${t.macs} MACs, weights ${t.weightsFlashBytes} B flash, arena ${t.arenaBytes} B RAM (lower bound ${t.arenaLowerBound} B${t.arenaBytes === t.arenaLowerBound ? ', reached' : ''})`);
  const notes: string[] = [];
  if (t.layoutCopies) notes.push(`${t.layoutCopies} layout copies inside the network`);
  if (t.boundaryTransposes.input) notes.push('the input is transposed NCHW→NHWC on the way in');
  if (t.boundaryTransposes.output) notes.push('the output is transposed back to the model order');
  if (notes.length) lines.push(`note: ${notes.join('; ')}`);
  lines.push(`files: ${r.files.join(', ')}`);
  return lines.join('\n') + '\n';
}

/**
 * What a schedule costs, backend-independent: per step the shapes, multiply-accumulates and
 * arena bytes (output, scratch, live), and the arena plan next to its lower bound. Backends add
 * their own columns (kernel, flash) to make their report.
 */
import { stepMacs } from './geometry.js';
import type { StridedCopy } from './layout.js';
import { stepInputs, stepOutput, type Schedule, type Step } from './types.js';

export interface StepSummary {
  step: number;
  /** IR node name ('' for an inserted layout copy). */
  node: string;
  op: string;
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  /** Bytes of the step's output tensor (0 when it is written in place). */
  outputBytes: number;
  scratchBytes: number;
  /** Bytes live in the arena while the step runs. */
  liveBytes: number;
  inPlace: boolean;
}

export interface PlanSummary {
  strategy: string;
  peakStep: number;
  buffers: { offset: number; bytes: number; first: number; last: number; holds: string }[];
}

/** True when a boundary copy moves bytes around (not a plain memcpy-sized copy). */
export function isTranspose(c: StridedCopy): boolean {
  return c.dims.length > 1 || c.srcStrides[0] !== 1;
}

/** Per-step figures of the schedule. */
export function summarizeSteps(schedule: Schedule): StepSummary[] {
  const storages = schedule.storages;
  const live = (t: number) => storages.filter((s) => s.first <= t && t <= s.last).reduce((a, s) => a + s.bytes, 0);
  return schedule.steps.map((step: Step): StepSummary => {
    const out = stepOutput(step);
    const inPlace = step.kind === 'node' && step.inPlace;
    return {
      step: step.index,
      node: step.kind === 'node' ? step.node.name : '',
      op: step.kind === 'node' ? step.node.op : 'LayoutCopy',
      inputShapes: stepInputs(step).map((t) => [...t.shape]),
      outputShape: [...out.shape],
      macs: stepMacs(step),
      outputBytes: inPlace ? 0 : out.storage.bytes,
      scratchBytes: step.kind === 'node' ? step.scratch?.bytes ?? 0 : 0,
      liveBytes: live(step.index),
      inPlace,
    };
  });
}

/** The arena plan: every buffer by offset. */
export function summarizePlan(schedule: Schedule): PlanSummary {
  const plan = schedule.plan;
  return {
    strategy: plan.strategy,
    peakStep: plan.peakStep,
    buffers: [...schedule.storages]
      .map((s) => ({ offset: plan.offsets.get(s.id)!, bytes: s.bytes, first: s.first, last: s.last, holds: s.label }))
      .sort((a, b) => a.offset - b.offset || a.first - b.first),
  };
}

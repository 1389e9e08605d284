/**
 * The schedule as plain JSON, written next to a backend's sources (`<name>_schedule.json`):
 * which tensor every step reads and writes, in which layout and storage type, at which arena
 * offset, and the kernel that runs it. Deterministic: the same schedule gives the same text.
 */
import { stepInputs, stepOutput, type Boundary, type Schedule, type ScheduledTensor } from './types.js';

export interface ScheduledTensorJson {
  shape: number[];
  dtype: string;
  /** Bytes = transpose(reshape(logical, layout.shape), layout.perm), row-major. */
  layout: { shape: number[]; perm: number[] };
  offset: number;
  bytes: number;
  scale: number;
  zeroPoint: number;
}

export interface BoundaryJson {
  /** The model's tensor name at the API. */
  name: string;
  /** The int8 tensor in the arena. */
  tensor: string;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

export interface StepJson {
  step: number;
  kind: 'node' | 'copy';
  /** The IR node ('' for a layout copy). */
  node: string;
  op: string;
  kernel: string;
  inputs: string[];
  output: string;
  inPlace: boolean;
  scratch: { offset: number; bytes: number } | null;
}

export interface ScheduleJson {
  provider: string;
  arena: { bytes: number; lowerBound: number; peakStep: number; strategy: string };
  inputs: BoundaryJson[];
  outputs: BoundaryJson[];
  steps: StepJson[];
  /** Every tensor a step or the API reads or writes, by name. */
  tensors: Record<string, ScheduledTensorJson>;
}

/** The schedule as JSON-ready data. */
export function scheduleToJson(s: Schedule): ScheduleJson {
  const offset = (id: number) => s.plan.offsets.get(id)!;
  const tensors: Record<string, ScheduledTensorJson> = {};
  const add = (t: ScheduledTensor): string => {
    tensors[t.name] ??= {
      shape: [...t.shape], dtype: t.dtype, layout: { shape: [...t.layout.shape], perm: [...t.layout.perm] },
      offset: offset(t.storage.id), bytes: t.storage.bytes, scale: t.scale, zeroPoint: t.zeroPoint,
    };
    return t.name;
  };
  const boundary = (b: Boundary): BoundaryJson => ({ name: b.apiName, tensor: add(b.tensor), shape: [...b.shape], scale: b.scale, zeroPoint: b.zeroPoint });
  const inputs = s.inputs.map(boundary);
  const steps = s.steps.map((step): StepJson => {
    const scratch = step.kind === 'node' && step.scratch ? { offset: offset(step.scratch.id), bytes: step.scratch.bytes } : null;
    return {
      step: step.index, kind: step.kind, node: step.kind === 'node' ? step.node.name : '', op: step.kind === 'node' ? step.node.op : 'LayoutCopy',
      kernel: step.choice.kernel, inputs: stepInputs(step).map(add), output: add(stepOutput(step)), inPlace: step.kind === 'node' && step.inPlace, scratch,
    };
  });
  const outputs = s.outputs.map(boundary);
  return {
    provider: s.provider,
    arena: { bytes: s.plan.arenaBytes, lowerBound: s.plan.lowerBound, peakStep: s.plan.peakStep, strategy: s.plan.strategy },
    inputs, outputs, steps, tensors,
  };
}

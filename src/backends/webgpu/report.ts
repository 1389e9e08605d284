/**
 * The WebGPU compile report (`<name>_report.json`, printed by `qgc compile`): per step the
 * kernel and its shader family, shapes, multiply-accumulates, constant bytes and workgroups;
 * the shaders, the weights file, the arena (per sample) next to its lower bound, and the device
 * limits the network needs (net.js checks them at createNet).
 */
import { isTranspose, summarizePlan, summarizeSteps } from '../../schedule/summary.js';
import type { Schedule } from '../../schedule/types.js';
import type { WebgpuTarget } from '../../targets/target.js';
import type { Family } from './kernel.js';

export interface WebgpuLayerReport {
  step: number;
  node: string;
  op: string;
  kernel: string;
  family: Family;
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  constBytes: number;
  outputBytes: number;
  liveBytes: number;
  inPlace: boolean;
  /** Workgroups of one sample, along x and y. */
  workgroups: [number, number];
}

export interface WebgpuReport {
  backend: 'webgpu';
  name: string;
  target: string;
  kernels: 'webgpu';
  /** The shader of each family, its dot4I8Packed variant (null: none) and whether it has a
   * dot product at all. */
  shaders: Record<string, { file: string; packed: string | null; dot: boolean }>;
  workgroupSize: [number, number, number];
  weightsBytes: number;
  layers: WebgpuLayerReport[];
  totals: {
    macs: number;
    arenaBytes: number;
    arenaLowerBound: number;
    /** Bytes of one sample's slice of the arena buffer (whole words and one of slack). */
    sampleBytes: number;
    layoutCopies: number;
    boundaryTransposes: { input: boolean; output: boolean };
  };
  /** Device limits the network needs (batch 1). */
  limits: Record<string, number>;
  memoryPlan: ReturnType<typeof summarizePlan>;
  files: string[];
}

interface ReportMeta {
  name: string;
  target: WebgpuTarget;
  files: string[];
  shaders: WebgpuReport['shaders'];
  weightsBytes: number;
  sampleWords: number;
  limits: Record<string, number>;
}

export function buildWebgpuReport(meta: ReportMeta, schedule: Schedule, steps: { family: Family; groups: [number, number] }[], stepConstWords: number[]): WebgpuReport {
  const layers = summarizeSteps(schedule).map((s, i): WebgpuLayerReport => ({
    step: s.step, node: s.node, op: s.op, kernel: schedule.steps[i].choice.kernel, family: steps[i].family, inputShapes: s.inputShapes, outputShape: s.outputShape,
    macs: s.macs, constBytes: stepConstWords[i] * 4, outputBytes: s.outputBytes, liveBytes: s.liveBytes, inPlace: s.inPlace, workgroups: steps[i].groups,
  }));
  return {
    backend: 'webgpu', name: meta.name, target: meta.target.name, kernels: 'webgpu', shaders: meta.shaders, workgroupSize: meta.target.tiling.workgroupSize,
    weightsBytes: meta.weightsBytes,
    layers,
    totals: {
      macs: layers.reduce((a, l) => a + l.macs, 0),
      arenaBytes: schedule.plan.arenaBytes,
      arenaLowerBound: schedule.plan.lowerBound,
      sampleBytes: meta.sampleWords * 4,
      layoutCopies: schedule.steps.filter((s) => s.kind === 'copy').length,
      boundaryTransposes: { input: schedule.inputs.some((b) => isTranspose(b.copy)), output: schedule.outputs.some((b) => isTranspose(b.copy)) },
    },
    limits: meta.limits,
    memoryPlan: summarizePlan(schedule),
    files: meta.files,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The report as a table for the terminal. */
export function formatWebgpuReport(r: WebgpuReport): string {
  const lines = [`qgc compile: ${r.name} for ${r.target} (WGSL, workgroup ${r.workgroupSize.join('x')})`];
  const opW = Math.max(16, ...r.layers.map((l) => l.op.length));
  const kW = Math.max(24, ...r.layers.map((l) => l.kernel.length));
  lines.push(`${pad('step', 4)}  ${'op'.padEnd(opW)} ${'kernel'.padEnd(kW)} ${'shader'.padEnd(8)} ${pad('MACs', 10)} ${pad('const B', 9)} ${pad('out B', 8)} ${pad('groups', 9)} ${pad('live B', 7)}  node`);
  for (const l of r.layers) {
    lines.push(`${pad(l.step, 4)}  ${l.op.padEnd(opW)} ${l.kernel.padEnd(kW)} ${l.family.padEnd(8)} ${pad(l.macs, 10)} ${pad(l.constBytes, 9)} ${pad(l.inPlace ? 'in-place' : l.outputBytes, 8)} ${pad(l.workgroups.join('x'), 9)} ${pad(l.liveBytes, 7)}  ${JSON.stringify(l.node).slice(1, -1)}`);
  }
  const t = r.totals;
  lines.push(`total: ${t.macs} MACs, arena ${t.arenaBytes} B per sample (lower bound ${t.arenaLowerBound} B${t.arenaBytes === t.arenaLowerBound ? ', reached' : ''}), weights ${r.weightsBytes} B`);
  const shaders = Object.values(r.shaders).map((s) => (s.packed ? `${s.file} (+ ${s.packed})` : s.file));
  lines.push(`shaders: ${shaders.join(', ')}`);
  if (t.layoutCopies) lines.push(`note: ${t.layoutCopies} layout copies inside the network`);
  lines.push(`files: ${r.files.join(', ')}`);
  return lines.join('\n') + '\n';
}

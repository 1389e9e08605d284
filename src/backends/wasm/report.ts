/**
 * The Wasm compile report (`<name>_report.json`, printed by `qgc compile`): per step the kernel,
 * shapes, multiply-accumulates and constant bytes (in each module), arena bytes; per module its
 * size and linear memory; the arena next to its lower bound.
 */
import { isTranspose, summarizePlan, summarizeSteps } from '../../schedule/summary.js';
import type { Schedule } from '../../schedule/types.js';
import type { BuiltModule } from './module.js';

export type WasmVariant = 'simd' | 'scalar';

export interface WasmLayerReport {
  step: number;
  node: string;
  op: string;
  kernel: string;
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  /** Constant bytes (packed weights, records, tables) of this step, per module. */
  constBytes: Partial<Record<WasmVariant, number>>;
  outputBytes: number;
  scratchBytes: number;
  liveBytes: number;
  inPlace: boolean;
}

export interface WasmModuleReport {
  variant: WasmVariant;
  file: string;
  bytes: number;
  /** Linear memory (whole 64 KiB pages) and the bytes of it in use. */
  memoryBytes: number;
  usedBytes: number;
  constBytes: number;
}

export interface WasmReport {
  backend: 'wasm';
  name: string;
  target: string;
  kernels: 'wasm';
  modules: WasmModuleReport[];
  layers: WasmLayerReport[];
  totals: {
    macs: number;
    arenaBytes: number;
    arenaLowerBound: number;
    layoutCopies: number;
    boundaryTransposes: { input: boolean; output: boolean };
  };
  memoryPlan: ReturnType<typeof summarizePlan>;
  files: string[];
}

export function buildWasmReport(
  meta: { name: string; target: string; files: string[] }, schedule: Schedule, modules: { variant: WasmVariant; file: string; built: BuiltModule }[],
): WasmReport {
  const layers = summarizeSteps(schedule).map((s, i): WasmLayerReport => ({
    step: s.step, node: s.node, op: s.op, kernel: schedule.steps[i].choice.kernel, inputShapes: s.inputShapes, outputShape: s.outputShape, macs: s.macs,
    constBytes: Object.fromEntries(modules.map((m) => [m.variant, m.built.stepConstBytes[i]])),
    outputBytes: s.outputBytes, scratchBytes: s.scratchBytes, liveBytes: s.liveBytes, inPlace: s.inPlace,
  }));
  return {
    backend: 'wasm', name: meta.name, target: meta.target, kernels: 'wasm',
    modules: modules.map((m) => ({ variant: m.variant, file: m.file, bytes: m.built.binary.length, memoryBytes: m.built.memoryBytes, usedBytes: m.built.usedBytes, constBytes: m.built.constBytes })),
    layers,
    totals: {
      macs: layers.reduce((a, l) => a + l.macs, 0),
      arenaBytes: schedule.plan.arenaBytes,
      arenaLowerBound: schedule.plan.lowerBound,
      layoutCopies: schedule.steps.filter((s) => s.kind === 'copy').length,
      boundaryTransposes: { input: schedule.inputs.some((b) => isTranspose(b.copy)), output: schedule.outputs.some((b) => isTranspose(b.copy)) },
    },
    memoryPlan: summarizePlan(schedule),
    files: meta.files,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The report as a table for the terminal. */
export function formatWasmReport(r: WasmReport): string {
  const lines = [`qgc compile: ${r.name} for ${r.target} (${r.modules.map((m) => m.variant).join(' + ')})`];
  const opW = Math.max(16, ...r.layers.map((l) => l.op.length));
  const kW = Math.max(24, ...r.layers.map((l) => l.kernel.length));
  const variants = r.modules.map((m) => m.variant);
  lines.push(`${pad('step', 4)}  ${'op'.padEnd(opW)} ${'kernel'.padEnd(kW)} ${pad('MACs', 10)} ${variants.map((v) => pad(`${v} B`, 9)).join(' ')} ${pad('out B', 8)} ${pad('scratch', 7)} ${pad('live B', 7)}  node`);
  for (const l of r.layers) {
    lines.push(`${pad(l.step, 4)}  ${l.op.padEnd(opW)} ${l.kernel.padEnd(kW)} ${pad(l.macs, 10)} ${variants.map((v) => pad(l.constBytes[v] ?? 0, 9)).join(' ')} ${pad(l.inPlace ? 'in-place' : l.outputBytes, 8)} ${pad(l.scratchBytes, 7)} ${pad(l.liveBytes, 7)}  ${JSON.stringify(l.node).slice(1, -1)}`);
  }
  const t = r.totals;
  lines.push(`total: ${t.macs} MACs, arena ${t.arenaBytes} B (lower bound ${t.arenaLowerBound} B${t.arenaBytes === t.arenaLowerBound ? ', reached' : ''})`);
  for (const m of r.modules) lines.push(`${m.file}: ${m.bytes} B module, ${m.memoryBytes} B linear memory (${m.usedBytes} B used: arena, API buffers, ${m.constBytes} B constants)`);
  if (t.layoutCopies) lines.push(`note: ${t.layoutCopies} layout copies inside the network`);
  lines.push(`files: ${r.files.join(', ')}`);
  return lines.join('\n') + '\n';
}

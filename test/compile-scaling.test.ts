/** Compile time is linear in nodes: every phase of compile (import, the passes, calibration,
 * quantization, schedule + C emission with the QDQ export) on a generated chain of 5,000 and of
 * 10,000 ONNX nodes (test/support/chain-model.ts). Each phase's best of three runs, in CPU time; doubling
 * the nodes may cost at most 2.5x (plus 25 ms for timer noise on the short phases). A quadratic
 * step (renaming the whole graph per Identity, scanning every placed buffer per placement,
 * searching fresh names from _1 each time) makes its phase 4x. */
import { describe, expect, it } from 'vitest';
import { compileC } from '../src/backends/c/emit.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { loadTarget } from '../src/targets/target.js';
import { chainModel } from './support/chain-model.js';

const PHASES = ['import', 'passes', 'calibration', 'quantize', 'schedule+emit'] as const;
type Phase = (typeof PHASES)[number];

function compileTimes(bytes: Uint8Array): Record<Phase, number> {
  const target = loadTarget('cortex-m4');
  const t: Partial<Record<Phase, number>> = {};
  // CPU time of this process, not wall time: other work on a shared machine hardly moves it.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let t0 = cpuMs();
  const lap = (p: Phase) => {
    const now = cpuMs();
    t[p] = now - t0;
    t0 = now;
  };
  const imported = loadModelBytes(bytes).graph;
  lap('import');
  const float = runPipeline(imported, optimizationPasses, { target });
  lap('passes');
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const stats = collectStats(float, [{ feeds: new Map([['input', { dtype: 'float32' as const, shape: [1, 4, 4, 4], data: x }]]), file: 'x', index: 0, progress: 1 }]);
  lap('calibration');
  const { graph } = quantizeGraph(float, calibrationRanges(stats, { method: 'minmax' }), {});
  lap('quantize');
  const { schedule } = compileC(graph, { target, kernels: 'cmsis-nn', name: 'net', qdq: true });
  lap('schedule+emit');
  expect(schedule.steps.length).toBeGreaterThanOrEqual(bytes === small ? 2_000 : 4_000);
  return t as Record<Phase, number>;
}

const small = chainModel(1_000); // 5,001 nodes
const large = chainModel(2_000); // 10,001 nodes

describe('compile time', () => {
  it('is linear in nodes: doubling a 5,000-node chain at most 2.5x each phase', () => {
    const best = (runs: Record<Phase, number>[], p: Phase) => Math.min(...runs.map((r) => r[p]));
    const runsSmall: Record<Phase, number>[] = [];
    const runsLarge: Record<Phase, number>[] = [];
    compileTimes(small); // warm-up: the JIT, the target file
    for (let i = 0; i < 3; i++) {
      runsSmall.push(compileTimes(small));
      runsLarge.push(compileTimes(large));
    }
    const table = PHASES.map((p) => ({ phase: p, ms5k: Math.round(best(runsSmall, p)), ms10k: Math.round(best(runsLarge, p)) }));
    for (const row of table) expect(row.ms10k, `${row.phase}: ${JSON.stringify(table)}`).toBeLessThanOrEqual(2.5 * row.ms5k + 25);
  });
});

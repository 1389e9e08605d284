/** Fuzzing at the door (test/fuzz/): 1,000 structure-aware and byte-level mutants of real models
 * per run, each loaded and run by qgc and by onnxruntime-node. Every mutant must be refused in
 * one coded line (never QGC9000, never a crash) or run as onnxruntime runs it; onnxruntime's
 * refusals of valid ONNX are listed in ORT_LIMITS. `npm run fuzz -- --cases 20000` for long runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzz, passes, SEED_MODELS, summary } from './fuzz/run.js';
import { needs, ONNX_TESTDATA } from './support/tools.js';

describe('fuzzing', () => {
  it('1,000 mutants: each refused in one coded line, or run like onnxruntime-node', async (ctx) => {
    needs(ctx, ONNX_TESTDATA); // half of the seed models are ONNX's own node test models
    const seed = Number(process.env.QGC_FUZZ_SEED ?? 20261204);
    const dir = mkdtempSync(join(tmpdir(), 'qgc-fuzz-test-'));
    try {
      const cases = await fuzz(seed, 1000, dir);
      console.log(`fuzz seed ${seed} over ${SEED_MODELS.length} models:\n${summary(cases)}`);
      const failed = cases.filter((c) => !passes(c)).map((c) => `${c.index} ${c.seedModel} ${c.kind} (${c.desc}): ${c.outcome}: ${c.detail.split('\n')[0]}`);
      expect(failed, 'rerun with `npm run fuzz -- --seed <seed>` to write the cases to test/regressions/').toEqual([]);
      // The mutations reach every stage: refusals, models that run, and each kind at least once.
      expect(cases.filter((c) => c.outcome === 'refused').length).toBeGreaterThan(300);
      expect(cases.filter((c) => c.outcome === 'agrees').length).toBeGreaterThan(100);
      expect(new Set(cases.map((c) => c.kind)).size).toBe(12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

/** ONNX's own node conformance cases for every op qgc claims, with ONNX's tolerances: Debian's
 * libonnx-testdata (ONNX 1.12) and onnx 1.23.1's node cases (written by scripts/onnx-node-cases.py,
 * which .ci/run runs). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CASE_SETS, runSet, type CaseResult, type CaseSet } from './support/conformance.js';
import { OUT_OF_SCOPE, scopeRow } from './support/conformance-scope.js';
import { perOpTable, readmeTable } from './support/conformance-table.js';
import { needs, ONNX_TESTDATA, pathExists, type Requirement } from './support/tools.js';

const REQUIREMENTS: Record<CaseSet['id'], Requirement> = {
  'onnx-1.12': ONNX_TESTDATA,
  'onnx-1.23': pathExists("onnx 1.23.1's node cases", CASE_SETS[1].root,
    'python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx==1.23.1 && .venv-onnx/bin/python scripts/onnx-node-cases.py', 'onnx-1.23-cases'),
};

/** Fewest passing cases each set must show (a floor against a silently empty run). */
const MIN_PASSED: Record<CaseSet['id'], number> = { 'onnx-1.12': 190, 'onnx-1.23': 260 };

const results = new Map<CaseSet['id'], CaseResult[]>();

describe('ONNX node conformance', () => {
  for (const set of CASE_SETS) {
    it(`${set.title}: passes every case of every claimed op (except the documented out-of-scope ones)`, (ctx) => {
      needs(ctx, REQUIREMENTS[set.id]);
      const all = runSet(set);
      results.set(set.id, all);
      const claimed = all.filter((r) => r.status !== 'skip');
      const unexpected = claimed.filter((r) => r.status === 'fail' && !scopeRow(set.id, r.name));
      const stale = claimed.filter((r) => r.status === 'pass' && scopeRow(set.id, r.name)).map((r) => r.name);
      const passed = claimed.filter((r) => r.status === 'pass').length;
      console.log(`conformance ${set.id}: ${passed} passed, ${claimed.length - passed} out of scope, ${all.length - claimed.length} cases use unclaimed ops`);
      expect(unexpected.map((r) => `${r.name} (opset ${r.opset}): ${r.detail}`)).toEqual([]);
      expect(stale).toEqual([]);
      expect(passed).toBeGreaterThan(MIN_PASSED[set.id]);
      // The README's per-op table is what this run measured (regenerate: npx tsx scripts/conformance.ts --write-readme).
      expect(readmeTable(readFileSync('README.md', 'utf8'), set.id)).toBe(perOpTable(all));
    });
  }

  it('onnx 1.23: models at opsets 22 to 28 import and pass', (ctx) => {
    needs(ctx, REQUIREMENTS['onnx-1.23']);
    const all = results.get('onnx-1.23') ?? runSet(CASE_SETS[1]);
    const newer = all.filter((r) => r.status === 'pass' && r.opset > 21);
    expect([...new Set(newer.map((r) => r.opset))]).toEqual(expect.arrayContaining([22, 28]));
    expect(newer.length).toBeGreaterThan(100);
  });

  it('every out-of-scope row names a case that fails in a set it applies to', (ctx) => {
    needs(ctx, ...CASE_SETS.map((s) => REQUIREMENTS[s.id]));
    const used = new Set<(typeof OUT_OF_SCOPE)[number]>();
    for (const set of CASE_SETS) {
      for (const r of results.get(set.id) ?? runSet(set)) {
        const row = r.status === 'fail' ? scopeRow(set.id, r.name) : undefined;
        if (row) used.add(row);
      }
    }
    expect(OUT_OF_SCOPE.filter((row) => !used.has(row)).map((row) => row.reason)).toEqual([]);
  });
});

/** ONNX's own node conformance cases for every op qgc claims, with ONNX's tolerances. */
import { describe, expect, it } from 'vitest';
import { listCases, runCase, type CaseResult } from './support/conformance.js';
import { readFileSync } from 'node:fs';
import { OUT_OF_SCOPE } from './support/conformance-scope.js';
import { perOpTable, readmeTable } from './support/conformance-table.js';
import { needs, ONNX_TESTDATA } from './support/tools.js';

describe('ONNX node conformance', () => {
  it('passes every case of every claimed op (except the documented out-of-scope ones)', (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    const results: CaseResult[] = listCases().map(runCase);
    const claimed = results.filter((r) => r.status !== 'skip');
    const unexpected = claimed.filter((r) => r.status === 'fail' && !(r.name in OUT_OF_SCOPE));
    const stale = claimed.filter((r) => r.status === 'pass' && r.name in OUT_OF_SCOPE).map((r) => r.name);
    const passed = claimed.filter((r) => r.status === 'pass').length;
    console.log(`conformance: ${passed} passed, ${claimed.length - passed} out of scope, ${results.length - claimed.length} cases use unclaimed ops`);
    expect(unexpected.map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
    expect(stale).toEqual([]);
    expect(passed).toBeGreaterThan(190);
    // The README's per-op table is what this run measured (regenerate: npx tsx scripts/conformance.ts --write-readme).
    expect(readmeTable(readFileSync('README.md', 'utf8'))).toBe(perOpTable(results));
  });
});

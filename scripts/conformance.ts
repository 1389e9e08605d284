/** Prints ONNX node-conformance results per case and per op: `npx tsx scripts/conformance.ts [regex]`. */
import { listCases, runCase, type CaseResult } from '../test/support/conformance.js';

const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const verbose = process.argv.includes('-v');
const results: CaseResult[] = listCases(filter).map(runCase);
const perOp = new Map<string, { pass: number; fail: number }>();
for (const r of results) {
  if (r.status === 'skip') continue;
  for (const op of r.ops) {
    const e = perOp.get(op) ?? { pass: 0, fail: 0 };
    e[r.status]++;
    perOp.set(op, e);
  }
  if (r.status === 'fail') console.log(`FAIL ${r.name} (opset ${r.opset}): ${r.detail}`);
  else if (verbose) console.log(`pass ${r.name}`);
}
console.log('\n| op | passed | failed |\n|---|---|---|');
for (const [op, e] of [...perOp].sort()) console.log(`| ${op} | ${e.pass} | ${e.fail} |`);
const pass = results.filter((r) => r.status === 'pass').length;
const fail = results.filter((r) => r.status === 'fail').length;
console.log(`\n${pass} passed, ${fail} failed, ${results.length - pass - fail} skipped (unclaimed ops)`);

/** Prints ONNX node-conformance results: `npx tsx scripts/conformance.ts [regex] [-v] [--write-readme]`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { listCases, runCase, type CaseResult } from '../test/support/conformance.js';
import { perOpTable, replaceReadmeTable } from '../test/support/conformance-table.js';

const args = process.argv.slice(2);
const pattern = args.find((a) => !a.startsWith('-'));
const filter = pattern ? new RegExp(pattern) : undefined;
const results: CaseResult[] = listCases(filter).map(runCase);
for (const r of results) {
  if (r.status === 'fail') console.log(`FAIL ${r.name} (opset ${r.opset}): ${r.detail}`);
  else if (r.status === 'pass' && args.includes('-v')) console.log(`pass ${r.name}`);
}
const table = perOpTable(results);
console.log(`\n${table}`);
const pass = results.filter((r) => r.status === 'pass').length;
const fail = results.filter((r) => r.status === 'fail').length;
console.log(`\n${pass} passed, ${fail} failed, ${results.length - pass - fail} skipped (unclaimed ops)`);
if (args.includes('--write-readme') && !filter) {
  writeFileSync('README.md', replaceReadmeTable(readFileSync('README.md', 'utf8'), table));
  console.log('README.md table updated');
}

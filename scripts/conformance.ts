/** Prints ONNX node-conformance results for both case sets (Debian's ONNX 1.12 and onnx 1.23's):
 * `npx tsx scripts/conformance.ts [regex] [-v] [--set onnx-1.12|onnx-1.23] [--write-readme]`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { CASE_SETS, runSet } from '../test/support/conformance.js';
import { outOfScope } from '../test/support/conformance-scope.js';
import { perOpTable, replaceReadmeTable } from '../test/support/conformance-table.js';

const args = process.argv.slice(2);
const only = args.includes('--set') ? args[args.indexOf('--set') + 1] : undefined;
const pattern = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--set');
const filter = pattern ? new RegExp(pattern) : undefined;
let readme = readFileSync('README.md', 'utf8');
for (const set of CASE_SETS.filter((s) => !only || s.id === only)) {
  const results = runSet(set, filter);
  console.log(`\n## ${set.title}: ${set.root}${results.length === 0 ? ' (missing: see .ci/run)' : ''}`);
  for (const r of results) {
    const scope = outOfScope(set.id, r.name);
    if (r.status === 'fail') console.log(`${scope ? 'out of scope' : 'FAIL'} ${r.name} (opset ${r.opset}): ${scope ?? r.detail}`);
    else if (r.status === 'pass' && args.includes('-v')) console.log(`pass ${r.name} (opset ${r.opset})`);
  }
  const table = perOpTable(results);
  console.log(`\n${table}`);
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail').length;
  console.log(`\n${set.id}: ${pass} passed, ${fail} failed or out of scope, ${results.length - pass - fail} skipped (unclaimed ops)`);
  if (args.includes('--write-readme') && !filter) {
    if (results.length === 0) throw new Error(`${set.root} is missing; refusing to write an empty table`);
    readme = replaceReadmeTable(readme, set.id, table);
  }
}
if (args.includes('--write-readme') && !filter) {
  writeFileSync('README.md', readme);
  console.log('README.md tables updated');
}

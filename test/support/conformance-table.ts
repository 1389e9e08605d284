/** The per-op conformance table shown in the README. */
import type { CaseResult, CaseSet } from './conformance.js';

/** Passed and out-of-scope counts per claimed op (cases of unclaimed ops left out). */
export function perOpTable(results: readonly CaseResult[]): string {
  const perOp = new Map<string, { pass: number; fail: number }>();
  for (const r of results) {
    if (r.status === 'skip') continue;
    for (const op of r.ops) {
      const e = perOp.get(op) ?? { pass: 0, fail: 0 };
      e[r.status]++;
      perOp.set(op, e);
    }
  }
  const rows = [...perOp].sort(([a], [b]) => (a < b ? -1 : 1)).map(([op, e]) => `| ${op} | ${e.pass} | ${e.fail} |`);
  return ['| op | passed | out of scope |', '|---|---|---|', ...rows].join('\n');
}

/** The README's markers around the table of one case set. */
function markers(set: CaseSet['id']): [string, string] {
  return [`<!-- conformance-table ${set} -->`, `<!-- /conformance-table ${set} -->`];
}

/** The table of `set` in the README, or undefined when its markers are missing. */
export function readmeTable(readme: string, set: CaseSet['id']): string | undefined {
  const [begin, end] = markers(set);
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  return i < 0 || j < 0 ? undefined : readme.slice(i + begin.length, j).trim();
}

/** The README with the table of `set` replaced (its markers must be there). */
export function replaceReadmeTable(readme: string, set: CaseSet['id'], table: string): string {
  const [begin, end] = markers(set);
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`README.md has no ${begin} ... ${end} markers`);
  return readme.slice(0, i + begin.length) + '\n' + table + '\n' + readme.slice(j);
}

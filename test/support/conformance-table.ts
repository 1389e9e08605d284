/** The per-op conformance table shown in the README. */
import type { CaseResult } from './conformance.js';

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

const BEGIN = '<!-- conformance-table -->';
const END = '<!-- /conformance-table -->';

export function readmeTable(readme: string): string | undefined {
  const i = readme.indexOf(BEGIN);
  const j = readme.indexOf(END);
  return i < 0 || j < 0 ? undefined : readme.slice(i + BEGIN.length, j).trim();
}

export function replaceReadmeTable(readme: string, table: string): string {
  const i = readme.indexOf(BEGIN);
  const j = readme.indexOf(END);
  return readme.slice(0, i + BEGIN.length) + '\n' + table + '\n' + readme.slice(j);
}

/**
 * Generates docs/errors.md from the diagnostics table (src/diagnostics.ts): every code qgc
 * reports, what causes it and what to do.
 *
 *   npx tsx scripts/gen-errors-doc.ts     (deterministic: rewrites the same file)
 *
 * test/errors-doc.test.ts fails when the file on disk differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagnosticRanges, diagnostics, type Diagnostic } from '../src/diagnostics.js';

const codeNumber = (d: Diagnostic) => Number(d.code.slice(3));

/** The range title a code belongs to: the last range starting at or below it. */
function rangeOf(d: Diagnostic): string {
  const n = codeNumber(d);
  const r = [...diagnosticRanges].sort((a, b) => a.from - b.from).filter((x) => x.from <= n).at(-1);
  if (!r) throw new Error(`${d.code} is below every range in diagnosticRanges`);
  return r.title;
}

/** docs/errors.md as the table says it today. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(diagnostics)
    .map(([name, d]) => ({ name, d: d as Diagnostic }))
    .sort((a, b) => codeNumber(a.d) - codeNumber(b.d));
  const out: string[] = [
    '# Errors',
    '',
    '<!-- Generated from src/diagnostics.ts by scripts/gen-errors-doc.ts; do not edit by hand.',
    '     Regenerate: npx tsx scripts/gen-errors-doc.ts -->',
    '',
    'Every error qgc reports is one line on stderr, and the command exits with code 2:',
    '',
    '```text',
    "error QGC1101: model.onnx, node 'foo' (Hardmax): op Hardmax is not supported. Replace the op ...",
    '```',
    '',
    'The line names the code, where the problem is (file, node and op, tensor), what went wrong and',
    'what to do; errors thrown without a specific hint print the default action below. `--debug`',
    'adds the stack trace. Control characters in names and paths are printed escaped (`\\x1b`,',
    '`\\u202e`). The codes are stable (scripts may match on them); the wording may change. In code,',
    'every error is a `CompileError` (src/errors.ts; `VerifyError` is one too) and each code has a',
    'name: `ErrorCode.UnsupportedOp` is `QGC1101`.',
    '',
    '| code | name | what went wrong |',
    '|---|---|---|',
    ...rows.map(({ name, d }) => `| [${d.code}](#${d.code.toLowerCase()}) | \`${name}\` | ${d.title} |`),
  ];
  let range = '';
  for (const { name, d } of rows) {
    const r = rangeOf(d);
    if (r !== range) out.push('', `## ${r}`);
    range = r;
    out.push('', `### ${d.code}`, '', `\`${name}\`: ${d.title}`, '', `**Cause.** ${d.cause}`, '', `**What to do.** ${d.action}`);
  }
  return out.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = new URL('../docs/errors.md', import.meta.url);
  writeFileSync(out, renderErrorsDoc());
  console.log(`wrote ${Object.keys(diagnostics).length} diagnostics to ${fileURLToPath(out)}`);
}

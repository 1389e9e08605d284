/** Golden-file snapshots: text compared with a file under test/golden/ after the qgc version
 * (from package.json, printed in every generated header and as `<NAME>_QGC_VERSION`) is replaced by a placeholder, so a
 * version bump changes no snapshot. `UPDATE_GOLDEN=1` rewrites the files; a mismatch fails
 * with a unified-diff-like excerpt instead of two whole files. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the version string becomes in a golden file. */
export const VERSION_PLACEHOLDER = '<qgc-version>';

/** The version qgc prints in generated files (package.json's). */
export function qgcPackageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Replaces every `qgc <version>` with `qgc <qgc-version>`, and the value of the header's
 * `<NAME>_QGC_VERSION` macro likewise. */
export function normalizeVersion(text: string, version = qgcPackageVersion()): string {
  return text.split(`qgc ${version}`).join(`qgc ${VERSION_PLACEHOLDER}`).split(`_QGC_VERSION "${version}"`).join(`_QGC_VERSION "${VERSION_PLACEHOLDER}"`);
}

/** One hunk around the changed lines (common prefix and suffix trimmed), with line numbers:
 * `-` lines are the golden file's, `+` lines the new text's. Undefined when equal. */
export function diffExcerpt(want: string, got: string, context = 3, maxLines = 12): string | undefined {
  if (want === got) return undefined;
  const a = want.split('\n');
  const b = got.split('\n');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const from = Math.max(0, pre - context);
  const aEnd = a.length - suf;
  const bEnd = b.length - suf;
  const after = Math.min(context, suf);
  const num = (i: number) => String(i + 1).padStart(5);
  const lines = [`@@ -${from + 1},${aEnd - from + after} +${from + 1},${bEnd - from + after} @@ (first difference at line ${pre + 1})`];
  for (let i = from; i < pre; i++) lines.push(` ${num(i)} | ${a[i]}`);
  const block = (sign: string, xs: string[], end: number) => {
    for (let i = pre; i < Math.min(end, pre + maxLines); i++) lines.push(`${sign}${num(i)} | ${xs[i]}`);
    if (end - pre > maxLines) lines.push(`${sign}  ... ${end - pre - maxLines} more line(s)`);
  };
  block('-', a, aEnd);
  block('+', b, bEnd);
  for (let i = aEnd; i < aEnd + after; i++) lines.push(` ${num(i)} | ${a[i]}`);
  return lines.join('\n');
}

/** Compares `text` (version-normalized) with the golden file at `path`, or rewrites the file
 * when UPDATE_GOLDEN=1. Throws an Error whose message is the diff excerpt. */
export function expectGolden(path: string, text: string): void {
  const got = normalizeVersion(text);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, got);
    return;
  }
  if (!existsSync(path)) throw new Error(`${path} does not exist: run with UPDATE_GOLDEN=1 to write it, and review it`);
  const diff = diffExcerpt(readFileSync(path, 'utf8'), got);
  if (diff !== undefined) throw new Error(`${path} differs from the emitted text (rerun with UPDATE_GOLDEN=1 after reviewing the diff):\n${diff}`);
}

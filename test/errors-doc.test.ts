/** docs/errors.md is what scripts/gen-errors-doc.ts writes from the table today, and is linked. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../scripts/gen-errors-doc.js';
import { diagnostics } from '../src/diagnostics.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('is what the generator writes (regenerate with npx tsx scripts/gen-errors-doc.ts)', () => {
    expect(read('docs/errors.md'), 'docs/errors.md is out of date: run npx tsx scripts/gen-errors-doc.ts').toBe(renderErrorsDoc());
  });

  it('documents every code with its cause and action', () => {
    const doc = renderErrorsDoc();
    for (const d of Object.values(diagnostics)) {
      expect(doc).toContain(`### ${d.code}\n`);
      expect(doc).toContain(d.cause);
      expect(doc).toContain(d.action);
    }
  });

  it('is linked from the README and the architecture notes', () => {
    expect(read('README.md')).toContain('docs/errors.md');
    expect(read('docs/architecture.md')).toMatch(/One error type[^\n]*(\n[^\n-][^\n]*)*errors\.md/);
  });
});

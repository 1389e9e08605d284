/** Every model in test/regressions/ (written by `npm run fuzz` when a case failed, with a .json
 * saying what it was) must now pass: refused in one coded line, or run like onnxruntime-node. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCase } from './fuzz/run.js';

const DIR = 'test/regressions';
const cases = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const work = mkdtempSync(join(tmpdir(), 'qgc-regressions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('fuzz regressions', () => {
  it('the folder holds cases, each with its description', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const f of cases) expect(readdirSync(DIR)).toContain(f.replace(/\.onnx$/, '.json'));
  });
  for (const f of cases) {
    const meta = JSON.parse(readFileSync(join(DIR, f.replace(/\.onnx$/, '.json')), 'utf8')) as { mutation: string; outcome: string; detail: string };
    it(`${f}: ${meta.mutation} (was ${meta.outcome})`, async () => {
      const r = await runCase(new Uint8Array(readFileSync(join(DIR, f))), work, 1);
      expect(['refused', 'agrees', 'ort-lags'], `${r.outcome}: ${r.detail}`).toContain(r.outcome);
    });
  }
});

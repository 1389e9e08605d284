/**
 * `npm run fuzz -- [--cases N] [--seed S] [--keep]`: structure-aware and byte-level mutants of the
 * seed models (test/fuzz/), each loaded and run by qgc and by onnxruntime-node; prints the
 * outcomes per mutation kind. Every failing case is written to test/regressions/ (the model and a
 * .json saying what it is), where test/regressions.test.ts replays it; exits 1 when any failed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz, passes, summary, ORT_LIMITS } from '../test/fuzz/run.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} takes a whole number`);
  return v;
}

const cases = option('--cases', 1000);
const seed = option('--seed', 20261204);
const dir = mkdtempSync(join(tmpdir(), 'qgc-fuzz-'));
const t0 = performance.now();
let done = 0;
const all = await fuzz(seed, cases, dir, () => {
  done++;
  if (process.stderr.isTTY && done % 100 === 0) process.stderr.write(`\r${done}/${cases}`);
});
if (process.stderr.isTTY) process.stderr.write('\r');
rmSync(dir, { recursive: true, force: true });
console.log(`qgc fuzz: ${cases} cases from seed ${seed} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
console.log(summary(all));
const lags = all.filter((c) => c.outcome === 'ort-lags');
if (lags.length > 0) {
  console.log('ort-lags (qgc runs valid ONNX that onnxruntime 1.30 does not):');
  for (const l of ORT_LIMITS) {
    const n = lags.filter((c) => l.pattern.test(c.detail)).length;
    if (n > 0) console.log(`  ${n} × ${l.why}`);
  }
}
const failed = all.filter((c) => !passes(c));
if (failed.length > 0) {
  mkdirSync('test/regressions', { recursive: true });
  for (const c of failed) {
    const base = join('test/regressions', `fuzz-${seed}-${c.index}`);
    writeFileSync(`${base}.onnx`, c.bytes);
    writeFileSync(`${base}.json`, JSON.stringify({ seed, index: c.index, seedModel: c.seedModel, kind: c.kind, mutation: c.desc, outcome: c.outcome, detail: c.detail.split('\n')[0] }, null, 2) + '\n');
    console.log(`FAILED ${c.outcome}: ${c.seedModel} ${c.kind} (${c.desc}): ${c.detail.split('\n')[0]} -> ${base}.onnx`);
  }
  process.exitCode = 1;
}

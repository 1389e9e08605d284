/** The C tests' side of the random graphs: the seed of a run (QGC_RANDOM_SEED or a fixed one),
 * the expected outputs of each case (computed once), and one batch run of many cases compared
 * byte for byte, failing with the seed, the graph index, its layers, its printed IR and the first
 * differing byte. */
import type { KernelsOption } from '../../src/backends/c/emit.js';
import { printGraph } from '../../src/ir/printer.js';
import { compileAndRunBatch, type BatchResult } from './c-batch.js';
import { expectedBytes, firstDifference, type Expected } from './c-harness.js';
import { interpretRandomCase, type RandomGraphCase } from './random-qgraphs.js';

/** The seed when QGC_RANDOM_SEED is not set. */
export const DEFAULT_RANDOM_SEED = 20261204;

/** QGC_RANDOM_SEED, or DEFAULT_RANDOM_SEED. */
export function randomSeed(): number {
  const v = process.env.QGC_RANDOM_SEED;
  if (v === undefined || v === '') return DEFAULT_RANDOM_SEED;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`QGC_RANDOM_SEED must be an integer in [0, 2^32), not '${v}'`);
  return n;
}

/** Random inputs per case. */
export const RANDOM_SAMPLES = 2;

const expected = new WeakMap<RandomGraphCase, Expected>();

/** The interpreter's outputs on the case's RANDOM_SAMPLES seeded inputs (computed once). */
export function expectedOf(c: RandomGraphCase): Expected {
  let e = expected.get(c);
  if (!e) expected.set(c, (e = interpretRandomCase(c, RANDOM_SAMPLES)));
  return e;
}

/** What went wrong on graph i, with everything needed to reproduce it; undefined when bit-exact. */
function failure(what0: string, seed: number, i: number, c: RandomGraphCase, r: BatchResult): string | undefined {
  let what: string | undefined;
  if ('error' in r) what = r.error;
  else {
    const e = expectedOf(c);
    what = r.outputs.map((o, k) => {
      const d = firstDifference(o, expectedBytes(e, k, false));
      return d ? `sample ${k}: ${d}` : undefined;
    }).filter(Boolean).join('; ') || undefined;
  }
  if (!what) return undefined;
  return `${what0}: QGC_RANDOM_SEED=${seed}, graph ${i} (randomQuantizedGraph(${c.seed}), input [${c.inputShape}]): ${what}\n`
    + `layers:\n  ${c.layers.join('\n  ')}\n${printGraph(c.graph)}`;
}

/** Compiles every case with one provider into one program, runs it on the host or a QEMU target
 * and returns '' when every output byte is the interpreter's, else the report: the number of
 * failing graphs, the first in full (layers and IR), one line for each other. */
export async function checkRandomCases(cases: readonly RandomGraphCase[], seed: number, opts: { kernels: KernelsOption; target: string; where: 'host' | string }): Promise<string> {
  const results = await compileAndRunBatch(cases.map((c) => ({ graph: c.graph, expected: expectedOf(c) })), { ...opts, name: (i) => `r${i}` });
  const label = `${opts.kernels} on ${opts.where === 'host' ? `the host (${opts.target} build)` : opts.where}`;
  const failures = results.map((r, i) => failure(label, seed, i, cases[i], r)).filter((f): f is string => f !== undefined);
  if (failures.length === 0) return '';
  return `${failures.length} of ${cases.length} graphs differ\n${failures[0]}\nothers:\n${failures.slice(1).map((f) => f.split('\n')[0]).join('\n')}`;
}

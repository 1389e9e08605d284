/** The random quantized graphs of test/random-graphs-c.test.ts (same seed, QGC_RANDOM_SEED) on
 * Cortex-M4 under QEMU with the cmsis-nn provider: CMSIS-NN's DSP paths are other code than the
 * host build's plain C, and they are where a kernel's assumptions about padding show (one such
 * was found this way: see docs/c-backend.md). All graphs in one ELF, bit-exact. */
import { describe, expect, it } from 'vitest';
import { checkRandomCases, randomSeed } from './support/random-check.js';
import { randomQuantizedGraphs } from './support/random-qgraphs.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, QEMU, needs } from './support/tools.js';

const SEED = randomSeed();
const COUNT = 200;

describe(`random quantized graphs on QEMU (seed ${SEED})`, () => {
  it(`${COUNT} graphs, cmsis-nn on cortex-m4 (DSP): bit-exact with the interpreter`, async (ctx) => {
    needs(ctx, ARM, QEMU, CMSIS);
    const report = await checkRandomCases(randomQuantizedGraphs(SEED, COUNT), SEED, { kernels: 'cmsis-nn', target: 'cortex-m4', where: 'cortex-m4' });
    expect(report === '', report).toBe(true);
  }, 600_000);
});

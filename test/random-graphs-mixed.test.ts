/** The C backend on random quantized graphs of mixed weight widths: half of the conv and fully
 * connected layers have 4-bit weights (test/support/random-qgraphs.ts, `{ int4: 0.5 }`), the rest
 * int8. All graphs are compiled into one program per provider and run on the host (sanitizers)
 * and with cmsis-nn under QEMU on Cortex-M4 (DSP) and Cortex-M55 (MVE), whose _s4 kernels are
 * other code than the host's; every output byte must equal the integer interpreter's.
 * QGC_RANDOM_SEED picks another seed. */
import { describe, expect, it } from 'vitest';
import { checkRandomCases, randomSeed } from './support/random-check.js';
import { randomQuantizedGraphs } from './support/random-qgraphs.js';
import { depthwiseS4Fits } from '../src/backends/c/kernels-cmsis.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, GCC, QEMU, needs } from './support/tools.js';

const SEED = randomSeed();
const COUNT = 40;
const cases = randomQuantizedGraphs(SEED, COUNT, { int4: 0.5 });

describe(`random graphs with int4 and int8 weights (seed ${SEED})`, () => {
  it('the graphs mix widths over every _s4 kernel path: dense, depthwise and grouped convs, FC per tensor and per channel', () => {
    const linear = cases.flatMap((c) => c.graph.nodes.flatMap((n) => {
      if (n.op !== 'QConv' && n.op !== 'QFullyConnected') return [];
      const w = c.graph.tensors.get(n.inputs[1])!;
      const channels = c.graph.tensors.get(n.inputs[0])!.shape[1];
      const kind = n.op === 'QFullyConnected' ? 'fc' : n.attrs.group === 1 ? 'dense' : n.attrs.group === channels ? 'depthwise' : 'grouped';
      const mult = w.shape[0] / channels;
      return [{ kind, bits: w.quant?.bits ?? 8, perTensor: n.attrs.multiplier.length === 1, values: w.data as Int8Array, cmsisDepthwise: kind === 'depthwise' && depthwiseS4Fits(channels, mult) }];
    }));
    for (const kind of ['dense', 'depthwise', 'grouped', 'fc']) {
      expect(linear.some((l) => l.kind === kind && l.bits === 4), `${kind} w4`).toBe(true);
      expect(linear.some((l) => l.kind === kind && l.bits === 8), `${kind} w8`).toBe(true);
    }
    // Depthwise w4 layers CMSIS-NN's arm_depthwise_conv_s4 runs, and ones it leaves to qgc_conv_s4.
    const dw4 = linear.filter((l) => l.kind === 'depthwise' && l.bits === 4);
    expect(dw4.some((l) => l.cmsisDepthwise) && dw4.some((l) => !l.cmsisDepthwise), 'depthwise w4 on both kernels').toBe(true);
    expect(linear.some((l) => l.kind === 'fc' && l.bits === 4 && l.perTensor) && linear.some((l) => l.kind === 'fc' && l.bits === 4 && !l.perTensor), 'fc w4 per tensor and per channel').toBe(true);
    for (const l of linear.filter((v) => v.bits === 4)) expect(l.values.every((v) => v >= -7 && v <= 7)).toBe(true);
    expect(cases.filter((c) => c.layers.some((t) => t.includes(' w4')) && c.layers.some((t) => /^\s*(conv|fc) (?!w4)/.test(t))).length, 'graphs with both widths').toBeGreaterThan(5);
  });

  for (const kernels of ['portable', 'cmsis-nn'] as const) {
    it(`${COUNT} graphs, ${kernels} on the host (cortex-m4 build): bit-exact with the interpreter`, async (ctx) => {
      needs(ctx, GCC, ...(kernels === 'cmsis-nn' ? [CMSIS] : []));
      const report = await checkRandomCases(cases, SEED, { kernels, target: 'cortex-m4', where: 'host' });
      expect(report === '', report).toBe(true);
    }, 300_000);
  }

  for (const target of ['cortex-m4', 'cortex-m55']) {
    it(`${COUNT} graphs, cmsis-nn on ${target} under QEMU: bit-exact with the interpreter`, async (ctx) => {
      needs(ctx, ARM, QEMU, CMSIS);
      const report = await checkRandomCases(cases, SEED, { kernels: 'cmsis-nn', target, where: target });
      expect(report === '', report).toBe(true);
    }, 600_000);
  }
});

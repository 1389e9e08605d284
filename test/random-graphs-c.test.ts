/** C backend on random quantized graphs: 200 graphs a run from a seeded generator
 * (test/support/random-qgraphs.ts), each compiled with both kernel providers for cortex-m4, built
 * into one host program per provider (sanitizers on) and run on 2 random inputs; every output
 * byte must equal the integer interpreter's. QGC_RANDOM_SEED picks another seed (printed). */
import { describe, expect, it } from 'vitest';
import { printGraph } from '../src/ir/printer.js';
import { checkRandomCases, expectedOf, randomSeed } from './support/random-check.js';
import { interpretRandomCase, MAX_ELEMENTS, randomQuantizedGraph, randomQuantizedGraphs } from './support/random-qgraphs.js';
import { CMSIS_NN as CMSIS, GCC, needs } from './support/tools.js';

const SEED = randomSeed();
const COUNT = 200;

console.log(`random graphs: QGC_RANDOM_SEED=${SEED} (${COUNT} graphs)`);

const cases = randomQuantizedGraphs(SEED, COUNT);

describe(`random quantized graphs (seed ${SEED})`, () => {
  it('the generator is deterministic and reaches every layer kind it documents', () => {
    const again = randomQuantizedGraph(cases[17].seed);
    expect(printGraph(again.graph)).toBe(printGraph(cases[17].graph));
    expect(interpretRandomCase(again, 1).out8[0]).toEqual(expectedOf(cases[17]).out8[0]);
    const ops = new Set(cases.flatMap((c) => c.graph.nodes.map((n) => n.op)));
    expect([...ops].sort()).toEqual([
      'Dequantize', 'Pad', 'QAdd', 'QAveragePool', 'QClamp', 'QConcat', 'QConv', 'QFullyConnected', 'QHardSigmoid', 'QHardSwish', 'QLeakyRelu',
      'QMaxPool', 'QMean', 'QMul', 'QPRelu', 'QReduceMax', 'QSigmoid', 'QSoftmax', 'QTanh', 'Quantize', 'Reshape', 'Transpose',
    ]);
    const binary = cases.flatMap((c) => c.graph.nodes.flatMap((n) => (n.op === 'QAdd' || n.op === 'QMul'
      ? [{ op: n.op, sub: n.op === 'QAdd' && n.attrs.input2.multiplier < 0, shapes: n.inputs.map((i) => c.graph.tensors.get(i)!.shape.join()), constant: c.graph.tensors.get(n.inputs[1])!.data !== undefined }]
      : [])));
    expect(binary.some((v) => v.op === 'QMul' && v.shapes[0] !== v.shapes[1] && !v.constant), 'squeeze-excite mul').toBe(true);
    expect(binary.some((v) => v.op === 'QMul' && v.shapes[0] !== v.shapes[1] && v.constant), 'mul by a broadcast constant').toBe(true);
    expect(binary.some((v) => v.op === 'QMul' && v.shapes[0] === v.shapes[1] && v.constant), 'mul by a full-shape constant').toBe(true);
    expect(binary.some((v) => v.op === 'QAdd' && v.shapes[0] !== v.shapes[1]), 'broadcast add').toBe(true);
    expect(binary.some((v) => v.sub), 'sub').toBe(true);
    const convs = cases.flatMap((c) => c.graph.nodes.flatMap((n) => (n.op === 'QConv'
      ? [{ a: n.attrs, c: c.graph.tensors.get(n.inputs[0])!.shape[1], outC: c.graph.tensors.get(n.inputs[1])!.shape[0], bias: n.inputs.length === 3 }]
      : [])));
    const some = (p: (v: typeof convs[number]) => boolean): boolean => convs.some(p);
    expect(some((v) => v.a.group === v.c && v.c > 1), 'depthwise').toBe(true);
    expect(some((v) => v.a.group > 1 && v.a.group < v.c), 'grouped').toBe(true);
    expect(some((v) => v.a.strides.some((s) => s === 3)), 'stride 3').toBe(true);
    expect(some((v) => v.a.dilations.some((s) => s === 3)), 'dilation 3').toBe(true);
    expect(some((v) => v.a.kernel.length === 1), '1-D').toBe(true);
    expect(some((v) => v.a.kernel.some((k) => k === 5)), 'kernel 5').toBe(true);
    expect(some((v) => { const sp = v.a.kernel.length; return v.a.pads.some((p, j) => j < sp && p !== v.a.pads[j + sp]); }), 'asymmetric pads').toBe(true);
    expect(some((v) => !v.bias) && some((v) => v.bias), 'with and without bias').toBe(true);
    expect(some((v) => { const sp = v.a.kernel.length; return v.a.pads.some((p, j) => p > v.a.dilations[j % sp] * (v.a.kernel[j % sp] - 1)); }), 'windows wholly in the padding').toBe(true);
    expect(some((v) => v.a.multiplier.length === 1 && v.outC > 1) && some((v) => v.a.multiplier.length > 1), 'per-tensor and per-channel').toBe(true);
    expect(some((v) => v.a.actMin > -128) && some((v) => v.a.actMax < 127), 'fused clamps').toBe(true);
    const pools = cases.flatMap((c) => c.graph.nodes.flatMap((n) => (n.op === 'QMaxPool' || n.op === 'QAveragePool' ? [n] : [])));
    expect(pools.some((n) => n.op === 'QAveragePool' && n.attrs.pads.some((p) => p > 0)), 'padded average pool').toBe(true);
    expect(pools.some((n) => n.attrs.ceilMode), 'ceil mode').toBe(true);
    expect(pools.some((n) => n.attrs.dilations.some((d) => d > 1)), 'dilated pool').toBe(true);
    expect(cases.some((c) => c.inputShape[0] === 2), 'batch 2').toBe(true);
    // Small tensors: the whole file runs in seconds.
    const largest = Math.max(...cases.flatMap((c) => [...c.graph.tensors.values()].filter((t) => !t.data && t.dtype === 'int8').map((t) => t.shape.reduce((a, b) => a * b, 1))));
    expect(largest).toBeLessThanOrEqual(MAX_ELEMENTS);
  });

  for (const kernels of ['portable', 'cmsis-nn'] as const) {
    it(`${COUNT} graphs, ${kernels} on the host (cortex-m4 build): bit-exact with the interpreter`, async (ctx) => {
      needs(ctx, GCC, ...(kernels === 'cmsis-nn' ? [CMSIS] : []));
      const report = await checkRandomCases(cases, SEED, { kernels, target: 'cortex-m4', where: 'host' });
      expect(report === '', report).toBe(true);
    }, 300_000);
  }
});

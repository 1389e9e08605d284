/** C backend, differential: the C that `compileC` emits is built on the host (gcc, -std=c99
 * -pedantic -Wall -Wextra -Werror, AddressSanitizer and UBSan) and on Cortex-M under QEMU, run
 * on the same inputs as the integer interpreter, and every output byte must be equal. Both kernel
 * providers: portable (qgc's own C) and cmsis-nn (compiled from CMSIS_NN_ROOT, never copied). */
import { describe, expect, it } from 'vitest';
import { compileC, type KernelsOption } from '../src/backends/c/emit.js';
import { int8GraphFor } from '../src/cli/quantize.js';
import { loadModel } from '../src/onnx/load.js';
import { compileAndRun, expectedBytes, firstDifference, interpret, randomSamples, type Expected } from './support/c-harness.js';
import { ALL_CASES, cnn, conv1d, conv1dPads, conv1x1EndPads, dwOverhang, dwPadsPastKernel, dwsepResidual, layouts, nchwOutput, type GraphCase } from './support/c-graphs.js';
import { availableExamples } from './support/examples.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, GCC, QEMU, needs, pathExists } from './support/tools.js';
import type { Graph } from '../src/ir/graph.js';


/** Runs and compares every sample; fails with the first differing byte per sample. */
async function checkBitExact(graph: Graph, expected: Expected, kernels: KernelsOption, where: string, f32 = false): Promise<bigint | undefined> {
  const r = await compileAndRun({ graph, kernels, where, f32, expected });
  const diffs = r.outputs.map((o, k) => firstDifference(o, expectedBytes(expected, k, f32))).map((d, k) => (d ? `sample ${k}: ${d}` : undefined)).filter(Boolean);
  expect(diffs, `${kernels} on ${where}${f32 ? ' (f32 API)' : ''}`).toEqual([]);
  return r.cycles;
}

function expectedFor(c: GraphCase, count = 3): Expected {
  return interpret(c.graph, randomSamples(c.rand, c.inputShape, count));
}

describe('C backend on the host: bit-exact with the integer interpreter', () => {
  for (const make of ALL_CASES) {
    const c = make();
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      it(`${c.name}, ${kernels}`, async (ctx) => {
        needs(ctx, GCC, ...(kernels === 'cmsis-nn' ? [CMSIS] : []));
        await checkBitExact(c.graph, expectedFor(c), kernels, 'host');
      });
    }
  }

  it('the float API (quantize, run, dequantize) gives the interpreter\'s float output bits', async (ctx) => {
    needs(ctx, GCC);
    for (const c of [cnn(), nchwOutput()]) await checkBitExact(c.graph, expectedFor(c), 'portable', 'host', true);
  });

  it('quantizes exactly like the interpreter at rounding ties, saturation and NaN', async (ctx) => {
    needs(ctx, GCC);
    const c = nchwOutput();
    const s = 1 / 64; // the input scale of the test graphs: k/128 is a tie between two steps
    const tricky = [0.5 * s, 1.5 * s, 2.5 * s, -0.5 * s, -1.5 * s, -2.5 * s, 1e9, -1e9, Infinity, -Infinity, NaN, 0, -0, 3.4e38, 1e-45];
    const n = c.inputShape.reduce((a, b) => a * b, 1);
    const sample = Float32Array.from({ length: n }, (_, i) => tricky[i % tricky.length] + (i >= tricky.length ? (i % 7) * s : 0));
    await checkBitExact(c.graph, interpret(c.graph, [sample]), 'portable', 'host', true);
  });
});

describe('C backend on Cortex-M under QEMU', () => {
  it('cortex-m4 (CMSIS-NN DSP path and portable): bit-exact on every hand-made graph', async (ctx) => {
    needs(ctx, ARM, QEMU, CMSIS);
    for (const make of ALL_CASES) {
      const c = make();
      const e = expectedFor(c, 2);
      await checkBitExact(c.graph, e, 'cmsis-nn', 'cortex-m4');
      if (c.name === 'layouts') await checkBitExact(c.graph, e, 'portable', 'cortex-m4');
    }
  }, 600_000);

  it('cortex-m55 (CMSIS-NN MVE path, FC kernel sums in flash): bit-exact', async (ctx) => {
    needs(ctx, ARM, QEMU, CMSIS);
    for (const c of [cnn(), dwsepResidual(), conv1d(), layouts(), conv1dPads(), dwOverhang()]) await checkBitExact(c.graph, expectedFor(c, 2), 'cmsis-nn', 'cortex-m55');
  }, 600_000);
});

describe('C backend on the example models (quantized with their calibration data)', () => {
  const examples = availableExamples().filter((e) => pathExists('calibration data', `${e.dir}/calib.npy`, 'run the example\'s train.py').present);
  for (const ex of examples) {
    it(`${ex.name}: host portable + cmsis-nn and QEMU cortex-m4 cmsis-nn are bit-exact; arena vs lower bound`, async (ctx) => {
      needs(ctx, GCC, CMSIS);
      const { graph: imported } = loadModel(ex.model);
      const { graph } = int8GraphFor(imported, { calib: [`${ex.dir}/calib.npy`] });
      const x = ex.testX();
      const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const count = 16;
      const samples = Array.from({ length: count }, (_, k) => (x.data as Float32Array).slice(k * per, (k + 1) * per));
      const e = interpret(graph, samples);
      await checkBitExact(graph, e, 'portable', 'host');
      await checkBitExact(graph, e, 'cmsis-nn', 'host');
      await checkBitExact(graph, e, 'portable', 'host', true);
      if (ARM.present && QEMU.present) {
        const small: Expected = { in8: e.in8.slice(0, 4), out8: e.out8.slice(0, 4), inF: e.inF.slice(0, 4), outF: e.outF.slice(0, 4) };
        const cycles = await checkBitExact(graph, small, 'cmsis-nn', 'cortex-m4');
        const r = await compileAndRun({ graph, kernels: 'cmsis-nn', where: 'host', expected: small });
        const t = r.compiled.report.totals;
        console.log(`${ex.name}: arena ${t.arenaBytes} B, lower bound ${t.arenaLowerBound} B; ${t.macs} MACs; cortex-m4 cmsis-nn ${cycles} instructions (${(Number(cycles) / t.macs).toFixed(2)}/MAC)`);
        expect(t.arenaBytes).toBeGreaterThanOrEqual(t.arenaLowerBound);
      }
    }, 600_000);
  }
});

describe('C backend: hand-made graphs reach the planned layouts', () => {
  it('a Flatten after NHWC costs nothing, a Transpose to NHWC is a view, NCHW I/O transposes only where needed', () => {
    const r1 = compileC(cnn().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net' });
    expect(r1.report.totals.layoutCopies).toBe(0);
    expect(r1.report.totals.boundaryTransposes).toEqual({ input: true, output: false });
    const r2 = compileC(layouts().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net' });
    expect(r2.report.totals.layoutCopies).toBe(0);
    expect(r2.report.totals.boundaryTransposes).toEqual({ input: true, output: false });
    const r3 = compileC(nchwOutput().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net' });
    expect(r3.report.totals.boundaryTransposes).toEqual({ input: true, output: true });
    const r4 = compileC(dwsepResidual().graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net' });
    expect(r4.report.layers.filter((l) => l.inPlace).map((l) => l.op)).toEqual(['QAdd', 'QClamp']);
    expect(r4.report.layers.map((l) => l.kernel)).toContain('arm_depthwise_conv_wrapper_s8');
  });

  it('CMSIS-NN wrappers run only where their pick is exact for ONNX pads; elsewhere the right function is called directly', () => {
    const kernels = (c: GraphCase, target = 'cortex-m4') => compileC(c.graph, { target, kernels: 'cmsis-nn', name: 'net' }).report.layers.filter((l) => l.op === 'QConv').map((l) => l.kernel);
    // Windows ending two columns past the right edge: arm_depthwise_conv_3x3_s8 would read the next row.
    expect(kernels(dwOverhang())).toEqual(['arm_depthwise_conv_s8_opt', 'arm_depthwise_conv_s8_opt', 'arm_convolve_wrapper_s8', 'arm_depthwise_conv_s8_opt']);
    // Pads that are not TFLite's SAME: arm_convolve_1_x_n_s8 fails or drops a column on MVE (the
    // first three layers are cheaper as gathered rows, the SAME-padded one keeps the 1xN kernel).
    expect(kernels(conv1dPads(), 'cortex-m55').slice(3)).toEqual(['arm_convolve_wrapper_s8', 'arm_convolve_s8']);
    // Windows wholly in the padding by more than the kernel height: arm_depthwise_conv_s8_opt would
    // overrun its buffer on DSP, so the bounded arm_depthwise_conv_s8 runs them.
    expect(kernels(dwPadsPastKernel())).toEqual(['arm_depthwise_conv_s8', 'arm_depthwise_conv_s8', 'arm_convolve_wrapper_s8']);
    // 1x1 with end pads only: the wrapper's 1x1 kernels would leave the padded outputs out.
    expect(kernels(conv1x1EndPads())).toEqual(['arm_convolve_s8', 'arm_convolve_s8', 'arm_convolve_wrapper_s8']);
    expect(kernels(conv1x1EndPads(), 'cortex-m55')).toEqual(['arm_convolve_s8', 'arm_convolve_s8', 'arm_convolve_wrapper_s8']);
    // Symmetric pads of 1 around a 3x3 depthwise filter: the wrapper (and its 3x3 kernel) is right.
    expect(kernels(dwsepResidual())[1]).toBe('arm_depthwise_conv_wrapper_s8');
  });
});

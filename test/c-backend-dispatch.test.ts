/** C backend, which CMSIS-NN function runs a convolution (src/backends/c/cmsis-dispatch.ts):
 * the conditions under which qgc trusts a wrapper's pick are checked against the kernels
 * themselves under QEMU (arm_depthwise_conv_3x3_s8 on a Cortex-M4, arm_convolve_1_x_n_s8's MVE
 * path on a Cortex-M55), with the input at the end of a buffer followed by bytes that are not
 * the zero point, so that a read outside a window changes the output. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConvGeometry, NnDims } from '../src/backends/c/cmsis-buffers.js';
import { convFunction, depthwiseFunction, mve1xNExact, rightOverhang, wrapperRunsDepthwise3x3 } from '../src/backends/c/cmsis-dispatch.js';
import { loadTarget } from '../src/targets/target.js';
import { runQemu } from '../src/verify/qemu.js';
import { buildElf } from '../src/verify/toolchain.js';
import { supportSource } from './support/cmsis.js';
import { rng } from './support/qgraph.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, QEMU, needs } from './support/tools.js';


interface Case {
  kind: 0 | 1;
  p: ConvGeometry;
  input: NnDims;
  filter: NnDims;
  output: NnDims;
}

const outSize = (size: number, k: number, s: number, begin: number, end: number) => Math.floor((size + begin + end - k) / s) + 1;

/** Runs the kernels on the cases; per case: the kernel's status and whether its output equals the reference. */
async function runCases(target: string, cases: Case[]): Promise<{ status: number; equal: boolean }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-dispatch-'));
  const rec = cases.flatMap((c) => [c.kind, c.input.w, c.input.h, c.input.c, c.output.c, c.filter.h, c.filter.w, c.p.strideW, c.p.strideH, c.p.padW, c.p.padH, c.output.w, c.output.h]);
  writeFileSync(join(dir, 'input.bin'), Buffer.from(Int32Array.from(rec).buffer));
  const { elf } = await buildElf({ target, sources: [supportSource('dispatch-check.c')], cmsisNn: true, outDir: join(dir, 'build') });
  const r = await runQemu({ target, elf, cwd: dir, timeoutMs: 120_000 });
  expect(r.exitCode, r.stdout.slice(-500)).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBe(cases.length);
  return lines.map((l) => ({ status: Number(l.split(' ')[0]), equal: l.endsWith(' 1') }));
}

describe('arm_depthwise_conv_3x3_s8: exact while windows end at most one column past the right edge', () => {
  it('qgc\'s rule agrees with the kernel on 400 random 3x3 geometries (Cortex-M4)', async (ctx) => {
    needs(ctx, ARM, QEMU, CMSIS);
    const rand = rng(99);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: Case[] = [];
    while (cases.length < 400) {
      const input = { n: 1, h: int(1, 6), w: int(1, 9), c: int(1, 9) };
      const p = { strideW: int(1, 3), strideH: int(1, 3), padW: int(0, 1), padH: int(0, 1), dilationW: 1, dilationH: 1 };
      const [pr, pb] = [int(0, 3), int(0, 3)];
      const output = { n: 1, h: outSize(input.h, 3, p.strideH, p.padH, pb), w: outSize(input.w, 3, p.strideW, p.padW, pr), c: input.c };
      if (output.h < 1 || output.w < 1) continue;
      cases.push({ kind: 0, p, input, filter: { n: 1, h: 3, w: 3, c: input.c }, output });
    }
    const got = await runCases('cortex-m4', cases);
    const exact = cases.map((c) => wrapperRunsDepthwise3x3(c.p, c.input, c.filter, c.output) && rightOverhang(c.p, c.input, c.filter, c.output) <= 1);
    const wrongWhereTrusted = cases.filter((c, i) => exact[i] && !(got[i].status === 0 && got[i].equal)).map((c) => JSON.stringify(c));
    expect(wrongWhereTrusted).toEqual([]);
    const flagged = got.filter((_, i) => !exact[i]);
    const differ = flagged.filter((g) => g.status !== 0 || !g.equal).length;
    console.log(`3x3 depthwise: ${cases.length - flagged.length} geometries trusted (all exact), ${flagged.length} avoided (${differ} of them give a wrong output)`);
    expect(flagged.length).toBeGreaterThan(50);
    expect(differ / flagged.length).toBeGreaterThan(0.75);
    // And qgc calls the bounds-checked kernel for exactly the flagged ones.
    cases.forEach((c, i) => expect(depthwiseFunction(c.p, c.input, c.filter, c.output) === 'arm_depthwise_conv_s8_opt').toBe(!exact[i]));
  }, 300_000);
});

describe('arm_convolve_1_x_n_s8 on MVE: exact only for the pads TFLite\'s SAME padding produces', () => {
  it('mve1xNExact agrees with the kernel on 400 random 1-D geometries (Cortex-M55)', async (ctx) => {
    needs(ctx, ARM, QEMU, CMSIS);
    const rand = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: Case[] = [];
    while (cases.length < 400) {
      const input = { n: 1, h: 1, w: int(1, 16), c: rand() < 0.5 ? 4 : 8 };
      const k = int(1, 7);
      const p = { strideW: int(1, 3), strideH: 1, padW: int(0, 3), padH: 0, dilationW: 1, dilationH: 1 };
      const output = { n: 1, h: 1, w: outSize(input.w, k, p.strideW, p.padW, int(0, 3)), c: int(1, 9) };
      if (output.w < 1) continue;
      cases.push({ kind: 1, p, input, filter: { n: output.c, h: 1, w: k, c: input.c }, output });
    }
    const got = await runCases('cortex-m55', cases);
    const exact = cases.map((c) => mve1xNExact(c.p, c.input, c.filter, c.output));
    const wrongWhereTrusted = cases.filter((c, i) => exact[i] && !(got[i].status === 0 && got[i].equal)).map((c) => JSON.stringify(c));
    expect(wrongWhereTrusted).toEqual([]);
    const flagged = got.filter((_, i) => !exact[i]);
    const differ = flagged.filter((g) => g.status !== 0 || !g.equal).length;
    console.log(`1xN on MVE: ${cases.length - flagged.length} geometries trusted (all exact), ${flagged.length} avoided (${differ} of them fail or give a wrong output)`);
    expect(flagged.length).toBeGreaterThan(50);
    expect(differ / flagged.length).toBeGreaterThan(0.75);
  }, 300_000);
});

describe('conv function choice', () => {
  const g = (o: Partial<ConvGeometry> = {}): ConvGeometry => ({ strideW: 1, strideH: 1, padW: 1, padH: 1, dilationW: 1, dilationH: 1, ...o });
  it('a 3x3 conv with one input channel runs as gathered rows on DSP and MVE cores, never without them', () => {
    const input = { n: 1, h: 28, w: 28, c: 1 };
    const filter = { n: 16, h: 3, w: 3, c: 1 };
    const output = { n: 1, h: 28, w: 28, c: 16 };
    expect(convFunction(loadTarget('cortex-m4'), g(), input, filter, output)).toBe('rows');
    expect(convFunction(loadTarget('cortex-m55'), g(), input, filter, output)).toBe('rows');
    expect(convFunction(loadTarget('cortex-m0plus'), g(), input, filter, output)).toBe('arm_convolve_wrapper_s8');
    // The same from the targets' cost models (costModel.dispatch.convRows).
    for (const name of ['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55']) expect(convFunction(loadTarget(name), g(), input, filter, output)).toBe('rows');
    expect(convFunction(loadTarget('cortex-m0plus'), g(), input, filter, output)).toBe('arm_convolve_wrapper_s8');
  });
  it('1x1, grouped and W-dilated convs keep the wrapper', () => {
    const output = { n: 1, h: 14, w: 14, c: 16 };
    expect(convFunction(loadTarget('cortex-m4'), g({ padW: 0, padH: 0 }), { n: 1, h: 14, w: 14, c: 8 }, { n: 16, h: 1, w: 1, c: 8 }, output)).toBe('arm_convolve_wrapper_s8');
    expect(convFunction(loadTarget('cortex-m4'), g(), { n: 1, h: 14, w: 14, c: 8 }, { n: 16, h: 3, w: 3, c: 4 }, output)).toBe('arm_convolve_wrapper_s8');
    expect(convFunction(loadTarget('cortex-m4'), g({ dilationW: 2, padW: 2 }), { n: 1, h: 14, w: 14, c: 1 }, { n: 16, h: 3, w: 3, c: 1 }, output)).toBe('arm_convolve_wrapper_s8');
  });
});

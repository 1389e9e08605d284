/** C backend, memory: the arena plan (no two simultaneously live buffers overlap, arena >= the
 * lower bound, and equal to it on the examples) and the CMSIS-NN scratch sizes computed in
 * TypeScript against CMSIS-NN's own *_get_buffer_size functions compiled on the host. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  avgpoolS8BufferSize, convolveS8BufferSize, convolveWrapperS8BufferSize, depthwiseConvS8OptBufferSize, depthwiseConvWrapperS8BufferSize, fullyConnectedS8BufferSize,
  type CmsisIsa, type NnDims,
} from '../src/backends/c/cmsis-buffers.js';
import { compileC } from '../src/backends/c/emit.js';
import { lowerBound, planMemory, type PlanItem } from '../src/schedule/memory-plan.js';
import { int8GraphFor } from '../src/cli/quantize.js';
import { loadModel } from '../src/onnx/load.js';
import { runHost } from '../src/verify/qemu.js';
import { buildHost } from '../src/verify/toolchain.js';
import { ALL_CASES } from './support/c-graphs.js';
import { availableExamples } from './support/examples.js';
import { rng } from './support/qgraph.js';
import { CMSIS_NN as CMSIS, GCC, needs, pathExists } from './support/tools.js';

/** Independent check: live-together buffers never share a byte; offsets respect alignment. */
function overlaps(items: readonly PlanItem[], offsets: Map<number, number>): string[] {
  const bad: string[] = [];
  for (const a of items) {
    const oa = offsets.get(a.id)!;
    if (oa % a.align !== 0) bad.push(`${a.id} misaligned`);
    for (const b of items) {
      if (b.id <= a.id || a.bytes === 0 || b.bytes === 0) continue;
      const ob = offsets.get(b.id)!;
      const together = !(a.last < b.first || b.last < a.first);
      if (together && oa < ob + b.bytes && ob < oa + a.bytes) bad.push(`${a.id}/${b.id}`);
    }
  }
  return bad;
}

describe('memory plan', () => {
  it('lower bound is the largest sum of live bytes at one step', () => {
    const items: PlanItem[] = [
      { id: 0, bytes: 100, first: 0, last: 1, align: 1 },
      { id: 1, bytes: 50, first: 1, last: 2, align: 1 },
      { id: 2, bytes: 70, first: 2, last: 3, align: 1 },
      { id: 3, bytes: 10, first: 3, last: 3, align: 4 },
    ];
    expect(lowerBound(items)).toEqual({ bytes: 150, step: 1 });
    const plan = planMemory(items);
    expect(overlaps(items, plan.offsets)).toEqual([]);
    expect(plan.arenaBytes).toBe(150);
  });

  it('never overlaps live buffers on random interval sets, and never goes below the bound', () => {
    const rand = rng(42);
    let reached = 0;
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + Math.floor(rand() * 25);
      const items: PlanItem[] = Array.from({ length: n }, (_, id) => {
        const first = Math.floor(rand() * 30);
        return { id, bytes: 1 + Math.floor(rand() * 1000), first, last: first + Math.floor(rand() * 6), align: rand() < 0.2 ? 4 : 1 };
      });
      const plan = planMemory(items);
      expect(overlaps(items, plan.offsets)).toEqual([]);
      expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBound);
      if (plan.arenaBytes === plan.lowerBound) reached++;
    }
    console.log(`random interval sets: arena == lower bound in ${reached}/200`);
    expect(reached).toBeGreaterThan(100);
  });

  it('is deterministic', () => {
    const rand = rng(7);
    const items: PlanItem[] = Array.from({ length: 40 }, (_, id) => ({ id, bytes: 1 + Math.floor(rand() * 500), first: id % 13, last: (id % 13) + (id % 4), align: 1 }));
    const a = planMemory(items);
    const b = planMemory(items);
    expect([...a.offsets]).toEqual([...b.offsets]);
  });

  it('on the hand-made graphs and the examples: no overlap, arena vs lower bound', () => {
    const rows: string[] = [];
    const graphs = ALL_CASES.map((m) => { const c = m(); return { name: c.name, graph: c.graph }; });
    for (const ex of availableExamples()) {
      if (!pathExists('calib', `${ex.dir}/calib.npy`, '').present) continue;
      graphs.push({ name: ex.name, graph: int8GraphFor(loadModel(ex.model).graph, { calib: [`${ex.dir}/calib.npy`] }).graph });
    }
    for (const { name, graph } of graphs) {
      for (const kernels of ['portable', 'cmsis-nn'] as const) {
        const r = compileC(graph, { target: 'cortex-m4', kernels, name: 'net' });
        const items = r.schedule.storages;
        expect(overlaps(items, r.plan.offsets), name).toEqual([]);
        // Every tensor a step reads or writes is live (inside its storage's range) at that step.
        for (const s of r.schedule.steps) {
          for (const t of s.kind === 'node' ? [...s.inputs, s.output] : [s.src, s.dst]) {
            expect(t.storage.first <= s.index && s.index <= t.storage.last, `${name} step ${s.index}`).toBe(true);
          }
        }
        expect(r.plan.arenaBytes).toBeGreaterThanOrEqual(r.plan.lowerBound);
        rows.push(`${name.padEnd(22)} ${kernels.padEnd(9)} arena ${String(r.plan.arenaBytes).padStart(6)} B  lower bound ${String(r.plan.lowerBound).padStart(6)} B${r.plan.arenaBytes === r.plan.lowerBound ? '  (reached)' : ''}`);
        if (!name.startsWith('fashion')) continue;
        expect(r.plan.arenaBytes, `${name}: arena at the lower bound`).toBe(r.plan.lowerBound);
      }
    }
    console.log(rows.join('\n'));
  });
});


/** Calls the real CMSIS-NN size functions for cases read from input.bin (int32 records). */
const SIZES_C = `#include <stdint.h>
#include "arm_nnfunctions.h"
#include "arm_nnsupportfunctions.h"
#include "qgc_runtime.h"
static int32_t rec[4096][20];
int main(void)
{
    long n = qgc_read_file("input.bin", rec, sizeof(rec)) / (long)sizeof(rec[0]);
    long i;
    for (i = 0; i < n; i++)
    {
        const int32_t *r = rec[i];
        const cmsis_nn_dims in = {r[2], r[3], r[4], r[5]}, f = {r[6], r[7], r[8], r[9]}, out = {r[10], r[11], r[12], r[13]};
        const cmsis_nn_conv_params cp = {0, 0, {r[14], r[15]}, {r[16], r[17]}, {r[18], r[19]}, {-128, 127}};
        const cmsis_nn_dw_conv_params dp = {0, 0, out.c / in.c, {r[14], r[15]}, {r[16], r[17]}, {r[18], r[19]}, {-128, 127}};
        int32_t v = -1;
        switch (r[0] * 3 + r[1])
        {
        case 0: v = arm_convolve_wrapper_s8_get_buffer_size(&cp, &in, &f, &out); break;
        case 1: v = arm_convolve_wrapper_s8_get_buffer_size_dsp(&cp, &in, &f, &out); break;
        case 2: v = arm_convolve_wrapper_s8_get_buffer_size_mve(&cp, &in, &f, &out); break;
        case 3: v = arm_depthwise_conv_wrapper_s8_get_buffer_size(&dp, &in, &f, &out); break;
        case 4: v = arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&dp, &in, &f, &out); break;
        case 5: v = arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&dp, &in, &f, &out); break;
        case 6: v = arm_fully_connected_s8_get_buffer_size(&f); break;
        case 7: v = arm_fully_connected_s8_get_buffer_size_dsp(&f); break;
        case 8: v = arm_fully_connected_s8_get_buffer_size_mve(&f); break;
        case 9: v = arm_avgpool_s8_get_buffer_size(out.w, in.c); break;
        case 10: v = arm_avgpool_s8_get_buffer_size_dsp(out.w, in.c); break;
        case 11: v = arm_avgpool_s8_get_buffer_size_mve(out.w, in.c); break;
        case 12: v = arm_depthwise_conv_s8_opt_get_buffer_size(&in, &f); break;
        case 13: v = arm_depthwise_conv_s8_opt_get_buffer_size_dsp(&in, &f); break;
        case 14: v = arm_depthwise_conv_s8_opt_get_buffer_size_mve(&in, &f); break;
        case 15: v = arm_convolve_s8_get_buffer_size(&in, &f); break;
        case 16: v = arm_convolve_s8_get_buffer_size(&in, &f); break; /* no _dsp variant: the non-MVE size */
        case 17: v = arm_convolve_s8_get_buffer_size_mve(&in, &f); break;
        default: break;
        }
        qgc_print_i64(v);
        qgc_print("\\n");
    }
    return 0;
}
`;

describe('CMSIS-NN scratch sizes', () => {
  it('match CMSIS-NN\'s own *_get_buffer_size{,_dsp,_mve} on 2,700 shapes (host build: no DSP/MVE defines = plain)', async (ctx) => {
    needs(ctx, GCC, CMSIS);
    const rand = rng(2024);
    const pick = (xs: number[]) => xs[Math.floor(rand() * xs.length)];
    const isas: CmsisIsa[] = ['plain', 'dsp', 'mve'];
    const cases: { rec: number[]; want: number }[] = [];
    for (let i = 0; i < 900; i++) {
      const kind = i % 6; // wrappers: conv, depthwise; FC; avgpool; direct calls: depthwise _opt, arm_convolve_s8
      const c = pick([1, 2, 3, 4, 8, 12, 16, 31, 64, 130]);
      const h = kind === 0 && rand() < 0.3 ? 1 : pick([1, 2, 5, 7, 14, 28]);
      const w = pick([1, 3, 7, 14, 28, 49]);
      const kh = h === 1 ? 1 : pick([1, 3, 5]);
      const kw = pick([1, 3, 5, 7]);
      const sw = pick([1, 1, 2]);
      const sh = pick([1, 2]);
      const pw = pick([0, 0, 1, 2]);
      const ph = pick([0, 1, 2]);
      const dw = pick([1, 1, 2]);
      const dh = pick([1, 1, 2]);
      const mult = pick([1, 1, 2, 4]);
      const outC = kind === 1 ? c * mult : pick([1, 4, 10, 32]);
      const n = pick([1, 1, 2]);
      const input: NnDims = { n, h, w, c };
      const filter: NnDims = kind === 1 || kind === 4 ? { n: 1, h: kh, w: kw, c: outC } : kind === 2 ? { n: c * h * w, h: 1, w: 1, c: outC } : { n: outC, h: kh, w: kw, c };
      const output: NnDims = { n, h: Math.max(1, Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1), w: Math.max(1, Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1), c: outC };
      const g = { strideW: sw, strideH: sh, padW: pw, padH: ph, dilationW: dw, dilationH: dh };
      isas.forEach((isa, k) => {
        const want = [
          () => convolveWrapperS8BufferSize(isa, g, input, filter, output), () => depthwiseConvWrapperS8BufferSize(isa, g, input, filter, output),
          () => fullyConnectedS8BufferSize(isa, filter), () => avgpoolS8BufferSize(isa, output.w, c),
          () => depthwiseConvS8OptBufferSize(isa, input, filter), () => convolveS8BufferSize(isa, input, filter),
        ][kind]();
        const rec = [kind, k, n, h, w, c, filter.n, filter.h, filter.w, filter.c, output.n, output.h, output.w, output.c, sw, sh, pw, ph, dw, dh];
        cases.push({ rec, want });
      });
    }
    const dir = mkdtempSync(join(tmpdir(), 'qgc-sizes-'));
    writeFileSync(join(dir, 'sizes.c'), SIZES_C);
    writeFileSync(join(dir, 'input.bin'), Buffer.from(Int32Array.from(cases.flatMap((c) => c.rec)).buffer));
    const { exe } = await buildHost({ sources: [join(dir, 'sizes.c')], cmsisNn: true, outDir: join(dir, 'build') });
    const r = await runHost({ exe, cwd: dir });
    const got = r.stdout.trim().split('\n').map(Number);
    expect(got.length).toBe(cases.length);
    const wrong = cases.map((c, i) => (got[i] === c.want ? undefined : `${JSON.stringify(c.rec)}: CMSIS-NN ${got[i]}, qgc ${c.want}`)).filter(Boolean);
    expect(wrong.slice(0, 5)).toEqual([]);
    // The cases must exercise non-zero sizes on every ISA, or the comparison proves little.
    for (let k = 0; k < 3; k++) expect(cases.filter((c) => c.rec[1] === k && c.want > 0).length).toBeGreaterThan(50);
  }, 600_000);
});

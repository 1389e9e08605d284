/**
 * Per-layer executed instructions of qgc's C on a Cortex-M QEMU board: compiles each example
 * model (quantized with its calibration data) with `compileC`, builds it with a driver that
 * defines `NET_STEP_DONE(n)` (the per-step hook of the generated net.c) to read the SysTick
 * counter, runs `net_run` (int8 API) and `net_run_f32` a few times on test images under
 * `-icount shift=0`, checks the int8 output against the integer interpreter, and prints one
 * table per model: step, op, kernel, MACs, instructions, instructions per MAC.
 *
 * Usage: node --import tsx scripts/profile-layers.ts [--target cortex-m4] [--kernels cmsis-nn]
 *          [--json out.json] [example ...]
 * One SysTick tick is 40 instructions on the MPS2 boards; each step's count is the mean of
 * RUNS runs (their tick phases differ), minus the cost of one hook call.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, type KernelsOption } from '../src/backends/c/emit.js';
import { int8GraphFor } from '../src/cli/quantize.js';
import { loadModel } from '../src/onnx/load.js';
import { runQemu } from '../src/verify/qemu.js';
import { buildElf } from '../src/verify/toolchain.js';
import { interpret } from '../test/support/c-harness.js';
import { availableExamples } from '../test/support/examples.js';

const RUNS = 8;

/** One profiled model: per step instructions (mean over runs) and the totals. */
export interface Profile {
  model: string;
  target: string;
  kernels: string;
  steps: { step: number; op: string; kernel: string; macs: number; instructions: number }[];
  totalInt8: number;
  totalF32: number;
  macs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const DRIVER = (lastStep: number) => `/* profile driver: per-step instructions of net_run and net_run_f32 */
#include <stdint.h>
#include "net.h"
#include "qgc_runtime.h"

#define RUNS ${RUNS}
#define LAST ${lastStep}

static int8_t in8[NET_INPUT_SIZE];
static float inf[NET_INPUT_SIZE];
static int8_t out8[NET_OUTPUT_SIZE];
static float outf[NET_OUTPUT_SIZE];
static uint64_t marks[LAST + 1];
static uint64_t sums[LAST + 1];

void prof_mark(int n)
{
    marks[n] = qgc_cycles_now();
}

int main(void)
{
    uint64_t t0, hook = 0, total8 = 0, totalf = 0;
    int r, s;
    if (qgc_read_file("in8.bin", in8, sizeof(in8)) != (long)sizeof(in8) || qgc_read_file("inf.bin", inf, sizeof(inf)) != (long)sizeof(inf))
    {
        return 3;
    }
    for (r = 0; r < RUNS; r++)
    {
        t0 = qgc_cycles_now();
        prof_mark(0);
        hook += marks[0] - t0;
        t0 = qgc_cycles_now();
        if (net_run(in8, out8) != 0)
        {
            return 4;
        }
        total8 += marks[LAST] - t0;
        sums[0] += marks[0] - t0;
        for (s = 1; s <= LAST; s++)
        {
            sums[s] += marks[s] - marks[s - 1];
        }
        t0 = qgc_cycles_now();
        if (net_run_f32(inf, outf) != 0)
        {
            return 5;
        }
        totalf += marks[LAST] - t0;
    }
    qgc_print_hex(out8, sizeof(out8));
    qgc_print("\\n");
    for (s = 0; s <= LAST; s++)
    {
        qgc_print("step ");
        qgc_print_i64(s);
        qgc_print(" ");
        qgc_print_u64(sums[s]);
        qgc_print("\\n");
    }
    qgc_report("hook", hook);
    qgc_report("total8", total8);
    qgc_report("totalf", totalf);
    qgc_report("runs", RUNS);
    return 0;
}
`;

/** Profiles one example model. */
export async function profileExample(name: string, target: string, kernels: KernelsOption): Promise<Profile> {
  const ex = availableExamples().find((e) => e.name === name);
  if (!ex) throw new Error(`no example ${name}`);
  const { graph: imported } = loadModel(ex.model);
  const { graph } = int8GraphFor(imported, { calib: [`${ex.dir}/calib.npy`] });
  const x = ex.testX();
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const sample = (x.data as Float32Array).slice(0, per);
  const e = interpret(graph, [sample]);
  const dir = mkdtempSync(join(tmpdir(), 'qgc-profile-'));
  const src = join(dir, 'src');
  const compiled = compileC(graph, { target, kernels, name: 'net', outDir: src });
  const lastStep = compiled.schedule.steps.length + 1;
  writeFileSync(join(src, 'main.c'), DRIVER(lastStep));
  writeFileSync(join(src, 'prof.h'), 'void prof_mark(int n);\n#define NET_STEP_DONE(n) prof_mark(n)\n');
  const run = join(dir, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'in8.bin'), e.in8[0]);
  writeFileSync(join(run, 'inf.bin'), Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength));
  const sources = ['main.c', 'net.c', 'net_weights.c', 'qgc_kernels.c', 'qgc_data.c'].map((f) => join(src, f));
  const { elf } = await buildElf({
    target, sources, includeDirs: [src], cmsisNn: kernels === 'cmsis-nn', outDir: join(dir, 'build'), cflags: ['-include', join(src, 'prof.h')],
  });
  const r = await runQemu({ target, elf, cwd: run, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`${name}: exit ${r.exitCode} (${dir})\n${r.stdout}`);
  const want = Buffer.from(e.out8[0].buffer, e.out8[0].byteOffset, e.out8[0].byteLength).toString('hex');
  if (!r.stdout.includes(want)) throw new Error(`${name}: output differs from the interpreter (${dir})`);
  const hook = Number(r.reports.hook) / RUNS;
  const counts = new Map<number, number>();
  for (const m of r.stdout.matchAll(/^step (\d+) (\d+)$/gm)) counts.set(Number(m[1]), Number(m[2]) / RUNS - hook);
  const layers = compiled.report.layers;
  const steps = [
    { step: 0, op: 'copy in', kernel: 'qgc_copy_s8', macs: 0, instructions: counts.get(0)! },
    ...layers.map((l) => ({ step: l.step, op: l.op, kernel: l.kernel, macs: l.macs, instructions: counts.get(l.step)! })),
    { step: lastStep, op: 'copy out', kernel: 'qgc_copy_s8', macs: 0, instructions: counts.get(lastStep)! },
  ];
  return {
    model: name, target, kernels, steps, macs: compiled.report.totals.macs,
    totalInt8: Number(r.reports.total8) / RUNS, totalF32: Number(r.reports.totalf) / RUNS,
  };
}

/** The profile as a Markdown table. */
export function formatProfile(p: Profile): string {
  const lines = [`### ${p.model} (${p.target}, ${p.kernels})`, '', '| step | op | kernel | MACs | instructions | per MAC |', '|---:|---|---|---:|---:|---:|'];
  for (const s of p.steps) {
    lines.push(`| ${s.step} | ${s.op} | ${s.kernel} | ${s.macs} | ${Math.round(s.instructions)} | ${s.macs ? (s.instructions / s.macs).toFixed(2) : ''} |`);
  }
  lines.push(`| | **net_run total** | | ${p.macs} | ${Math.round(p.totalInt8)} | ${(p.totalInt8 / p.macs).toFixed(2)} |`);
  lines.push(`| | net_run_f32 total | | | ${Math.round(p.totalF32)} | ${(p.totalF32 / p.macs).toFixed(2)} |`);
  return lines.join('\n') + '\n';
}

const isMain = process.argv[1]?.endsWith('profile-layers.ts');
if (isMain) {
  const target = arg('--target', 'cortex-m4');
  const kernels = arg('--kernels', 'cmsis-nn') as KernelsOption;
  const json = arg('--json', '');
  const skip = new Set(['--target', '--kernels', '--json'].flatMap((f) => [f, arg(f, '')]));
  const names = process.argv.slice(2).filter((a) => !skip.has(a));
  const profiles: Profile[] = [];
  for (const name of names.length ? names : availableExamples().map((e) => e.name)) {
    const p = await profileExample(name, target, kernels);
    profiles.push(p);
    console.log(formatProfile(p));
  }
  if (json) writeFileSync(json, JSON.stringify(profiles, null, 2) + '\n');
}

/** Builds and runs C emitted by the C backend, on the host (cc, optionally with sanitizers) or a
 * Cortex-M target under QEMU, with one driver program (through qgc's runtime, which has a host
 * and a bare-metal side) that reads every input sample from `input.bin`, runs `<name>_run` or
 * `<name>_run_f32` on each and prints each output as a hex line. The expected bytes come from
 * the integer interpreter on the same quantized graph. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, type CompileCResult, type KernelsOption } from '../../src/backends/c/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/interp/run.js';
import type { Value } from '../../src/interp/types.js';
import { runHost, runQemu } from '../../src/verify/qemu.js';
import { buildElf, buildHost } from '../../src/verify/toolchain.js';

export const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

/** The driver's C source for network `name`. */
export function driverSource(name: string): string {
  const N = name.toUpperCase();
  return `/* Test driver: runs ${name} on DRIVER_COUNT samples of input.bin, prints outputs as hex. */
#include <stdint.h>
#include "${name}.h"
#include "qgc_runtime.h"

#if DRIVER_F32
typedef float in_t;
typedef float out_t;
#define RUN ${name}_run_f32
#else
typedef int8_t in_t;
typedef int8_t out_t;
#define RUN ${name}_run
#endif

static in_t inputs[DRIVER_COUNT][${N}_INPUT_SIZE];
static out_t output[${N}_OUTPUT_SIZE];

int main(void)
{
    const long want = (long)sizeof(inputs);
    long k;
    uint64_t cycles = 0;
    if (qgc_read_file("input.bin", inputs, sizeof(inputs)) != want)
    {
        qgc_print("cannot read input.bin\\n");
        return 3;
    }
    if (RUN(0, output) != -1)
    {
        return 4;
    }
    for (k = 0; k < DRIVER_COUNT; k++)
    {
        int status;
        qgc_cycles_begin();
        status = RUN(inputs[k], output);
        if (k == 0)
        {
            cycles = qgc_cycles_end();
        }
        if (status != 0)
        {
            qgc_print("run failed\\n");
            return 5;
        }
        qgc_print_hex(output, sizeof(output));
        qgc_print("\\n");
    }
#ifdef ${N}_CHECK_SCRATCH
    if (${name}_check_scratch() != 0)
    {
        qgc_print("scratch check failed\\n");
        return 6;
    }
#endif
    qgc_report("cycles", cycles);
    return 0;
}
`;
}

export interface Expected {
  /** Per sample: the int8 input (after Quantize) and the int8 output (before Dequantize). */
  in8: Int8Array[];
  out8: Int8Array[];
  /** Per sample: the float input and the float output (after Dequantize). */
  inF: Float32Array[];
  outF: Float32Array[];
}

/** Runs the integer interpreter on float samples (each of the graph input's shape). */
export function interpret(graph: Graph, samples: Float32Array[]): Expected {
  const q = graph.nodes.find((n) => n.op === 'Quantize' && n.inputs[0] === graph.inputs[0]);
  const dq = graph.nodes.find((n) => n.op === 'Dequantize' && n.outputs[0] === graph.outputs[0]);
  if (!q || !dq) throw new Error('test graphs have a Quantize input and a Dequantize output');
  const shape = graph.tensors.get(graph.inputs[0])!.shape;
  const e: Expected = { in8: [], out8: [], inF: samples, outF: [] };
  for (const s of samples) {
    const env = runGraph(graph, new Map<string, Value>([[graph.inputs[0], { dtype: 'float32', shape, data: s }]]), { keepAll: true });
    e.in8.push(env.get(q.outputs[0])!.data as Int8Array);
    e.out8.push(env.get(dq.inputs[0])!.data as Int8Array);
    e.outF.push(env.get(graph.outputs[0])!.data as Float32Array);
  }
  return e;
}

export interface RunSpec {
  graph: Graph;
  kernels: KernelsOption;
  /** 'host' (cc, sanitizers on) or a QEMU target name. */
  where: 'host' | string;
  /** Target the C is compiled for (scratch sizes, flags); default cortex-m4. */
  target?: string;
  name?: string;
  f32?: boolean;
  expected: Expected;
}

export interface RunOutcome {
  compiled: CompileCResult;
  outputs: Uint8Array[];
  cycles: bigint | undefined;
  /** The build folder (removed after a successful run unless QGC_KEEP_TMP is set). */
  dir: string;
}

/** Compiles the graph to C, builds it with the driver, runs every sample and returns the raw output bytes. */
export async function compileAndRun(spec: RunSpec): Promise<RunOutcome> {
  const name = spec.name ?? 'net';
  const dir = mkdtempSync(join(tmpdir(), 'qgc-cbackend-'));
  const src = join(dir, 'src');
  const compiled = compileC(spec.graph, { target: spec.target ?? (spec.where === 'host' ? 'cortex-m4' : spec.where), kernels: spec.kernels, name, outDir: src });
  writeFileSync(join(src, 'main.c'), driverSource(name));
  const count = spec.expected.in8.length;
  const parts = spec.f32 ? spec.expected.inF : spec.expected.in8;
  const bytes = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  const run = join(dir, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'input.bin'), bytes);
  const sources = ['main.c', `${name}.c`, `${name}_weights.c`, 'qgc_kernels.c', 'qgc_data.c'].map((f) => join(src, f));
  const defines = { DRIVER_COUNT: count, DRIVER_F32: spec.f32 ? 1 : 0, [`${name.toUpperCase()}_CHECK_SCRATCH`]: spec.kernels === 'cmsis-nn' };
  const cmsisNn = spec.kernels === 'cmsis-nn' ? (process.env.QGC_TEST_CMSIS_OPT ? { opt: process.env.QGC_TEST_CMSIS_OPT } : true) : false;
  let stdout: string;
  let cycles: bigint | undefined;
  if (spec.where === 'host') {
    const { exe } = await buildHost({ sources, includeDirs: [src], defines, cmsisNn, outDir: join(dir, 'build'), cflags: SANITIZE, ldflags: SANITIZE });
    const r = await runHost({ exe, cwd: run, timeoutMs: 120_000 });
    if (r.exitCode !== 0) throw new Error(`host run failed (${r.exitCode}, files in ${dir}): ${r.stdout.slice(-500)}\n${r.stderr.slice(-2000)}`);
    stdout = r.stdout;
  } else {
    const { elf } = await buildElf({ target: spec.where, sources, includeDirs: [src], defines, cmsisNn, outDir: join(dir, 'build') });
    const r = await runQemu({ target: spec.where, elf, cwd: run, timeoutMs: 300_000 });
    if (r.exitCode !== 0) throw new Error(`QEMU run failed in ${dir} (${r.exitCode}${r.fault ? `, ${r.fault}` : ''}): ${r.stdout.slice(-500)}\n${r.stderr.slice(-1000)}`);
    stdout = r.stdout;
    cycles = r.reports.cycles;
  }
  const outputs = stdout.split('\n').filter((l) => /^[0-9a-f]+$/.test(l)).map((l) => Uint8Array.from(Buffer.from(l, 'hex')));
  if (outputs.length !== count) throw new Error(`expected ${count} output lines, got ${outputs.length} (files kept in ${dir}):\n${stdout.slice(0, 1000)}`);
  if (!process.env.QGC_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  return { compiled, outputs, cycles, dir };
}

/** Index and values of the first byte where `got` differs from `want` (undefined: equal). */
export function firstDifference(got: Uint8Array, want: Uint8Array): string | undefined {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return `byte ${i}: got ${got[i]}, want ${want[i]}`;
  return undefined;
}

/** The expected output bytes of sample k (int8 or float32 bit patterns). */
export function expectedBytes(e: Expected, k: number, f32: boolean): Uint8Array {
  const a = f32 ? e.outF[k] : e.out8[k];
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Uniform random float samples in [lo, hi) from a seeded generator. */
export function randomSamples(rand: () => number, shape: readonly number[], count: number, lo = -1, hi = 2): Float32Array[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()));
}

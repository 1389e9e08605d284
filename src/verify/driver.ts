/**
 * The program `qgc verify` builds around a network: it reads the samples in chunks from files
 * (`x<k>.bin`: int8 inputs, `f<k>.bin`: float inputs; semihosting on QEMU, stdio on the host),
 * runs `<name>_run` and `<name>_run_f32` on each, and prints one line per sample:
 *
 *   s <k> <instructions> <stack bytes> <int8 output hex> <float output hex>
 *
 * Instructions come from qgc_cycles_begin/end around `<name>_run` (SysTick scaled to executed
 * instructions under `-icount shift=0`; nanoseconds on the host), stack is the high-water mark
 * of `<name>_run` and `<name>_run_f32` measured from the caller's stack depth (0 on the host).
 * With `<NAME>_CHECK_SCRATCH` (CMSIS-NN) it first checks every scratch buffer against the linked
 * library and exits with status 6 naming the step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyError, VerifyErrorCode } from './errors.js';
import type { Reference } from './reference.js';

/** Exit statuses of the driver. */
export const DRIVER_EXIT = { readFailed: 3, nullCheck: 4, runFailed: 5, scratch: 6 } as const;

/** Samples per input file: chunks of at most ~16 KiB of int8 + float inputs (at least one sample). */
export function chunkSize(inputSize: number, count: number): number {
  return Math.max(1, Math.min(count, Math.floor((16 * 1024) / (inputSize * 5))));
}

/** `p`, `p + <NAME>_<TAG0>_SIZE`, ...: one pointer per part of a buffer holding the parts
 * (sized by the header's macros) one after the other. */
function parts(p: string, N: string, tags: readonly string[]): string[] {
  return tags.map((_, i) => (i === 0 ? p : `${p} + ${tags.slice(0, i).map((t) => `${N}_${t}_SIZE`).join(' + ')}`));
}

/** The driver's C source for network `name`, whose API inputs and outputs have the macro infixes
 * `tags` (apiTags): every input of a sample is stored one after the other in the chunk files,
 * and so are the outputs it prints. Buffers are sized by `<name>.h`'s macros. */
export function driverSource(name: string, tags: { inputs: readonly string[]; outputs: readonly string[] }): string {
  const N = name.toUpperCase();
  const inTotal = tags.inputs.map((t) => `${N}_${t}_SIZE`).join(' + ');
  const outTotal = tags.outputs.map((t) => `${N}_${t}_SIZE`).join(' + ');
  const call = (fn: string, i: string, o: string) => `${fn}(${[...parts(i, N, tags.inputs), ...parts(o, N, tags.outputs)].join(', ')})`;
  const nullCall = `${name}_run(${[...tags.inputs.map(() => '0'), ...parts('out8', N, tags.outputs)].join(', ')})`;
  return `/* qgc verify driver for ${name}: VERIFY_COUNT samples in chunks of VERIFY_CHUNK. */
#include <stddef.h>
#include <stdint.h>
#include "${name}.h"
#include "qgc_runtime.h"

static int8_t in8[VERIFY_CHUNK][${inTotal}];
static int8_t out8[${outTotal}];
#if VERIFY_F32
static float inf[VERIFY_CHUNK][${inTotal}];
static float outf[${outTotal}];
#endif

/* "<prefix><chunk>.bin" */
static void chunk_file(char *buf, char prefix, long chunk)
{
    char digits[12];
    size_t n = 0, i = 0;
    do
    {
        digits[n++] = (char)('0' + (int)(chunk % 10));
        chunk /= 10;
    } while (chunk > 0);
    buf[i++] = prefix;
    while (n > 0)
    {
        buf[i++] = digits[--n];
    }
    buf[i++] = '.';
    buf[i++] = 'b';
    buf[i++] = 'i';
    buf[i++] = 'n';
    buf[i] = '\\0';
}

static int read_chunk(char prefix, long chunk, void *buf, size_t bytes)
{
    char path[24];
    chunk_file(path, prefix, chunk);
    if (qgc_read_file(path, buf, bytes) != (long)bytes)
    {
        qgc_print("verify: cannot read ");
        qgc_print(path);
        qgc_print("\\n");
        return 0;
    }
    return 1;
}

int main(void)
{
    long chunk;
    if (${nullCall} != -1)
    {
        return ${DRIVER_EXIT.nullCheck};
    }
#ifdef ${N}_CHECK_SCRATCH
    {
        int bad = ${name}_check_scratch();
        if (bad != 0)
        {
            qgc_print("verify: scratch buffer too small at step ");
            qgc_print_i64(bad);
            qgc_print("\\n");
            return ${DRIVER_EXIT.scratch};
        }
    }
#endif
    for (chunk = 0; chunk * VERIFY_CHUNK < VERIFY_COUNT; chunk++)
    {
        long first = chunk * VERIFY_CHUNK;
        long n = VERIFY_COUNT - first < VERIFY_CHUNK ? VERIFY_COUNT - first : VERIFY_CHUNK;
        long k;
        if (!read_chunk('x', chunk, in8, (size_t)n * sizeof in8[0]))
        {
            return ${DRIVER_EXIT.readFailed};
        }
#if VERIFY_F32
        if (!read_chunk('f', chunk, inf, (size_t)n * sizeof inf[0]))
        {
            return ${DRIVER_EXIT.readFailed};
        }
#endif
        for (k = 0; k < n; k++)
        {
            size_t base = qgc_stack_depth();
            size_t stack;
            uint64_t instructions;
            int status;
            qgc_stack_paint();
            qgc_cycles_begin();
            status = ${call(`${name}_run`, 'in8[k]', 'out8')};
            instructions = qgc_cycles_end();
            stack = qgc_stack_high_water();
#if VERIFY_F32
            if (status == 0)
            {
                size_t s;
                qgc_stack_paint();
                status = ${call(`${name}_run_f32`, 'inf[k]', 'outf')};
                s = qgc_stack_high_water();
                stack = s > stack ? s : stack;
            }
#endif
            if (status != 0)
            {
                qgc_print("verify: ${name}_run failed at step ");
                qgc_print_i64(status);
                qgc_print("\\n");
                return ${DRIVER_EXIT.runFailed};
            }
            qgc_print("s ");
            qgc_print_i64(first + k);
            qgc_print(" ");
            qgc_print_u64(instructions);
            qgc_print(" ");
            qgc_print_u64(stack > base ? stack - base : 0u);
            qgc_print(" ");
            qgc_print_hex(out8, sizeof out8);
            qgc_print(" ");
#if VERIFY_F32
            qgc_print_hex(outf, sizeof outf);
#endif
            qgc_print("-\\n");
        }
    }
    return 0;
}
`;
}

/** Writes the chunk files the driver reads into `dir`; returns the chunk size. */
export function writeInputs(dir: string, ref: Reference): number {
  const size = ref.in8[0].length;
  const chunk = chunkSize(size, ref.count);
  for (let c = 0; c * chunk < ref.count; c++) {
    const part = <T extends ArrayBufferView>(a: readonly T[]) => Buffer.concat(a.slice(c * chunk, (c + 1) * chunk).map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)));
    writeFileSync(join(dir, `x${c}.bin`), part(ref.in8));
    if (ref.inF) writeFileSync(join(dir, `f${c}.bin`), part(ref.inF));
  }
  return chunk;
}

/** One sample as the driver printed it. */
export interface SampleOutput {
  index: number;
  instructions: bigint;
  stack: number;
  out8: Uint8Array;
  /** Float output bytes (empty without VERIFY_F32). */
  outF: Uint8Array;
}

/** Parses the driver's `s ...` lines; throws when a sample is missing or out of order. */
export function parseDriverOutput(stdout: string, count: number, where: string): SampleOutput[] {
  const out: SampleOutput[] = [];
  for (const m of stdout.matchAll(/^s (\d+) (\d+) (\d+) ([0-9a-f]*) ([0-9a-f]*)-$/gm)) {
    out.push({ index: Number(m[1]), instructions: BigInt(m[2]), stack: Number(m[3]), out8: Buffer.from(m[4], 'hex'), outF: Buffer.from(m[5], 'hex') });
  }
  if (out.length !== count || out.some((s, k) => s.index !== k)) {
    throw new VerifyError(VerifyErrorCode.RunFailed, `the verify program on ${where} printed ${out.length} of ${count} samples`, undefined, stdout.slice(-2000));
  }
  return out;
}

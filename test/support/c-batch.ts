/** Many networks in one host program: each graph is compiled by `compileC` with its own
 * `--name` (its own folder), one driver runs every network on its samples and prints
 * `<net> <sample> <hex>` lines, and the program is built once (with sanitizers) and run once, so
 * a test of hundreds of graphs costs one build instead of hundreds. The static kernel files
 * (qgc_kernels.c, qgc_data.c) are the same for every network and are linked once. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, type KernelsOption } from '../../src/backends/c/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { runHost, runQemu } from '../../src/verify/qemu.js';
import { buildElf, buildHost } from '../../src/verify/toolchain.js';
import { SANITIZE, type Expected } from './c-harness.js';

export interface BatchNet {
  graph: Graph;
  /** The int8 inputs (`in8`) run through the network. */
  expected: Expected;
}

/** Per network: the output bytes of every sample, or why there are none. */
export type BatchResult = { outputs: Uint8Array[] } | { error: string };

export interface BatchOptions {
  kernels: KernelsOption;
  /** Target the C is compiled for (scratch sizes, flags); default cortex-m4. */
  target?: string;
  /** 'host' (cc, sanitizers on; the default) or a QEMU target name (that target's build). */
  where?: 'host' | string;
  /** Network names; default `n<i>`. */
  name?: (i: number) => string;
}

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The driver: one entry per network (run function, sizes, scratch check), run in order. */
function batchDriver(names: string[], inSizes: number[], outSizes: number[], samples: number[], cmsis: boolean): string {
  const total = inSizes.reduce((s, n, i) => s + n * samples[i], 0);
  const maxOut = Math.max(1, ...outSizes);
  const rows = names.map((n, i) => `    { ${n}_run, ${inSizes[i]}, ${outSizes[i]}, ${samples[i]}, ${cmsis ? `${n}_check_scratch` : '0'} },`);
  return `/* Batch driver: runs every network on its samples of input.bin, prints "<net> <sample> <hex>". */
#include <stddef.h>
#include <stdint.h>
#include "qgc_runtime.h"
${names.map((n) => `#include "${n}/${n}.h"`).join('\n')}

struct net
{
    int (*run)(const int8_t *in, int8_t *out);
    long in_size;
    long out_size;
    long samples;
    int (*check)(void);
};

static const struct net nets[] = {
${rows.join('\n')}
};

static int8_t inputs[${Math.max(1, total)}];
static int8_t output[${maxOut}];

int main(void)
{
    size_t i;
    long k;
    long off = 0;
    if (qgc_read_file("input.bin", inputs, sizeof(inputs)) != ${total}L)
    {
        qgc_print("cannot read input.bin\\n");
        return 3;
    }
    for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
    {
        for (k = 0; k < nets[i].samples; k++)
        {
            int status = nets[i].run(inputs + off, output);
            off += nets[i].in_size;
            qgc_print_i64((int64_t)i);
            qgc_print(" ");
            qgc_print_i64(k);
            qgc_print(" ");
            if (status != 0)
            {
                qgc_print("run-failed");
            }
            else
            {
                qgc_print_hex(output, (size_t)nets[i].out_size);
            }
            qgc_print("\\n");
        }
        if (nets[i].check != 0 && nets[i].check() != 0)
        {
            qgc_print_i64((int64_t)i);
            qgc_print(" scratch-check-failed\\n");
        }
    }
    return 0;
}
`;
}

/** Compiles every network, builds one program (host with sanitizers, or a QEMU target) and runs it once. A network
 * that compileC refuses gets its error; the others still run. */
export async function compileAndRunBatch(nets: readonly BatchNet[], opts: BatchOptions): Promise<BatchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-cbatch-'));
  const nameOf = opts.name ?? ((i: number) => `n${i}`);
  const results: BatchResult[] = nets.map(() => ({ outputs: [] }));
  const built: number[] = [];
  for (const [i, net] of nets.entries()) {
    const name = nameOf(i);
    try {
      compileC(net.graph, { target: opts.target ?? 'cortex-m4', kernels: opts.kernels, name, outDir: join(dir, name) });
      built.push(i);
    } catch (e) {
      results[i] = { error: `compileC: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  if (built.length === 0) return results;
  const names = built.map(nameOf);
  const inSizes = built.map((i) => elements(nets[i].graph.tensors.get(nets[i].graph.inputs[0])!.shape));
  const outSizes = built.map((i) => elements(nets[i].graph.tensors.get(nets[i].graph.outputs[0])!.shape));
  const samples = built.map((i) => nets[i].expected.in8.length);
  const cmsis = opts.kernels === 'cmsis-nn';
  writeFileSync(join(dir, 'main.c'), batchDriver(names, inSizes, outSizes, samples, cmsis));
  const run = join(dir, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'input.bin'), Buffer.concat(built.flatMap((i) => nets[i].expected.in8.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)))));
  const first = join(dir, names[0]);
  const sources = [join(dir, 'main.c'), join(first, 'qgc_kernels.c'), join(first, 'qgc_data.c'), ...names.flatMap((n) => [join(dir, n, `${n}.c`), join(dir, n, `${n}_weights.c`)])];
  const defines = Object.fromEntries(cmsis ? names.map((n) => [`${n.toUpperCase()}_CHECK_SCRATCH`, true]) : []);
  const cmsisNn = cmsis ? (process.env.QGC_TEST_CMSIS_OPT ? { opt: process.env.QGC_TEST_CMSIS_OPT } : true) : false;
  const where = opts.where ?? 'host';
  let r: { exitCode: number; stdout: string; stderr: string };
  if (where === 'host') {
    const { exe } = await buildHost({ sources, includeDirs: [first], defines, cmsisNn, outDir: join(dir, 'build'), cflags: SANITIZE, ldflags: SANITIZE });
    r = await runHost({ exe, cwd: run, timeoutMs: 120_000 });
  } else {
    const { elf } = await buildElf({ target: where, sources, includeDirs: [first], defines, cmsisNn, outDir: join(dir, 'build') });
    r = await runQemu({ target: where, elf, cwd: run, timeoutMs: 300_000 });
  }
  if (r.exitCode !== 0) throw new Error(`batch run on ${where} failed (${r.exitCode}, files in ${dir}): ${r.stdout.slice(-500)}\n${r.stderr.slice(-3000)}`);
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) (\d+) ([0-9a-f]*|run-failed)$/.exec(line) ?? /^(\d+) (scratch-check-failed)$/.exec(line);
    if (!m) continue;
    const i = built[Number(m[1])];
    const res = results[i];
    if ('error' in res) continue;
    if (m[2] === 'scratch-check-failed') results[i] = { error: 'a planned CMSIS-NN scratch buffer is smaller than the library asks for' };
    else if (m[3] === 'run-failed') results[i] = { error: `run returned an error on sample ${m[2]}` };
    else res.outputs[Number(m[2])] = Uint8Array.from(Buffer.from(m[3], 'hex'));
  }
  for (const [j, i] of built.entries()) {
    const res = results[i];
    if (!('error' in res) && res.outputs.filter(Boolean).length !== samples[j]) results[i] = { error: `expected ${samples[j]} output lines, got ${res.outputs.filter(Boolean).length}` };
  }
  if (!process.env.QGC_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  return results;
}

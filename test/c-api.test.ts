/** The emitted C API a firmware integrates against (docs/c-backend.md, "API"): the caller's arena
 * (`-D<NAME>_ARENA_EXTERNAL`, `<name>_init` checking size and alignment), zero-copy I/O
 * (`<name>_input_ptr` / `_output_ptr` / `_invoke`), the weights' placement macros, the identity
 * macros and the `#error` a cmsis-nn build for another instruction set stops at. Each is built
 * with `-Wall -Wextra -Werror` (and ASan + UBSan on the host) and run against the integer
 * interpreter on the host and on QEMU Cortex-M4. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, type KernelsOption } from '../src/backends/c/emit.js';
import type { Graph } from '../src/ir/graph.js';
import { cmsisNnRoot } from '../src/verify/cmsis-nn.js';
import { runHost, runQemu } from '../src/verify/qemu.js';
import { buildElf, buildHost, runtimeDir, STRICT_CFLAGS } from '../src/verify/toolchain.js';
import { interpret, randomSamples, SANITIZE } from './support/c-harness.js';
import { goldenConv } from './support/golden-graphs.js';
import { QGraphBuilder } from './support/qgraph.js';
import { ARM_GCC, CMSIS_NN, HOST_CC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-c-api-');

/** One input channel and a [1, 3] output: both are stored in the API's byte order (zero copy). */
function oneChannelNet(): { graph: Graph; inputShape: number[]; rand: () => number } {
  const b = new QGraphBuilder(31);
  const inputShape = [1, 1, 6, 6];
  const x = b.input(inputShape);
  const y = b.fc(b.reshape(b.pool('QMaxPool', b.conv(x, { outC: 4, k: [3, 3], pads: [1, 1, 1, 1], relu: true }), [2, 2], [2, 2]), [1, 36]), 3);
  return { graph: b.build(y), inputShape, rand: b.rand };
}

/** A driver that checks `<name>_init`'s refusals, then runs every sample of input.bin through
 * `_run` or (DRIVER_ZERO_COPY) `_input_ptr` + `_invoke` + `_output_ptr`, printing outputs as hex. */
function apiDriver(name: string, count: number): string {
  const N = name.toUpperCase();
  return `#include <stdint.h>
#include <string.h>
#include "${name}.h"
#include "qgc_runtime.h"

static int8_t inputs[${count}][${N}_INPUT_SIZE];
#ifndef DRIVER_ZERO_COPY
static int8_t output[${N}_OUTPUT_SIZE];
#endif

#ifdef ${N}_ARENA_EXTERNAL
/* One byte more than the arena, so that memory + 1 is a misaligned arena of the full size. */
static int8_t memory[${N}_ARENA_SIZE + ${N}_ARENA_ALIGNMENT] __attribute__((aligned(${N}_ARENA_ALIGNMENT)));
#endif

static int fail(const char *what)
{
    qgc_print(what);
    qgc_print("\\n");
    return 7;
}

int main(void)
{
    int k;
    if (qgc_read_file("input.bin", inputs, sizeof(inputs)) != (long)sizeof(inputs)) return fail("cannot read input.bin");
#ifdef ${N}_ARENA_EXTERNAL
    if (${name}_run(inputs[0], inputs[1]) != ${N}_ERROR_NO_ARENA) return fail("run before init");
    if (${name}_invoke() != ${N}_ERROR_NO_ARENA) return fail("invoke before init");
    if (${name}_input_ptr(0) != NULL || ${name}_output_ptr(0) != NULL) return fail("pointers before init");
    if (${name}_init(NULL, sizeof(memory)) != ${N}_ERROR_NULL) return fail("init NULL");
    if (${name}_init(memory, ${N}_ARENA_SIZE - 1) != ${N}_ERROR_ARENA_SIZE) return fail("init too small");
    if (${name}_init(memory + 1, ${N}_ARENA_SIZE) != ${N}_ERROR_ARENA_ALIGNMENT) return fail("init misaligned");
    if (${name}_run(inputs[0], inputs[1]) != ${N}_ERROR_NO_ARENA) return fail("run after a refused init");
    if (${name}_init(memory, ${N}_ARENA_SIZE) != ${N}_OK) return fail("init");
    if (${name}_input_ptr(0) < memory || ${name}_input_ptr(0) >= memory + ${N}_ARENA_SIZE) return fail("input_ptr outside the arena");
#endif
    if (${name}_input_ptr(1) != NULL || ${name}_output_ptr(-1) != NULL) return fail("pointer out of range");
    for (k = 0; k < ${count}; k++)
    {
#ifdef DRIVER_ZERO_COPY
        int8_t *in = ${name}_input_ptr(0);
        const int8_t *out = ${name}_output_ptr(0);
        if (in == NULL || out == NULL) return fail("no zero-copy pointer");
        memcpy(in, inputs[k], ${N}_INPUT_SIZE); /* what a DMA would do */
        if (${name}_invoke() != 0) return fail("invoke failed");
        qgc_print_hex(out, ${N}_OUTPUT_SIZE);
#else
        if (${name}_run(inputs[k], output) != 0) return fail("run failed");
        qgc_print_hex(output, sizeof(output));
#endif
        qgc_print("\\n");
    }
    return 0;
}
`;
}

interface Built {
  lines: string[];
  expected: string[];
}

/** Compiles `graph`, builds the API driver with `defines` for `where`, runs 6 samples. */
async function buildAndRunApi(graph: Graph, inputShape: number[], rand: () => number, kernels: KernelsOption, where: 'host' | 'cortex-m4',
  defines: Record<string, string | number | boolean>): Promise<Built> {
  const dir = tmp();
  const src = join(dir, 'src');
  compileC(graph, { target: 'cortex-m4', kernels, name: 'net', outDir: src });
  const count = 6;
  const expected = interpret(graph, randomSamples(rand, inputShape, count));
  writeFileSync(join(dir, 'input.bin'), Buffer.concat(expected.in8.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
  writeFileSync(join(src, 'main.c'), apiDriver('net', count));
  const sources = ['main.c', 'net.c', 'net_weights.c', 'qgc_kernels.c', 'qgc_data.c'].map((f) => join(src, f));
  const cmsisNn = kernels === 'cmsis-nn';
  let stdout: string;
  if (where === 'host') {
    const { exe } = await buildHost({ sources, includeDirs: [src], defines, cmsisNn, outDir: join(dir, 'build'), cflags: [...SANITIZE], ldflags: [...SANITIZE] });
    const r = await runHost({ exe, cwd: dir, timeoutMs: 60_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    stdout = r.stdout;
  } else {
    const { elf } = await buildElf({ target: where, sources, includeDirs: [src], defines, cmsisNn, outDir: join(dir, 'build') });
    const r = await runQemu({ target: where, elf, cwd: dir, timeoutMs: 120_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    stdout = r.stdout;
  }
  return {
    lines: stdout.split('\n').filter((l) => /^[0-9a-f]+$/.test(l)),
    expected: expected.out8.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')),
  };
}

describe('the caller\'s arena and zero-copy I/O', () => {
  const cases: { what: string; defines: Record<string, boolean> }[] = [
    { what: 'static arena, _run', defines: {} },
    { what: '-DNET_ARENA_EXTERNAL, _init refusals then _run', defines: { NET_ARENA_EXTERNAL: true } },
    { what: '-DNET_ARENA_EXTERNAL, zero copy (_input_ptr, _invoke, _output_ptr)', defines: { NET_ARENA_EXTERNAL: true, DRIVER_ZERO_COPY: true } },
    { what: 'static arena, zero copy', defines: { DRIVER_ZERO_COPY: true } },
  ];
  for (const kernels of ['portable', 'cmsis-nn'] as const) {
    for (const where of ['host', 'cortex-m4'] as const) {
      for (const c of cases) {
        it(`${kernels}, ${where}: ${c.what} is bit-exact against the interpreter`, async (ctx) => {
          needs(ctx, ...(where === 'host' ? [HOST_CC] : [ARM_GCC, QEMU]), ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
          const n = oneChannelNet();
          const r = await buildAndRunApi(n.graph, n.inputShape, n.rand, kernels, where, c.defines);
          expect(r.lines).toEqual(r.expected);
        }, 300_000);
      }
    }
  }

  it('the header says which inputs and outputs are zero-copy; a transposed one has a NULL pointer', async (ctx) => {
    needs(ctx, HOST_CC);
    const one = compileC(oneChannelNet().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net' }).files.get('net.h')!;
    expect(one).toMatch(/^#define NET_INPUT_ZERO_COPY 1$/m);
    expect(one).toMatch(/^#define NET_OUTPUT_ZERO_COPY 1$/m);
    // [1, 3, 5, 5] in, [1, 4, 5, 5] out: NHWC in the arena, a transposing copy each way.
    const conv = goldenConv();
    const dir = tmp();
    compileC(conv.graph, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir });
    const h = readFileSync(join(dir, 'net.h'), 'utf8');
    expect(h).toMatch(/^#define NET_INPUT_ZERO_COPY 0$/m);
    expect(h).toMatch(/^#define NET_OUTPUT_ZERO_COPY 0$/m);
    writeFileSync(join(dir, 'main.c'), `#include "net.h"
int main(void) { return net_input_ptr(0) == NULL && net_output_ptr(0) == NULL ? 0 : 1; }
`);
    const { exe } = await buildHost({ sources: ['main.c', 'net.c', 'net_weights.c', 'qgc_kernels.c', 'qgc_data.c'].map((f) => join(dir, f)), includeDirs: [dir], outDir: join(dir, 'build'), cflags: [...SANITIZE], ldflags: [...SANITIZE] });
    expect((await runHost({ exe, cwd: dir, timeoutMs: 30_000 })).exitCode).toBe(0);
  }, 120_000);
});

describe('weights placement', () => {
  it('-DNET_WEIGHTS_ATTRIBUTE puts every constant array in the named section, -DNET_WEIGHTS_ALIGNMENT aligns each', async (ctx) => {
    needs(ctx, ARM_GCC);
    const dir = tmp();
    const r = compileC(oneChannelNet().graph, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: dir });
    const obj = join(dir, 'net_weights.o');
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', ...STRICT_CFLAGS, '-c', join(dir, 'net_weights.c'), '-o', obj,
      '-DNET_WEIGHTS_ATTRIBUTE=__attribute__((section(".qspi_rodata")))', '-DNET_WEIGHTS_ALIGNMENT=32']);
    const symbols = execFileSync('arm-none-eabi-objdump', ['-t', obj], { encoding: 'utf8' });
    const ids = r.files.get('net_weights.c')!.match(/^NET_WEIGHTS_ATTRIBUTE NET_WEIGHTS_ALIGNED const \w+ (\w+)\[/gm)!.map((l) => /(\w+)\[$/.exec(l)![1]);
    expect(ids.length).toBeGreaterThan(2);
    for (const id of ids) {
      const row = symbols.split('\n').find((l) => l.trim().endsWith(` ${id}`));
      expect(row, id).toMatch(/\s\.qspi_rodata\s/);
      // objdump -t prints the symbol's value (its offset in the section) first.
      expect(parseInt(row!.trim().split(/\s+/)[0], 16) % 32, id).toBe(0);
    }
    // Without the macros the arrays stay in .rodata.
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', ...STRICT_CFLAGS, '-c', join(dir, 'net_weights.c'), '-o', obj]);
    expect(execFileSync('arm-none-eabi-objdump', ['-t', obj], { encoding: 'utf8' })).not.toContain('.qspi_rodata');
  });
});

describe('identity', () => {
  it('the header names the qgc version, the model hash, the target and its ISA', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const bytes = readFileSync('examples/fashion-mnist/model.onnx');
    const graph = oneChannelNet().graph;
    const h = (options: Record<string, unknown>, target = 'cortex-m4') =>
      compileC(graph, { target, kernels: 'cmsis-nn', name: 'net', source: { modelBytes: bytes, options } }).files.get('net.h')!;
    const a = h({ calibMethod: 'minmax' });
    expect(a).toContain(`#define NET_QGC_VERSION "${pkg.version}"`);
    expect(a).toContain(`#define NET_MODEL_SHA256 "${execFileSync('sha256sum', ['examples/fashion-mnist/model.onnx'], { encoding: 'utf8' }).split(' ')[0]}"`);
    expect(a).toContain('#define NET_TARGET "cortex-m4"');
    expect(a).toContain('#define NET_ISA "dsp"');
    expect(h({}, 'cortex-m55')).toContain('#define NET_ISA "mve"');
    const hash = (text: string) => /#define NET_MODEL_HASH "([0-9a-f]{64})"/.exec(text)![1];
    // The hash follows the options, not only the model bytes; the same inputs give the same hash.
    expect(hash(h({ calibMethod: 'minmax' }))).toBe(hash(a));
    expect(hash(h({ calibMethod: 'mse' }))).not.toBe(hash(a));
    expect(hash(h({ calibMethod: 'minmax' }, 'cortex-m7'))).not.toBe(hash(a));
  });
});

describe('an ISA mismatch stops the build', () => {
  // arm-none-eabi-gcc's own predefined macros decide: no qgc flag is involved.
  const compileFor = (dir: string, cpu: string): string => {
    try {
      execFileSync('arm-none-eabi-gcc', [`-mcpu=${cpu}`, '-mthumb', `-mfloat-abi=${cpu === 'cortex-m0plus' ? 'soft' : 'hard'}`, ...STRICT_CFLAGS, '-I', dir, '-isystem', join(cmsisNnRoot(), 'Include'),
        '-I', runtimeDir(), '-fsyntax-only', join(dir, 'net.c')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return '';
    } catch (e) {
      return String((e as { stderr?: string }).stderr);
    }
  };
  it('a cortex-m55 (MVE) build compiled for the M4, and an M4 (DSP) build compiled for the M55 or the M0+, end at #error', (ctx) => {
    needs(ctx, ARM_GCC, CMSIS_NN);
    const graph = oneChannelNet().graph;
    const m55 = tmp();
    compileC(graph, { target: 'cortex-m55', kernels: 'cmsis-nn', name: 'net', outDir: m55 });
    expect(compileFor(m55, 'cortex-m55')).toBe('');
    const wrong = compileFor(m55, 'cortex-m4');
    expect(wrong).toMatch(/#error "net\.c was generated for cortex-m55 \(MVE\) but this compiler targets a core without MVE \(__ARM_FEATURE_MVE is not defined\): compile it with the target's flags \(-mcpu=cortex-m55 [^)]*\), or run qgc compile again with the --target of this core"/);
    const m4 = tmp();
    compileC(graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net', outDir: m4 });
    expect(compileFor(m4, 'cortex-m4')).toBe('');
    expect(compileFor(m4, 'cortex-m55')).toMatch(/#error "net\.c was generated for cortex-m4 \(DSP\) but this compiler targets a core with MVE/);
    expect(compileFor(m4, 'cortex-m0plus')).toMatch(/#error "net\.c was generated for cortex-m4 \(DSP\) but this compiler targets a core without the DSP extension/);
  });

  it('portable kernels are plain C for any core: no ISA check', () => {
    const c = compileC(oneChannelNet().graph, { target: 'cortex-m55', kernels: 'portable', name: 'net' }).files.get('net.c')!;
    expect(c).not.toContain('#error "net.c was generated');
  });
});

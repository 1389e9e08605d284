/** `qgc verify`: every example model, compiled for cortex-m4 with both kernel providers, is
 * built and run on the host (ASan + UBSan) and under QEMU (Cortex-M4, Cortex-M55), and every
 * output byte must equal the integer interpreter's. A one-byte edit of the weights must fail
 * verify, naming the output element the interpreter (run on the same edit) says changes first,
 * and the layer the edited weights belong to. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { readNpy } from '../src/io/npy.js';
import { readCompiledFolder } from '../src/verify/folder.js';
import { flashBytes, mapSizes } from '../src/verify/map-size.js';
import { reference, samplesOf } from '../src/verify/reference.js';
import { availableExamples, example } from './support/examples.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, GCC, QEMU, needs } from './support/tools.js';
import { cli } from './support/cli.js';
import { tempFolders } from './support/tmp.js';


const tmp = tempFolders('qgc-verify-test-');

async function compile(ex: string, kernels: string, dir: string): Promise<void> {
  const e = example(ex);
  const r = await cli('compile', e.model, '--target', 'cortex-m4', '--calib', `${e.dir}/calib.npy`, '--kernels', kernels, '-o', dir);
  expect(r.code, r.err).toBe(0);
}

/** The rows of the verify table: target description → its cells. */
function rows(out: string): Map<string, string> {
  return new Map(out.split('\n').filter((l) => /^(host|cortex-m\d+) \(/.test(l)).map((l) => [l.split(' (')[0], l]));
}

describe('qgc verify on the example models (compiled for cortex-m4)', () => {
  for (const ex of availableExamples()) {
    for (const kernels of ['cmsis-nn', 'portable']) {
      it(`${ex.name}, ${kernels}: bit-exact on every input of the test slice, on the host and on QEMU cortex-m4 and cortex-m55`, async (ctx) => {
        needs(ctx, GCC, ARM, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS] : []));
        const dir = join(tmp(), 'out');
        await compile(ex.name, kernels, dir);
        const x = `${ex.dir}/test_x.npy`;
        const t0 = performance.now();
        const n = readNpy(x).shape[0];
        expect(n).toBe(256);
        const host = await cli('verify', dir, '--inputs', x, '--targets', 'host');
        expect(host.code, host.err).toBe(0);
        const qemu = await cli('verify', dir, '--inputs', x, '--targets', 'cortex-m4,cortex-m55');
        expect(qemu.code, qemu.err).toBe(0);
        console.log(`${ex.name} ${kernels}: verify ${((performance.now() - t0) / 1000).toFixed(1)} s\n${host.out}${qemu.out}`);

        // Bytes per sample: the int8 output plus the float output (4 bytes per element).
        const outBytes = reference(readCompiledFolder(dir).graph, samplesOf(readCompiledFolder(dir).graph, readNpy(x), 1)).out8[0].length * 5;
        const h = rows(host.out).get('host')!;
        expect(h).toMatch(new RegExp(`ASan \\+ UBSan, ${kernels}\\)\\s+folder\\s+${n}\\s+${(n * outBytes).toLocaleString('en-US')}\\s+bit-exact`));
        const q = rows(qemu.out);
        expect(q.get('cortex-m4')).toMatch(new RegExp(`mps2-an386.*folder\\s+${n}\\s+${(n * outBytes).toLocaleString('en-US')}\\s+bit-exact\\s+[\\d,]+`));
        // A CMSIS-NN folder built for the M4's DSP kernels cannot run the M55's MVE kernels: verify runs the C generated for the M55.
        expect(q.get('cortex-m55')).toMatch(new RegExp(`mps3-an547.*${kernels === 'portable' ? 'folder' : 'regenerated'}\\s+${n}\\s+[\\d,]+\\s+bit-exact`));
        expect(`${host.out}${qemu.out}`).toContain(`sources: as qgc generates them from net_schedule.json`);
        expect(`${host.out}${qemu.out}`).not.toContain('MISMATCH');
      }, 600_000);
    }
  }
});

/** The first sample and output element that change when weight 0 of `node`'s weights is set to
 * `value`: the interpreter on the folder's graph, and on a fresh copy with the edit made before it runs. */
function expectedChange(dir: string, node: string, value: number, x: string): { sample: number; index: number; got: number; want: number } {
  const run = (edit: boolean) => {
    const graph: Graph = readCompiledFolder(dir).graph;
    if (edit) (graph.tensors.get(graph.nodes.find((n) => n.name === node)!.inputs[1])!.data as Int8Array)[0] = value;
    return reference(graph, samplesOf(graph, readNpy(x), 16)).out8;
  };
  const before = run(false);
  const after = run(true);
  for (let s = 0; s < before.length; s++) {
    const i = after[s].findIndex((v, k) => v !== before[s][k]);
    if (i >= 0) return { sample: s, index: i, got: after[s][i], want: before[s][i] };
  }
  throw new Error('the edit changes no output: pick another weight');
}

describe('qgc verify finds a difference', () => {
  it('one edited byte in net_weights.c fails verify with the first differing output element and the layer it belongs to', async (ctx) => {
    needs(ctx, GCC);
    const ex = example('fashion-mnist');
    const dir = join(tmp(), 'out');
    await compile(ex.name, 'portable', dir);
    // The second convolution's weights: element 0 (O=0, kh=0, kw=0, I=0) is first in OHWI and OIHW alike.
    const node = '/features/features.4/Conv';
    const weights = join(dir, 'net_weights.c');
    const text = readFileSync(weights, 'utf8');
    const m = /const int8_t net_features_features_4_Conv_w\[\d+\] = \{\n {4}(-?\d+),/.exec(text);
    expect(m, 'the weights array of the second convolution').not.toBeNull();
    const value = Number(m![1]) > 0 ? -127 : 127;
    writeFileSync(weights, text.replace(m![0], m![0].replace(/(-?\d+),$/, `${value},`)));

    const want = expectedChange(dir, node, value, `${ex.dir}/test_x.npy`);
    const r = await cli('verify', dir, '--inputs', `${ex.dir}/test_x.npy`, '--targets', 'host', '--limit', '16');
    expect(r.code).toBe(2);
    expect(r.out).toContain('net_weights.c differs from what qgc generates from net_schedule.json');
    expect(r.out).toMatch(/host \(.*MISMATCH/);
    const line = r.err.trim().split('\n').at(-1)!;
    expect(line).toMatch(/^error QGC4007: host: /);
    expect(line).toContain(`sample ${want.sample}, net_run output 'logits_int8' of node '/fc/Gemm' (QFullyConnected) element [0, ${want.index}]: C gives ${want.got}, the interpreter ${want.want}`);
    expect(line).toMatch(new RegExp(`first differing layer: step \\d+, node '${node.replace(/[.]/g, '\\.')}' \\(QConv, `));
    expect(line).toContain('net_weights.c is not what qgc generates from net_schedule.json: compile the model again.');
  }, 300_000);

  it('runs the host build under AddressSanitizer: a header that understates the output size is a buffer overflow', async (ctx) => {
    needs(ctx, GCC);
    const ex = example('fashion-mnist');
    const dir = join(tmp(), 'out');
    await compile(ex.name, 'portable', dir);
    const header = join(dir, 'net.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('#define NET_OUTPUT_SIZE 10', '#define NET_OUTPUT_SIZE 9'));
    const r = await cli('verify', dir, '--inputs', `${ex.dir}/test_x.npy`, '--targets', 'host', '--limit', '1');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^error QGC4006: the network failed on the host: .*ERROR: AddressSanitizer: global-buffer-overflow/);
  }, 300_000);

  it('refuses a folder without the quantized graph, and inputs of the wrong shape, in one line', async () => {
    const ex = example('fashion-mnist');
    const dir = join(tmp(), 'out');
    await compile(ex.name, 'portable', dir);
    const shape = await cli('verify', dir, '--inputs', `${ex.dir}/test_y.npy`, '--targets', 'host');
    expect(shape.code).toBe(2);
    expect(shape.err).toMatch(/^error QGC1201: .*test_y\.npy: the inputs have shape \[\d+\], which is neither the model's input \[1, 1, 28, 28\] nor a batch of it/m);
    rmSync(join(dir, 'net_schedule.json'));
    const r = await cli('verify', dir, '--inputs', `${ex.dir}/test_x.npy`);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^error QGC1201: .*: no net_schedule\.json in the folder: verify rebuilds the integer graph from it\. Compile the model again/);
  }, 300_000);
});

describe('linker map sizes (bench flash column)', () => {
  it('sums kept input sections per group, one-line and two-line entries, and skips discarded ones', () => {
    const map = [
      'Discarded input sections',
      ' .text.unused   0x00000000       0x40 /b/003_net.o',
      '',
      'Linker script and memory map',
      ' .text.net_run  0x000008f0       0x40 /b/003_net.o',
      ' .rodata.net_features_features_0_Conv_w',
      '                0x00001000      0x90 /b/004_net_weights.o',
      ' .text.arm_avgpool_s8',
      '                0x00000ff4      0x27c /c/libcmsis-nn.a(100_arm_avgpool_s8.o)',
      ' .bss.arena     0x20000000     0x3d40 /b/003_net.o',
      ' *fill*         0x00001090        0x2 ',
      ' .text.main     0x00000100       0x80 /b/002_verify_main.o',
    ].join('\n');
    const sizes = mapSizes(map, (f) => (f.includes('libcmsis-nn.a(') ? 'cmsis' : /_(net|net_weights)\.o$/.test(f) ? 'net' : undefined));
    expect(sizes.get('net')).toEqual({ text: 0x40, rodata: 0x90, data: 0, bss: 0x3d40 });
    expect(sizes.get('cmsis')).toEqual({ text: 0x27c, rodata: 0, data: 0, bss: 0 });
    expect(sizes.size).toBe(2);
    expect(flashBytes(sizes.get('net')!)).toBe(0x40 + 0x90);
  });
});

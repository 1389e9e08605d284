/** A model with two inputs and two outputs (test/data/two-heads: two branches joined by a Concat
 * and a second head on one branch) through the CLI as a user runs it: `qgc compile --calib a=...
 * --calib b=...` and `qgc verify --inputs a=... --inputs b=...` on the host and on QEMU
 * Cortex-M4, with both kernel providers; the C API gives each input and output its own pointer
 * and macros. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.js';
import { readCompiledFolder } from '../src/verify/folder.js';
import { reference, samplesOf } from '../src/verify/reference.js';
import { cli } from './support/cli.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const DATA = 'test/data/two-heads';
const tmp = tempFolders('qgc-multi-io-');

async function compile(kernels: string): Promise<string> {
  const dir = join(tmp(), 'out');
  const r = await cli('compile', `${DATA}/model.onnx`, '--target', 'cortex-m4', '--kernels', kernels,
    '--calib', `a=${DATA}/ca.npy`, '--calib', `b=${DATA}/cb.npy`, '-o', dir);
  expect(r.code, r.err).toBe(0);
  return dir;
}

describe('two inputs, two outputs', () => {
  it('the header has one pointer and one set of macros per input and output, in graph order', async () => {
    const dir = await compile('portable');
    const h = readFileSync(join(dir, 'net.h'), 'utf8');
    expect(h).toContain('int net_run(const int8_t *in_a, const int8_t *in_b, int8_t *out_y1, int8_t *out_y2);');
    expect(h).toContain('int net_run_f32(const float *in_a, const float *in_b, float *out_y1, float *out_y2);');
    for (const [macro, value] of [['NET_INPUT_COUNT', '2'], ['NET_OUTPUT_COUNT', '2'], ['NET_INPUT_A_SIZE', '144'], ['NET_INPUT_B_SIZE', '288'],
      ['NET_OUTPUT_Y1_SIZE', '5'], ['NET_OUTPUT_Y2_SIZE', '3'], ['NET_INPUT_B_DIMS', '{ 1, 2, 12, 12 }']]) {
      expect(h).toMatch(new RegExp(`^#define ${macro} ${value.replace(/[{}]/g, '\\$&')}$`, 'm'));
    }
    expect(h).toMatch(/^#define NET_INPUT_A_SCALE [0-9.e-]+f$/m);
    expect(h).toMatch(/^#define NET_OUTPUT_Y2_ZERO_POINT \(-?\d+\)$/m);
    // The single-input names are not defined: a caller cannot use them by mistake.
    expect(h).not.toMatch(/NET_INPUT_SIZE|NET_OUTPUT_SIZE/);
    const report = JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as { totals: { arenaBytes: number; arenaLowerBound: number } };
    expect(report.totals.arenaBytes).toBe(report.totals.arenaLowerBound);
  });

  for (const kernels of ['portable', 'cmsis-nn']) {
    it(`${kernels}: qgc verify --inputs a=... --inputs b=... is bit-exact on the host and QEMU Cortex-M4`, async (ctx) => {
      needs(ctx, GCC, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
      const dir = await compile(kernels);
      const r = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--inputs', `b=${DATA}/tb.npy`, '--targets', 'host,cortex-m4');
      expect(r.code, r.err).toBe(0);
      // 8 samples, each (5 + 3) int8 outputs and (5 + 3) floats: 8 * 8 * 5 bytes per target.
      const graph = readCompiledFolder(dir).graph;
      const ref = reference(graph, samplesOf(graph, new Map([['a', readNpy(`${DATA}/ta.npy`)], ['b', readNpy(`${DATA}/tb.npy`)]])));
      expect(ref.count).toBe(8);
      expect(ref.out8[0].length).toBe(8);
      for (const target of ['host', 'cortex-m4']) {
        const row = r.out.split('\n').find((l) => l.startsWith(`${target} (`));
        expect(row, r.out).toMatch(/\s8\s+320\s+bit-exact/);
      }
    });
  }

  it('an edited weight of the second head fails verify naming output y2, not y1', async (ctx) => {
    needs(ctx, GCC);
    const dir = await compile('portable');
    const weights = join(dir, 'net_weights.c');
    const text = readFileSync(weights, 'utf8');
    const m = /const int8_t net_fc2_w\[\d+\] = \{\n {4}(-?\d+),/.exec(text);
    expect(m, 'the weights of fc2').not.toBeNull();
    writeFileSync(weights, text.replace(m![0], m![0].replace(/(-?\d+),$/, `${Number(m![1]) > 0 ? -127 : 127},`)));
    const r = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--inputs', `b=${DATA}/tb.npy`, '--targets', 'host');
    expect(r.code).toBe(2);
    const line = r.err.trim().split('\n').at(-1)!;
    expect(line).toMatch(/^error QGC4007: host: sample \d+, net_run output '[^']*' of node 'fc2' \(QFullyConnected\) element \[0, \d\]: C gives -?\d+, the interpreter -?\d+/);
    expect(line).toMatch(/first differing layer: step \d+, node 'fc2' \(QFullyConnected, /);
  }, 300_000);

  it('refuses inputs that do not name the graph inputs, or do not match in samples', async () => {
    const dir = await compile('portable');
    const unnamed = await cli('verify', dir, '--inputs', `${DATA}/ta.npy`, '--targets', 'host');
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toMatch(/the model has 2 inputs; name each one\. Use --inputs NAME=file\.npy for each of: a, b/);
    const missing = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--targets', 'host');
    expect(missing.err).toMatch(/no --inputs given for graph input 'b'/);
    const uneven = await cli('verify', dir, '--inputs', `a=${DATA}/ta.npy`, '--inputs', `b=${DATA}/cb.npy`, '--targets', 'host');
    expect(uneven.err).toMatch(/32 samples for input 'b' but 8 for 'a'.*Give every input the same number of samples/);
    const calib = await cli('compile', `${DATA}/model.onnx`, '--target', 'cortex-m4', '--calib', `${DATA}/ca.npy`, '-o', join(tmp(), 'x'));
    expect(calib.code).toBe(2);
  });
});

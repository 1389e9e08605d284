/** `--rounding nearest|bias-correction|adaround` (src/quant/rounding.ts): AdaRound lowers a
 * layer's reconstruction error below round-to-nearest's, and a network's output error on the
 * calibration data; bias correction zeroes each channel's
 * mean output error on the calibration set (checked with the interpreter's own Conv); the same
 * input gives the same bytes; bad values and too few samples are reported; and the compiled C
 * stays bit-exact with the interpreter. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGraph, runNode } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import type { Graph, Node } from '../src/ir/graph.js';
import { loadModel } from '../src/onnx/load.js';
import { runPipeline } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { openCalibration } from '../src/quant/calib-data.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { quantizeRounded } from '../src/passes/quantize-rounded.js';
import { BITS_PRESETS } from '../src/quant/widths.js';
import { LayerInputCollector, type LayerInputs } from '../src/quant/layer-inputs.js';
import { quantizeWeights, weightScales } from '../src/quant/params.js';
import { adaRound, biasCorrection, parseRounding, reconstructionError } from '../src/quant/rounding.js';
import { cli } from './support/cli.js';
import { errorOf } from './support/errors.js';
import { example } from './support/examples.js';
import { uniform } from './support/random.js';
import { tempFolders } from './support/tmp.js';
import { GCC, needs } from './support/tools.js';

const tmp = tempFolders('qgc-rounding-');
const dwsep = example('fashion-mnist-dwsep');

describe('AdaRound', () => {
  it('lowers a layer\'s reconstruction error below round-to-nearest\'s, int4 and int8', () => {
    // A fully connected layer of 6 outputs × 24 inputs on correlated inputs (a shared factor),
    // where rounding errors that cancel matter.
    const rand = uniform(12);
    const [channels, fanIn, rows] = [6, 24, 256];
    const patches = new Float32Array(rows * fanIn);
    for (let p = 0; p < rows; p++) {
      const common = rand() * 2 - 1;
      for (let k = 0; k < fanIn; k++) patches[p * fanIn + k] = common + 0.3 * (rand() * 2 - 1);
    }
    const inputs: LayerInputs = { fanIn, groups: 1, patches: [patches], rows, mean: [new Float64Array(fanIn)], positions: rows, samples: rows };
    const data = Float32Array.from({ length: channels * fanIn }, () => rand() * 2 - 1);
    for (const qmax of [7, 127]) {
      const scales = weightScales(data, channels, false, qmax);
      const w = { data, channels, fanIn, groups: 1, scales, qmax };
      const nearest = reconstructionError(w, quantizeWeights(data, scales, qmax), inputs);
      const q = adaRound(w, inputs);
      expect(q.every((v) => v >= -qmax && v <= qmax)).toBe(true);
      const ada = reconstructionError(w, q, inputs);
      expect(ada, `qmax ${qmax}`).toBeLessThan(0.7 * nearest);
    }
  });
});

describe('AdaRound on a network (asymmetric: each layer on the rounded network\'s inputs)', () => {
  it('brings the W4A8 dwsep example\'s logits on the calibration data closer to float than nearest does', () => {
    const float = runPipeline(loadModel(dwsep.model).graph, optimizationPasses);
    const calib = openCalibration(float, [join(dwsep.dir, 'calib.npy')]);
    const collector = new LayerInputCollector(float);
    const ranges = calibrationRanges(collectStats(float, calib.samples(), { onSample: (env) => collector.add(env) }), { method: 'minmax' });
    const widths = { uniform: BITS_PRESETS.w4a8 };
    const fractions: number[] = [];
    const ada = quantizeRounded(float, ranges, { widths, rounding: 'adaround' }, collector.result(), calib, (f) => fractions.push(f)).graph;
    const nearest = quantizeGraph(float, ranges, { widths }).graph;
    expect(fractions.at(-1)).toBe(1);
    // Squared logit error summed over the calibration samples (no labels needed); measured: ~3%.
    const error = (g: Graph) => {
      let sum = 0;
      for (const sample of calib.samples()) {
        const ref = runGraph(float, sample.feeds).get(float.outputs[0])!.data as Float32Array;
        const got = runGraph(g, sample.feeds).get(float.outputs[0])!.data as Float32Array;
        for (let i = 0; i < ref.length; i++) sum += (got[i] - ref[i]) ** 2;
      }
      return sum;
    };
    expect(error(ada)).toBeLessThan(0.5 * error(nearest));
  }, 60_000);
});

describe('bias correction', () => {
  it('zeroes each channel\'s mean output error on the calibration set (every Conv of the dwsep example, W4A8)', () => {
    const float = runPipeline(loadModel(dwsep.model).graph, optimizationPasses);
    const collector = new LayerInputCollector(float);
    const envs: ReadonlyMap<string, Value>[] = [];
    collectStats(float, openCalibration(float, [join(dwsep.dir, 'calib.npy')]).samples(), {
      onSample: (env) => {
        collector.add(env);
        if (envs.length < 1000) envs.push(env);
      },
    });
    const layers = collector.result();
    const convs = float.nodes.filter((n) => n.op === 'Conv');
    expect(convs.length).toBeGreaterThan(5);
    for (const node of convs) {
      const wt = float.tensors.get(node.inputs[1])!;
      const bias = float.tensors.get(node.inputs[2])!.data as Float32Array;
      const data = wt.data as Float32Array;
      const channels = wt.shape[0];
      const scales = weightScales(data, channels, false, 7);
      const q = quantizeWeights(data, scales, 7);
      const inputs = layers.get(node.name)!;
      const shift = biasCorrection({ data, channels, fanIn: data.length / channels, groups: inputs.groups, scales, qmax: 7 }, q, inputs);
      const per = data.length / channels;
      const wq = Float32Array.from(q, (v, i) => v * scales[Math.floor(i / per)]);
      const bq = Float32Array.from(bias, (b, c) => b + shift[c]);
      // The interpreter's Conv without the fused clamp: the error before the activation.
      const bare: Node = { ...node, clamp: undefined } as Node;
      const sums = new Float64Array(channels);
      const before = new Float64Array(channels);
      let positions = 0;
      for (const env of envs) {
        const x = env.get(node.inputs[0])!;
        const ref = runNode(bare, [x, { dtype: 'float32', shape: wt.shape, data }, { dtype: 'float32', shape: [channels], data: bias }])[0];
        const got = runNode(bare, [x, { dtype: 'float32', shape: wt.shape, data: wq }, { dtype: 'float32', shape: [channels], data: bq }])[0];
        const nearest = runNode(bare, [x, { dtype: 'float32', shape: wt.shape, data: wq }, { dtype: 'float32', shape: [channels], data: bias }])[0];
        const plane = ref.data.length / channels;
        positions += plane;
        for (let i = 0; i < ref.data.length; i++) {
          const c = Math.floor(i / plane);
          sums[c] += Number(got.data[i]) - Number(ref.data[i]);
          before[c] += Number(nearest.data[i]) - Number(ref.data[i]);
        }
      }
      const worst = Math.max(...before.map((s) => Math.abs(s / positions)));
      expect(worst, node.name).toBeGreaterThan(1e-4); // there was a mean error to correct
      for (let c = 0; c < channels; c++) expect(Math.abs(sums[c] / positions), `${node.name} channel ${c}`).toBeLessThan(1e-5);
    }
  });
});

describe('--rounding on the CLI', () => {
  it('rejects a bad value on quantize and compile, naming the choices', async () => {
    expect(errorOf(() => parseRounding('up')).message).toMatch(/--rounding 'up' is unknown/);
    const calib = join(dwsep.dir, 'calib.npy');
    const q = await cli('quantize', dwsep.model, '--calib', calib, '--rounding', 'up', '-o', join(tmp(), 'x.onnx'));
    expect(q.code).toBe(2);
    expect(q.err).toMatch(/--rounding 'up' is unknown/);
    expect(q.err).toMatch(/nearest, bias-correction, adaround/);
    const c = await cli('compile', dwsep.model, '--calib', calib, '--rounding', 'ada', '--target', 'cortex-m4', '-o', tmp());
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--rounding 'ada' is unknown/);
    const qdq = join(tmp(), 'q.onnx');
    expect((await cli('quantize', dwsep.model, '--calib', calib, '-o', qdq)).code).toBe(0);
    const again = await cli('compile', qdq, '--rounding', 'adaround', '--target', 'cortex-m4', '-o', tmp());
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already quantized; --rounding is for float models/);
  });

  it('adaround and bias-correction: same input, same bytes; different weights from nearest', async () => {
    const calib = join(dwsep.dir, 'calib.npy');
    const dir = tmp();
    const out = (name: string) => join(dir, name);
    for (const [file, rounding] of [['a', 'adaround'], ['b', 'adaround'], ['n', 'nearest'], ['c', 'bias-correction'], ['d', 'bias-correction']]) {
      const r = await cli('quantize', dwsep.model, '--calib', calib, '--bits', 'w4a8', '--rounding', rounding, '-o', out(`${file}.onnx`));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`${rounding} rounding`);
    }
    const bytes = (f: string) => readFileSync(out(`${f}.onnx`));
    expect(bytes('a').equals(bytes('b'))).toBe(true);
    expect(bytes('c').equals(bytes('d'))).toBe(true);
    expect(bytes('a').equals(bytes('n'))).toBe(false);
    expect(bytes('c').equals(bytes('n'))).toBe(false);
  }, 60_000);

  it('warns when a layer has fewer calibration rows than weights per channel, saying how many it used', async () => {
    const fm = example('fashion-mnist');
    const r = await cli('quantize', fm.model, '--calib', join(fm.dir, 'calib.npy'), '--rounding', 'adaround', '--bits', 'w4a8', '-o', join(tmp(), 'x.onnx'));
    expect(r.code, r.err).toBe(0);
    // The FC layer reads 1568 inputs; the 64 samples give it 64 rows.
    expect(r.err).toMatch(/node '\/fc\/Gemm' \(Gemm\): AdaRound used 64 calibration rows \(64 samples\) for 1568 weights per output channel.*give at least 1568 samples/);
    expect(r.err).not.toMatch(/features\.4\/Conv'.*AdaRound used/); // 1024 rows for 144 weights
  }, 60_000);

  it('compile --rounding adaround --bits w4a8: the C is bit-exact with the interpreter on the host', async (ctx) => {
    needs(ctx, GCC);
    const dir = tmp();
    const c = await cli('compile', dwsep.model, '--calib', join(dwsep.dir, 'calib.npy'), '--bits', 'w4a8', '--rounding', 'adaround', '--target', 'cortex-m4', '--kernels', 'portable', '-o', dir);
    expect(c.code, c.err).toBe(0);
    const v = await cli('verify', dir, '--inputs', join(dwsep.dir, 'test_x.npy'), '--limit', '3', '--targets', 'host');
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.out).toMatch(/ 3 .*bit-exact/);
  }, 120_000);
});

/** The integer interpreter's int16-activation kernels (W8A16: src/interp/int8/conv-s16.ts)
 * against CMSIS-NN's own s16 functions compiled on the host: random dense and depthwise
 * convolutions (arm_convolve_wrapper_s16, arm_depthwise_conv_wrapper_s16: strides, dilations,
 * padding, channel multipliers 1 and 2, with and without bias, fused clamps) and fully connected
 * layers (arm_fully_connected_s16, per-tensor: CMSIS-NN has no per-channel s16 FC), with int64
 * biases beyond the int32 range. Every output must be equal. Partial sums stay within int32
 * (CMSIS-NN's plain build adds the products in int32 before widening: see conv-s16.ts). */
import { afterAll, expect, it } from 'vitest';
import { runGraph } from '../src/interp/run.js';
import type { Graph, Tensor } from '../src/ir/graph.js';
import { convRequant } from '../src/ir/intmath.js';
import { windowOutSize } from '../src/ir/geometry.js';
import { CMSIS_NN, GCC, cmsisLibrary, compileProgram, removePrograms, runProgram, supportSource } from './support/cmsis.js';
import { Rng } from './support/int8-cases.js';
import { describeNeeding } from './support/tools.js';

interface S16Case {
  graph: Graph;
  input: Int16Array;
  /** The driver's line for this case. */
  line: string;
  /** CMSIS-NN's NHWC output back in the graph's NCHW order. */
  fromCmsis: (out: number[]) => number[];
}

const nhwc = (x: ArrayLike<number>, n: number, c: number, s: number) => Array.from({ length: x.length }, (_, i) => {
  const b = Math.floor(i / (s * c));
  const p = Math.floor(i / c) % s;
  return x[(b * c + (i % c)) * s + p];
});
const nchw = (x: ArrayLike<number>, n: number, c: number, s: number) => Array.from({ length: x.length }, (_, i) => {
  const b = Math.floor(i / (c * s));
  const ch = Math.floor(i / s) % c;
  return x[(b * s + (i % s)) * c + ch];
});

/** A one-node int16 graph (activations symmetric, int64 bias) around `node`. */
function oneNode(op: 'QConv' | 'QFullyConnected', xShape: number[], yShape: number[], w: Tensor, bias: Tensor | undefined, attrs: object): Graph {
  const q = (bits: number) => ({ scale: Float32Array.of(1), zeroPoint: Int32Array.of(0), bits });
  const tensors = new Map<string, Tensor>([
    ['x', { name: 'x', dtype: 'int16', shape: xShape, quant: q(16) }],
    ['y', { name: 'y', dtype: 'int16', shape: yShape, quant: q(16) }],
    [w.name, w],
  ]);
  if (bias) tensors.set(bias.name, bias);
  return {
    name: 's16', tensors, inputs: ['x'], outputs: ['y'], opset: 13,
    nodes: [{ name: 'n', op, inputs: ['x', w.name, ...(bias ? [bias.name] : [])], outputs: ['y'], attrs } as Graph['nodes'][number]],
  };
}

function biasOf(r: Rng, m: number): { tensor?: Tensor; line: string } {
  if (r.chance(0.2)) return { line: '0' };
  // Mostly biases of the accumulator's size; in some layers beyond int32 (those saturate).
  const wide = r.chance(0.15);
  const data = BigInt64Array.from({ length: m }, () => (wide ? BigInt(r.int(-(2 ** 30), 2 ** 30)) * 8n : BigInt(r.int(-(2 ** 22), 2 ** 22))));
  return { tensor: { name: 'b', dtype: 'int64', shape: [m], data, quant: { scale: new Float32Array(m).fill(1), zeroPoint: new Int32Array(m), axis: 0, bits: 64 } }, line: `1 ${data.join(' ')}` };
}

function clampOf(r: Rng): { actMin: number; actMax: number } {
  return r.pick([{ actMin: -32768, actMax: 32767 }, { actMin: 0, actMax: 32767 }, { actMin: r.int(-20000, 0), actMax: r.int(1, 20000) }]);
}

function convCase(r: Rng, depthwise: boolean): S16Case {
  const n = r.int(1, 2);
  const c = r.int(1, 6);
  const m = depthwise ? c * r.pick([1, 2]) : r.int(1, 8);
  const [h, w] = [r.int(3, 9), r.int(3, 9)];
  const [kh, kw] = [r.int(1, Math.min(3, h)), r.int(1, Math.min(3, w))];
  const [sh, sw] = [r.int(1, 2), r.int(1, 2)];
  const [dh, dw] = depthwise || r.chance(0.7) ? [r.int(1, 2), r.int(1, 2)] : [1, 1];
  const [ph, pw] = [r.int(0, kh - 1), r.int(0, kw - 1)];
  const oh = windowOutSize(h, kh, sh, dh, ph, ph, false);
  const ow = windowOutSize(w, kw, sw, dw, pw, pw, false);
  if (oh < 1 || ow < 1) return convCase(r, depthwise);
  const cg = depthwise ? 1 : c;
  const wData = Int8Array.from({ length: m * cg * kh * kw }, () => r.int(-127, 127));
  const x = Int16Array.from({ length: n * c * h * w }, () => r.int(-32768, 32767));
  const rq = convRequant(1 / 4096, Array.from({ length: m }, () => r.logUniform(0.002, 0.02)), r.logUniform(1 / 256, 1 / 16));
  const bias = biasOf(r, m);
  const clamp = clampOf(r);
  const weights: Tensor = { name: 'w', dtype: 'int8', shape: [m, cg, kh, kw], data: wData, quant: { scale: new Float32Array(m).fill(1), zeroPoint: new Int32Array(m), axis: 0, bits: 8 } };
  const graph = oneNode('QConv', [n, c, h, w], [n, m, oh, ow], weights, bias.tensor, {
    kernel: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: [ph, pw, ph, pw], group: depthwise ? c : 1, inputZeroPoint: 0, outputZeroPoint: 0, ...rq, ...clamp,
  });
  // CMSIS-NN's filter: OHWI for a conv, [1, kH, kW, C_out] for depthwise (OIHW with I = 1 is [M][kh*kw]).
  const filter = depthwise ? nhwc(wData, 1, m, kh * kw) : nhwc(wData, m, cg, kh * kw);
  const line = [depthwise ? 'd' : 'c', n, h, w, c, m, kh, kw, sw, sh, pw, ph, dw, dh, clamp.actMin, clamp.actMax, oh, ow,
    ...rq.multiplier, ...rq.shift, ...nhwc(x, n, c, h * w), ...filter, bias.line].join(' ');
  return { graph, input: x, line, fromCmsis: (out) => nchw(out, n, m, oh * ow) };
}

function fcCase(r: Rng): S16Case {
  const batches = r.int(1, 3);
  const k = r.int(1, 300);
  const m = r.int(1, 12);
  const wData = Int8Array.from({ length: m * k }, () => r.int(-127, 127));
  const x = Int16Array.from({ length: batches * k }, () => r.int(-32768, 32767));
  const rq = convRequant(1 / 4096, [r.logUniform(0.001, 0.01)], r.logUniform(1 / 64, 1));
  const bias = biasOf(r, m);
  const clamp = clampOf(r);
  const weights: Tensor = { name: 'w', dtype: 'int8', shape: [m, k], data: wData, quant: { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0), bits: 8 } };
  const graph = oneNode('QFullyConnected', [batches, k], [batches, m], weights, bias.tensor, { inputZeroPoint: 0, outputZeroPoint: 0, ...rq, ...clamp });
  const line = ['f', batches, k, m, clamp.actMin, clamp.actMax, rq.multiplier[0], rq.shift[0], ...x, ...wData, bias.line].join(' ');
  return { graph, input: x, line, fromCmsis: (out) => out };
}

describeNeeding([GCC, CMSIS_NN], 'int16-activation kernels against CMSIS-NN (host gcc)', () => {
  afterAll(removePrograms);
  const r = new Rng(0x516);
  const groups: Record<string, S16Case[]> = {
    'QConv s16 (arm_convolve_wrapper_s16)': Array.from({ length: 60 }, () => convCase(r, false)),
    'QConv s16 depthwise (arm_depthwise_conv_wrapper_s16)': Array.from({ length: 60 }, () => convCase(r, true)),
    'QFullyConnected s16 (arm_fully_connected_s16)': Array.from({ length: 40 }, () => fcCase(r)),
  };

  for (const [label, cases] of Object.entries(groups)) {
    it(`${label}: ${cases.length} random layers, every output equal`, async () => {
      const exe = compileProgram([supportSource('cmsis-s16-driver.c')], { lib: await cmsisLibrary() });
      const lines = runProgram(exe, [], cases.map((c) => c.line).join('\n') + '\n').toString().trim().split('\n');
      expect(lines.length).toBe(cases.length);
      const bad: string[] = [];
      let wideBias = 0;
      let varied = 0;
      cases.forEach((c, i) => {
        expect(lines[i]).not.toMatch(/^error/);
        const theirs = c.fromCmsis(lines[i].split(' ').map(Number));
        const ours = Array.from(runGraph(c.graph, new Map([['x', { dtype: 'int16' as const, shape: c.graph.tensors.get('x')!.shape, data: c.input }]])).get('y')!.data as Int16Array);
        if (ours.join() !== theirs.join()) bad.push(`case ${i}: ${c.line.slice(0, 80)}...: first difference at ${ours.findIndex((v, j) => v !== theirs[j])}`);
        const b = c.graph.tensors.get('b')?.data as BigInt64Array | undefined;
        if (b?.some((v) => v > 2n ** 31n || v < -(2n ** 31n))) wideBias++;
        if (new Set(ours).size > Math.min(4, ours.length - 1)) varied++;
      });
      expect(bad).toEqual([]);
      expect(wideBias).toBeGreaterThan(0);
      // Most layers' outputs spread over the int16 range rather than saturating.
      expect(varied).toBeGreaterThan(cases.length * 0.6);
    }, 120_000);
  }
});

/** QDQ models shaped as TensorFlow Lite's converter writes them (test/data/tflite-qdq/make_model.py):
 * an int8 (or uint8) graph input whose scale is stated by the first DequantizeLinear after a
 * chain of view ops, and an integer graph output written by a final QuantizeLinear. They import,
 * `qgc run --int` agrees with onnxruntime-node, and the emitted C takes and returns those bytes,
 * bit-exact with the interpreter on the host and QEMU Cortex-M4. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../src/errors.js';
import type { Graph } from '../src/ir/graph.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { cli } from './support/cli.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const DATA = 'test/data/tflite-qdq';
const tmp = tempFolders('qgc-tflite-');

/** The test images as the lowered graph takes them: int8 as they are, uint8 − 128 (lowerQdq's
 * documented uint8 → int8 shift), written to a temporary .npy. */
function int8Inputs(kind: string): string {
  const v = readNpy(`${DATA}/${kind}.npy`);
  if (kind === 'int8') return `${DATA}/int8.npy`;
  const file = join(tmp(), 'shifted.npy');
  writeNpy(file, { dtype: 'int8', shape: v.shape, data: Int8Array.from(v.data as Uint8Array, (x) => x - 128) });
  return file;
}

const quantOf = (g: Graph, name: string) => {
  const q = g.tensors.get(name)!.quant!;
  return { dtype: g.tensors.get(name)!.dtype, scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
};

for (const kind of ['int8', 'uint8'] as const) {
  describe(`TFLite-shaped ${kind} QDQ model`, () => {
    const model = `${DATA}/${kind}.onnx`;
    const shift = kind === 'uint8' ? 128 : 0;

    it('imports; the integer input takes the downstream DequantizeLinear\'s scale, the output the final QuantizeLinear\'s', () => {
      const { graph } = loadModel(model);
      expect(graph.tensors.get('input_1')!.dtype).toBe(kind);
      const low = lowerQdq(graph);
      expect(low.inputs).toEqual(['input_1']);
      expect(low.outputs).toEqual(['Identity']);
      expect(quantOf(low, 'input_1')).toEqual({ dtype: 'int8', scale: Math.fround(1 / 255), zeroPoint: -128 });
      expect(quantOf(low, 'Identity')).toEqual({ dtype: 'int8', scale: Math.fround(0.08), zeroPoint: 3 });
      // No float boundary: the lowered graph is integer from end to end.
      expect(low.nodes.map((n) => n.op).filter((op) => op === 'Quantize' || op === 'Dequantize')).toEqual([]);
    });

    it('qgc run --int agrees with onnxruntime-node to one step (its float requantization) on every test image', async () => {
      const out = join(tmp(), 'y.npy');
      const r = await cli('run', model, '--int', '--input', int8Inputs(kind), '--output', out);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^Identity: int8\[8x10\]/);
      const ours = readNpy(out);
      const images = readNpy(`${DATA}/${kind}.npy`);
      const session = await ort.InferenceSession.create(readFileSync(model), { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const per = images.data.length / 8;
      let same = 0;
      for (let i = 0; i < 8; i++) {
        const x = new ort.Tensor(kind, images.data.slice(i * per, (i + 1) * per) as Int8Array | Uint8Array, kind === 'int8' ? [1, 28, 28, 1] : [1, 28, 28]);
        const y = (await session.run({ input_1: x })).Identity.data as Int8Array | Uint8Array;
        for (let j = 0; j < 10; j++) {
          const d = Math.abs(Number(ours.data[i * 10 + j]) + shift - y[j]);
          expect(d, `image ${i}, element ${j}`).toBeLessThanOrEqual(1);
          if (d === 0) same++;
        }
      }
      expect(same).toBeGreaterThanOrEqual(72); // of 80: a tie now and then, not a drift
    });

    if (kind === 'uint8') {
      it('qgc run --int on the uint8 images as they are says to shift them by -128', async () => {
        const r = await cli('run', model, '--int', '--input', `${DATA}/uint8.npy`);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/input 'input_1' is uint8, the model expects int8\. Subtract 128 from uint8 data/);
      });
    }

    it('compiles to C whose API takes and returns the integer bytes with the model\'s scales', async () => {
      const dir = join(tmp(), 'out');
      const r = await cli('compile', model, '--target', 'cortex-m4', '--kernels', 'portable', '-o', dir);
      expect(r.code, r.err).toBe(0);
      const h = readFileSync(join(dir, 'net.h'), 'utf8');
      expect(h).toContain('int net_run(const int8_t *in, int8_t *out);');
      expect(h).toContain('int net_run_f32(const float *in, float *out);');
      expect(h).toMatch(/^#define NET_INPUT_SCALE 0\.00392156886f$/m);
      expect(h).toMatch(/^#define NET_INPUT_ZERO_POINT \(-128\)$/m);
      expect(h).toMatch(/^#define NET_OUTPUT_SCALE 0\.0799999982f$/m);
      expect(h).toMatch(/^#define NET_OUTPUT_ZERO_POINT \(3\)$/m);
      if (kind === 'uint8') {
        // The input's Transpose (0, 1, 3, 2) after Unsqueeze and Reshape views is a strided copy
        // into the conv's NHWC; it once vanished (a Transpose over a view of another rank).
        expect(readFileSync(join(dir, 'net.c'), 'utf8')).toContain('.rank = 2, .dims = { 28, 28 }, .src_strides = { 1, 28 } };');
      }
    });

    for (const kernels of ['portable', 'cmsis-nn']) {
      it(`${kernels}: qgc verify is bit-exact with the interpreter on the host and QEMU Cortex-M4 on every test image`, async (ctx) => {
        needs(ctx, GCC, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
        const dir = join(tmp(), 'out');
        const c = await cli('compile', model, '--target', 'cortex-m4', '--kernels', kernels, '-o', dir);
        expect(c.code, c.err).toBe(0);
        const r = await cli('verify', dir, '--inputs', int8Inputs(kind), '--targets', 'host,cortex-m4');
        expect(r.code, r.err).toBe(0);
        for (const target of ['host', 'cortex-m4']) {
          const row = r.out.split('\n').find((l) => l.startsWith(`${target} (`));
          // 8 images, 10 int8 outputs each.
          expect(row, r.out).toMatch(/\s8\s+80\s+bit-exact/);
        }
      }, 300_000);
    }
  });
}

it('an integer graph input that reaches no DequantizeLinear through view ops is refused, naming the input', () => {
  const { graph } = loadModel(`${DATA}/int8.onnx`);
  // The conv reads the reshaped integer input directly: nothing states its scale.
  const nodes = graph.nodes.filter((n) => n.name !== 'dq_in').map((n) => (n.name === 'conv' ? { ...n, inputs: ['x_nchw', ...n.inputs.slice(1)] } : n));
  let error: unknown;
  try {
    lowerQdq({ ...graph, nodes } as Graph);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CompileError);
  expect((error as CompileError).format()).toMatch(
    /node 'reshape_in' \(Reshape\): integer graph input 'input_1' reaches no DequantizeLinear through view ops \(Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Identity\), so its scale is unknown/);
});

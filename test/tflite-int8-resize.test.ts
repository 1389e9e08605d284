/** qgc's int8 Resize against TensorFlow Lite's reference kernels (issue 16, item 3), through the
 * single-op harness (test/support/tflite.ts, scripts/tflite-ops.py): random single-op QDQ models
 * of nearest Resize, lowered by lowerQdq and run by qgc's interpreter on random int8 inputs
 * (NCHW), against RESIZE_NEAREST_NEIGHBOR (NHWC, the same bytes transposed) with the lowered
 * graph's parameters, where ONNX's modes and TFLite's options pick the same pixels:
 * asymmetric + floor ↔ neither option (TFLite's floor(x * in / out)), align_corners +
 * round_prefer_ceil ↔ align_corners (TFLite rounds half away from zero), tf_half_pixel_for_nn +
 * floor ↔ half_pixel_centers (floor((x + 0.5) * in / out)). A gather keeps the scale, so every
 * byte must be equal. */
import { describe, expect, it } from 'vitest';
import type { Value } from '../src/interp/types.js';
import { runGraph } from '../src/interp/run.js';
import { lowerSingleOp, onnxAttr as attr } from './support/qdq-single.js';
import { uniform } from './support/random.js';
import { runTflite, tfliteTensor, type TfliteCase } from './support/tflite.js';
import { TFLITE, needs } from './support/tools.js';

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

interface Row {
  name: string;
  coordinateMode: string;
  nearestMode: string;
  options: { alignCorners: boolean; halfPixelCenters: boolean };
  opset: number;
}

const ROWS: Row[] = [
  { name: 'asymmetric, floor', coordinateMode: 'asymmetric', nearestMode: 'floor', options: { alignCorners: false, halfPixelCenters: false }, opset: 13 },
  { name: 'align_corners, round_prefer_ceil', coordinateMode: 'align_corners', nearestMode: 'round_prefer_ceil', options: { alignCorners: true, halfPixelCenters: false }, opset: 13 },
  { name: 'tf_half_pixel_for_nn, floor', coordinateMode: 'tf_half_pixel_for_nn', nearestMode: 'floor', options: { alignCorners: false, halfPixelCenters: true }, opset: 11 },
];

/** [N, C, H, W] → [N, H, W, C] (or back with `inverse`). */
function toNhwc(data: ArrayLike<number>, [n, c, h, w]: readonly number[], inverse = false): number[] {
  const out = new Array<number>(n * c * h * w);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const nchw = ((b * c + k) * h + y) * w + x;
    const nhwc = ((b * h + y) * w + x) * c + k;
    if (inverse) out[nchw] = data[nhwc];
    else out[nhwc] = data[nchw];
  }
  return out;
}

// (input shape, output H and W) with whole factors per axis, where qgc's int8 copy applies.
const SHAPES: [number[], number, number][] = [[[1, 3, 4, 5], 8, 10], [[1, 2, 3, 3], 9, 6], [[2, 4, 6, 4], 3, 2], [[1, 1, 2, 7], 4, 7]];

describe('int8 Resize against tf.lite.Interpreter (reference kernels)', () => {
  it('nearest, each mode TFLite has: equal bytes on random single-op models', (ctx) => {
    needs(ctx, TFLITE);
    const runs: { name: string; ours: number[] }[] = [];
    const cases: TfliteCase[] = [];
    ROWS.forEach((row, ri) => SHAPES.forEach(([shape, oh, ow], si) => {
      const r = uniform(9000 + 100 * ri + si);
      const p = { scale: Math.fround(0.01 + 0.1 * r()), zeroPoint: int(r, -20, 20) };
      const outShape = [shape[0], shape[1], oh, ow];
      const { graph, node } = lowerSingleOp({
        opType: 'Resize', opset: row.opset,
        attributes: [attr.string('mode', 'nearest'), attr.string('coordinate_transformation_mode', row.coordinateMode), attr.string('nearest_mode', row.nearestMode)],
        inputs: [{ shape, q: p }],
        // roi (empty), then the scales: out / in, exact in float32 for these whole factors.
        constants: [{ dtype: 'float32', shape: [0], data: new Float32Array(0) }, { dtype: 'float32', shape: [4], data: Float32Array.from(outShape, (d, k) => d / shape[k]) }],
        outShape, output: p,
      });
      expect(node.op).toBe('Resize');
      const t = graph.tensors.get(node.inputs[0])!;
      const x: Value = { dtype: 'int8', shape: t.shape, data: Int8Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => int(r, -128, 127)) };
      const ours = runGraph({ ...graph, nodes: [node], inputs: [node.inputs[0]], outputs: [node.outputs[0]] }, new Map([[node.inputs[0], x]])).get(node.outputs[0])!.data as Int8Array;
      runs.push({ name: `${row.name}, [${shape.join(', ')}] → ${oh} x ${ow}`, ours: Array.from(ours) });
      const inT = tfliteTensor(graph, node.inputs[0], x);
      const outT = tfliteTensor(graph, node.outputs[0]);
      cases.push({
        op: 'RESIZE_NEAREST_NEIGHBOR', version: 3,
        options: { type: 'ResizeNearestNeighborOptions', ...row.options },
        inputs: [{ ...inT, shape: [shape[0], shape[2], shape[3], shape[1]], data: toNhwc(inT.data!, shape) }, { shape: [2], dtype: 'int32', data: [oh, ow], const: true }],
        outputs: [{ ...outT, shape: [shape[0], oh, ow, shape[1]] }],
      });
    }));
    const results = runTflite(cases);
    runs.forEach((run, i) => {
      const res = results[i];
      if ('error' in res) throw new Error(`${run.name}: TFLite refused the model: ${res.error}`);
      const c = cases[i];
      const [n, h, w, ch] = c.outputs[0].shape;
      expect(toNhwc(res.ref[0], [n, ch, h, w], true), run.name).toEqual(run.ours);
    });
    console.log(`${runs.length} nearest Resize models, ${runs.reduce((s, r) => s + r.ours.length, 0)} bytes: equal`);
  }, 120_000);
});

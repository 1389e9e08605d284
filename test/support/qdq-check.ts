/** Helpers for test/qdq.test.ts: quantizing an example in memory, comparing int8 results in
 * quantization steps, comparing two quantized graphs, onnx.checker through /usr/bin/python3,
 * and running single int8 ops through onnxruntime-node. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Graph, Node } from '../../src/ir/graph.js';
import { runGraph } from '../../src/interp/run.js';
import type { Value } from '../../src/interp/types.js';
import { exportQdq } from '../../src/onnx/export-qdq.js';
import { loadModel, loadModelBytes } from '../../src/onnx/load.js';
import { runPipeline } from '../../src/passes/pass.js';
import { optimizationPasses } from '../../src/passes/pipeline.js';
import { quantizeGraph, type QuantizeOptions } from '../../src/passes/quantize.js';
import { openCalibration, type CalibSample } from '../../src/quant/calib-data.js';
import { calibrationRanges, collectStats } from '../../src/quant/calibrate.js';

export { PYTHON_ONNX } from './tools.js';

/** Runs onnx.checker.check_model(full_check=True) on model bytes; returns '' or the error. */
export function onnxChecker(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'qgc-qdq-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
    return r.status === 0 ? '' : r.stderr.trim().split('\n').slice(-1)[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Quantizes a float graph (optimization passes, min/max calibration, quantizer with `opts`). */
export function quantizeFloat(imported: Graph, samples: Iterable<CalibSample>, opts: QuantizeOptions = {}): Graph {
  const float = runPipeline(imported, optimizationPasses);
  return quantizeGraph(float, calibrationRanges(collectStats(float, samples), { method: 'minmax' }), opts).graph;
}

const quantizedCache = new Map<string, Graph>();

/** An example model quantized on its calib.npy (memoized). */
export function quantizedExample(dir: string): Graph {
  let g = quantizedCache.get(dir);
  if (!g) {
    const float = runPipeline(loadModel(join(dir, 'model.onnx')).graph, optimizationPasses);
    g = quantizeFloat(float, openCalibration(float, [join(dir, 'calib.npy')]).samples());
    quantizedCache.set(dir, g);
  }
  return g;
}

/** Round trip through the QDQ file format: bytes → import → lowerQdq is the caller's job. */
export const importBytes = (bytes: Uint8Array): Graph => loadModelBytes(bytes).graph;

/** How two int8 results (as integers) differ, element by element. */
export interface StepDiff {
  total: number;
  identical: number;
  withinOne: number;
  maxDiff: number;
}

export function stepDiff(a: ArrayLike<number>, b: ArrayLike<number>, acc: StepDiff = { total: 0, identical: 0, withinOne: 0, maxDiff: 0 }): StepDiff {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    acc.total++;
    if (d === 0) acc.identical++;
    if (d <= 1) acc.withinOne++;
    acc.maxDiff = Math.max(acc.maxDiff, d);
  }
  return acc;
}

export const describeDiff = (d: StepDiff) =>
  `${d.withinOne}/${d.total} within one step (${((100 * d.withinOne) / d.total).toFixed(3)}%), ${d.identical} identical, ${d.total - d.identical} differ, max |diff| ${d.maxDiff}`;

/** Float outputs of a Dequantize (real = s * (q - zp)) back to their integers. */
export function toSteps(v: ArrayLike<number>, scale: number, zeroPoint: number): Int32Array {
  return Int32Array.from(v, (x) => Math.round(x / scale) + zeroPoint);
}

/** An 8-bit value as int8 (uint8 data shifts by −128, as lowerQdq's zero points do). */
export function asInt8(v: Value): Value {
  if (v.dtype === 'int8') return v;
  if (v.dtype !== 'uint8') throw new Error(`asInt8: ${v.dtype}`);
  return { dtype: 'int8', shape: v.shape, data: Int8Array.from(v.data as Uint8Array, (x) => x - 128) };
}

/** The integers of an 8-bit value in int8 terms. */
export const int8Values = (v: Value): number[] => Array.from(asInt8(v).data as Int8Array);

/** JSON with typed arrays as arrays and sorted keys: equal text, equal records. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => {
    if (ArrayBuffer.isView(x)) return Array.from(x as Int32Array);
    if (x && typeof x === 'object' && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1)));
    return x;
  });
}

/** Differences between two quantized graphs: nodes (op, name, inputs, outputs, attributes)
 * and every tensor they use (dtype, shape, constant data, scales and zero points). */
export function graphDifferences(a: Graph, b: Graph): string[] {
  const out: string[] = [];
  if (a.nodes.length !== b.nodes.length) out.push(`${a.nodes.length} nodes vs ${b.nodes.length}`);
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i];
    if (!m) return;
    for (const k of ['op', 'name', 'inputs', 'outputs', 'attrs'] as const) {
      if (canonical(n[k]) !== canonical(m[k])) out.push(`node ${i} '${n.name}' ${k}: ${canonical(n[k]).slice(0, 200)} vs ${canonical(m[k]).slice(0, 200)}`);
    }
  });
  const names = new Set(a.nodes.flatMap((n) => [...n.inputs, ...n.outputs]).filter((x) => x !== ''));
  for (const name of names) {
    const [s, t] = [a.tensors.get(name), b.tensors.get(name)];
    if (!s || !t) {
      out.push(`tensor '${name}' missing`);
      continue;
    }
    const view = (x: typeof s) => canonical({ dtype: x.dtype, shape: x.shape, data: x.data ?? null, scale: x.quant?.scale ?? null, zeroPoint: x.quant?.zeroPoint ?? null });
    if (view(s) !== view(t)) out.push(`tensor '${name}': ${view(s).slice(0, 200)} vs ${view(t).slice(0, 200)}`);
  }
  return out;
}

/**
 * Each int8 op of `q` on its own: exported as a one-op QDQ model whose inputs are the op's
 * int8 activations, run by onnxruntime on the values the int8 interpreter computed for them
 * (so both start from the same integers), and compared with the interpreter's output.
 */
export async function perOpCrossCheck(q: Graph, feeds: readonly ReadonlyMap<string, Value>[]): Promise<Map<Node, StepDiff>> {
  const envs = feeds.map((f) => runGraph(q, f, { keepAll: true }));
  const out = new Map<Node, StepDiff>();
  for (const n of q.nodes) {
    if (n.op === 'Quantize' || n.op === 'Dequantize') continue;
    const acts = n.inputs.filter((i) => i !== '' && !q.tensors.get(i)!.data);
    const session = await ort.InferenceSession.create(exportQdq({ ...q, nodes: [n], inputs: acts, outputs: [n.outputs[0]] }), { intraOpNumThreads: 1 });
    let d: StepDiff | undefined;
    for (const env of envs) {
      const inputs = Object.fromEntries(acts.map((a) => [a, new ort.Tensor('int8', env.get(a)!.data as Int8Array, [...q.tensors.get(a)!.shape])]));
      const theirs = (await session.run(inputs))[n.outputs[0]].data as Int8Array;
      d = stepDiff(env.get(n.outputs[0])!.data as Int8Array, theirs, d);
    }
    await session.release();
    out.set(n, d!);
  }
  return out;
}

/** Single-op int8 TensorFlow Lite models, run by TFLite itself (issue 16, item 3): a test
 * describes one TFLite operator with the scales and zero points qgc's lowering chose and the int8
 * inputs qgc's interpreter ran on; scripts/tflite-ops.py writes the model as a flatbuffer with
 * exactly those float32 parameters and runs tf.lite.Interpreter with the reference kernels
 * (BUILTIN_REF) and the default ones. All cases of a test go to one Python process (importing
 * TensorFlow takes seconds). Needs the TFLITE requirement (test/support/tools.ts). */
import { spawnSync } from 'node:child_process';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/interp/types.js';
import { TFLITE_PYTHON } from './tools.js';

export type TfliteDType = 'int8' | 'int16' | 'int32' | 'uint8' | 'float32';

/** One tensor of a case: quantized (scale, zeroPoint; arrays for per-axis) or plain. */
export interface TfliteTensor {
  shape: readonly number[];
  dtype?: TfliteDType;
  scale?: number | number[];
  zeroPoint?: number | number[];
  /** Quantized dimension of per-axis parameters. */
  axis?: number;
  /** The values of an input (graph input or constant). */
  data?: readonly number[];
  /** A constant (in the model's buffers) rather than a graph input. */
  const?: boolean;
}

export interface TfliteCase {
  /** A tflite BuiltinOperator name: 'LOGISTIC', 'MEAN', ... */
  op: string;
  /** The builtin options table by its schema name and fields: { type: 'LeakyReluOptions', alpha: 0.1 }. */
  options?: { type: string; [field: string]: unknown };
  /** The operator code's version (default 1). */
  version?: number;
  inputs: TfliteTensor[];
  outputs: TfliteTensor[];
}

/** Per case: each output's values from the reference kernels and the default kernels, or TFLite's refusal. */
export type TfliteResult = { ref: number[][]; auto: number[][] } | { error: string };

/** Runs every case in one Python process. */
export function runTflite(cases: readonly TfliteCase[]): TfliteResult[] {
  const r = spawnSync(TFLITE_PYTHON, ['scripts/tflite-ops.py'], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`scripts/tflite-ops.py failed (${r.status}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as TfliteResult[];
  if (out.length !== cases.length) throw new Error(`scripts/tflite-ops.py returned ${out.length} results for ${cases.length} cases`);
  return out;
}

/** A graph tensor of an int8 IR graph as a TFLite tensor: its shape and per-tensor (or per-axis)
 * parameters as qgc's lowering chose them, with `value`'s data when given. */
export function tfliteTensor(g: Graph, name: string, value?: Value, constant = false): TfliteTensor {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`no tensor ${name}`);
  const q = t.quant;
  const per = (a: ArrayLike<number>) => (a.length === 1 ? a[0] : Array.from(a));
  const data = value ?? (t.data ? { data: t.data } : undefined);
  return {
    shape: t.shape,
    dtype: t.dtype as TfliteDType,
    ...(q ? { scale: per(q.scale), zeroPoint: per(q.zeroPoint), ...(q.axis !== undefined ? { axis: q.axis } : {}) } : {}),
    ...(data ? { data: Array.from(data.data as ArrayLike<number>, Number) } : {}),
    ...(constant ? { const: true } : {}),
  };
}

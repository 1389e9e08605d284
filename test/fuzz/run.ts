/**
 * The fuzz driver: mutates seed models (test/fuzz/mutate.ts), loads each mutant from a file with
 * qgc (as `qgc run` does: validation, import, the float interpreter on seeded inputs) and with
 * onnxruntime-node, and classifies the outcome. A case passes when qgc refuses it with one coded
 * line (not an internal error), or runs it and onnxruntime runs it too with outputs within
 * tolerance. Everything else (a crash, QGC9000, a multi-line error, a model qgc runs and
 * onnxruntime refuses or computes differently, a case slower than 5 s) is a failure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { terminalSafe } from '../../src/cli/terminal-text.js';
import { CompileError, ErrorCode } from '../../src/errors.js';
import { allocate, getNumber } from '../../src/ir/dtype.js';
import { elementCount, type Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/interp/run.js';
import type { Value } from '../../src/interp/types.js';
import { loadModel } from '../../src/onnx/load.js';
import { onnx } from '../../src/onnx/proto.js';
import { uniform } from '../support/random.js';
import { byteMutant, copyModel, MUTATIONS, type Rand } from './mutate.js';

/** Small real models the mutations start from (missing ones are skipped). */
export const SEED_MODELS = [
  'examples/fashion-mnist/model.onnx',
  'examples/fashion-mnist-residual/model.onnx',
  'test/data/two-heads/model.onnx',
  'test/data/qdq-uint8.onnx',
  '/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_gemm_all_attributes/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_batchnorm_example/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_maxpool_2d_pads/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_clip/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_concat_2d_axis_0/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_qlinearconv/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_dequantizelinear/model.onnx',
];

export type Outcome = 'refused' | 'agrees' | 'ort-lags' | 'internal' | 'crash' | 'multiline' | 'ort-refuses' | 'ort-differs' | 'slow';
/** `ort-lags`: qgc runs a model the ONNX spec defines and onnxruntime 1.30 does not (listed, not a
 * failure): see ORT_LIMITS. */
const PASSING: ReadonlySet<Outcome> = new Set(['refused', 'agrees', 'ort-lags']);

/** onnxruntime 1.30's refusals of valid ONNX, each with why qgc is right to run the model. */
export const ORT_LIMITS: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /Could not find an implementation for \w+\(\d+\) node/, why: 'an old op version ONNX still defines (e.g. Concat-1); onnxruntime implements later versions only' },
  { pattern: /Unsupported model IR version: 14, max supported IR version: 13/, why: 'IR version 14 is ONNX 1.23\'s; onnxruntime 1.30 reads up to 13' },
  { pattern: /ValidateOpsetForDomain/, why: 'opsets up to 28 are ONNX 1.23\'s; onnxruntime 1.30 stops earlier' },
  { pattern: /Pad should be smaller than kernel/i, why: 'ONNX allows pooling pads as large as the window; onnxruntime\'s pool kernels do not' },
];

export interface FuzzCase {
  index: number;
  seedModel: string;
  kind: string;
  desc: string;
  outcome: Outcome;
  detail: string;
  bytes: Uint8Array;
}

/** Random inputs for the graph's inputs (float in [-1, 1), integers small). */
function feedsFor(graph: Graph, r: Rand): Map<string, Value> {
  return new Map(graph.inputs.map((name) => {
    const t = graph.tensors.get(name)!;
    const data = allocate(t.dtype, elementCount(t.shape));
    for (let i = 0; i < data.length; i++) {
      if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor(r() * 4));
      else if (data instanceof Float32Array || data instanceof Float64Array) data[i] = r() * 2 - 1;
      else (data as Int32Array)[i] = Math.floor(r() * 8);
    }
    return [name, { dtype: t.dtype, shape: t.shape, data }];
  }));
}

const ORT_TYPES: Partial<Record<string, ort.Tensor.Type>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int32: 'int32', int64: 'int64', int16: 'int16', uint16: 'uint16', bool: 'bool',
};

/** Runs onnxruntime on the same inputs; undefined when it refuses (with why in `err`). */
async function ortRun(bytes: Uint8Array, feeds: Map<string, Value>): Promise<{ out?: Record<string, ort.Tensor>; err?: string }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'disabled', logSeverityLevel: 4 });
  } catch (e) {
    return { err: `session: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, v] of feeds) {
      const type = ORT_TYPES[v.dtype];
      if (!type) return { err: `no onnxruntime tensor for ${v.dtype}` };
      inputs[name] = new ort.Tensor(type, v.data as never, [...v.shape]);
    }
    return { out: await session.run(inputs) };
  } catch (e) {
    return { err: `run: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  } finally {
    await session.release();
  }
}

/** Largest difference of `got` against `want`, relative to want's range (NaN equals NaN). */
function difference(got: Value, want: ort.Tensor): number {
  const w = want.data as ArrayLike<number | bigint>;
  if (w.length !== got.data.length) return Infinity;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < w.length; i++) {
    const v = Number(w[i]);
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const range = Math.max(1, hi - lo);
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const a = getNumber(got.data, i);
    const b = Number(w[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    // Beyond 1e30 (a mutated weight of 1e37, say) float32 sums overflow or not depending on
    // their order, which ONNX leaves to the implementation.
    const extreme = (v: number) => !Number.isFinite(v) || Math.abs(v) > 1e30;
    if (extreme(a) && extreme(b)) continue;
    worst = Math.max(worst, Math.abs(a - b) / range);
  }
  return worst;
}

/** Loads and runs one mutant (written to `dir`) on inputs from `feedSeed`; classifies the outcome. */
export async function runCase(bytes: Uint8Array, dir: string, feedSeed: number): Promise<{ outcome: Outcome; detail: string }> {
  const r = uniform(feedSeed);
  const path = join(dir, 'model.onnx');
  writeFileSync(path, bytes);
  const t0 = performance.now();
  let graph: Graph;
  let env: Map<string, Value>;
  let feeds: Map<string, Value>;
  try {
    graph = loadModel(path).graph;
    feeds = feedsFor(graph, r);
    env = runGraph(graph, feeds);
  } catch (e) {
    if (!(e instanceof CompileError)) return { outcome: 'crash', detail: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
    // What the user sees: the CLI's rendering of the error, control characters escaped.
    const line = terminalSafe(e.format());
    if (e.code === ErrorCode.Internal) return { outcome: 'internal', detail: line };
    if (line.includes('\n') || line.includes('\r')) return { outcome: 'multiline', detail: JSON.stringify(line) };
    return { outcome: performance.now() - t0 > 5000 ? 'slow' : 'refused', detail: line };
  }
  if (performance.now() - t0 > 5000) return { outcome: 'slow', detail: `${(performance.now() - t0).toFixed(0)} ms` };
  const o = await ortRun(bytes, feeds);
  if (!o.out) return { outcome: ORT_LIMITS.some((l) => l.pattern.test(o.err ?? '')) ? 'ort-lags' : 'ort-refuses', detail: o.err ?? '' };
  // Float graphs agree to 1e-3 of the output's range. Graphs that quantize in the middle may
  // differ by a few quantization steps, where a float sum lands next to a rounding boundary.
  const quantized = graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op.startsWith('QLinear'));
  const tolerance = quantized ? 0.02 : 1e-3;
  for (const name of graph.outputs) {
    const want = o.out[name];
    const got = env.get(name);
    if (!want || !got) return { outcome: 'ort-differs', detail: `output '${name}' missing on one side` };
    const d = difference(got, want);
    if (!(d <= tolerance)) return { outcome: 'ort-differs', detail: `output '${name}' differs by ${d} of its range` };
  }
  return { outcome: 'agrees', detail: '' };
}

/** Runs `count` cases from `seed` over the seed models; every kind of MUTATIONS and byte mutants. */
export async function fuzz(seed: number, count: number, dir: string, onCase?: (c: FuzzCase) => void): Promise<FuzzCase[]> {
  mkdirSync(dir, { recursive: true });
  const models = SEED_MODELS.filter((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  }).map((p) => ({ path: p, bytes: new Uint8Array(readFileSync(p)) }));
  const kinds = [...Object.keys(MUTATIONS), 'bytes'];
  const out: FuzzCase[] = [];
  const r = uniform(seed);
  for (let i = 0; i < count; i++) {
    const src = models[i % models.length];
    // A kind that does not apply to this model (no initializer to move, say) gives way to another.
    let kind = 'bytes';
    let bytes: Uint8Array = src.bytes;
    let desc = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      kind = kinds[Math.floor(r() * kinds.length)];
      if (kind === 'bytes') {
        ({ bytes, desc } = byteMutant(src.bytes, r));
        break;
      }
      const m = copyModel(src.bytes);
      const d = MUTATIONS[kind](m, r);
      if (d === undefined) continue;
      desc = d;
      bytes = onnx.ModelProto.encode(m).finish();
      break;
    }
    // Inputs come from their own generator, so the mutants of a seed do not depend on outcomes.
    const { outcome, detail } = await runCase(bytes, dir, seed * 7919 + i);
    const c: FuzzCase = { index: i, seedModel: src.path, kind, desc, outcome, detail, bytes };
    out.push(c);
    onCase?.(c);
  }
  return out;
}

/** True when the outcome passes. */
export const passes = (c: FuzzCase): boolean => PASSING.has(c.outcome);

/** Counts of outcomes per mutation kind, as a table. */
export function summary(cases: readonly FuzzCase[]): string {
  const outcomes: Outcome[] = ['refused', 'agrees', 'ort-lags', 'internal', 'crash', 'multiline', 'ort-refuses', 'ort-differs', 'slow'];
  const kinds = [...new Set(cases.map((c) => c.kind))].sort();
  const rows = [['kind', 'cases', ...outcomes]];
  for (const k of [...kinds, 'all']) {
    const of = cases.filter((c) => k === 'all' || c.kind === k);
    rows.push([k, String(of.length), ...outcomes.map((o) => String(of.filter((c) => c.outcome === o).length))]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(w[i]) : cell.padStart(w[i]))).join('  ')).join('\n') + '\n';
}

/**
 * The quantization side of the CLI: `qgc quantize` (float model + calibration data → QDQ ONNX),
 * `qgc run --int` (the integer interpreter, on a float model quantized in memory or on an
 * already-quantized QDQ/QOperator model) and `qgc inspect --quantized` (per-layer parameters
 * and SQNR against float).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph, Tensor } from '../ir/graph.js';
import { inGroup } from '../ir/ops.js';
import { exportQdq } from '../onnx/export-qdq.js';
import { lowerQdq } from '../passes/lower-qdq.js';
import { runPipeline, type PassContext } from '../passes/pass.js';
import { optimizationPasses } from '../passes/pipeline.js';
import { quantizeGraph, type QuantizeOptions, type QuantizeResult } from '../passes/quantize.js';
import { openCalibration } from '../quant/calib-data.js';
import { requireInt8Forms } from '../quant/lower.js';
import { CALIB_METHODS, calibrationRanges, calibrationThreads, collectStats, DEFAULT_PERCENTILE, type CalibMethod } from '../quant/calibrate.js';
import { layerSqnr, type LayerSqnr } from '../quant/sqnr.js';
import { parseBits } from '../quant/widths.js';
import { LayerInputCollector } from '../quant/layer-inputs.js';
import { quantizeRounded } from '../passes/quantize-rounded.js';
import { parseRounding, ROUNDING_METHODS, type RoundingMethod } from '../quant/rounding.js';
import { progressBar, type ProgressStream } from './progress.js';

/** The calibration options shared by `quantize`, `run --int` and `inspect --quantized`. */
export interface CalibCliOptions {
  calib: string[];
  calibMethod?: string;
  percentile?: string | number;
  perTensor?: boolean;
  /** --bits: w8a8 (default), w4a8. */
  bits?: string;
  /** Worker threads for calibration (default: every core for a large network, else 1). */
  threads?: string | number;
  /** --rounding: nearest (default), bias-correction, adaround. */
  rounding?: string;
  /** Refuse ops without an int8 kernel instead of running them in float. */
  int8Only?: boolean;
  /** Comma-separated node names to keep in float (repeatable). */
  floatNodes?: string[];
}

/** --bits, shared by quantize, run, inspect and compile. */
export function bitsOption(): Option {
  return new Option('--bits <widths>', 'weight and activation bit-widths of every layer: w8a8 (default) or w4a8 (int4 weights, int8 activations)');
}

/** --rounding, shared by quantize and compile. */
export function roundingOption(): Option {
  return new Option('--rounding <method>', `how weights are rounded, on the calibration data: ${ROUNDING_METHODS.join(', ')} (default nearest)`);
}

/** The quantizer options of the command line (less the rounding's calibration inputs). */
function quantizeOptions(o: CalibCliOptions): QuantizeOptions {
  const widths = parseBits(o.bits);
  const rounding = parseRounding(o.rounding);
  const names = (o.floatNodes ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return { perTensorWeights: o.perTensor === true, widths, rounding, int8Only: o.int8Only === true, ...(names.length > 0 ? { floatNodes: new Set(names) } : {}) };
}

/** True when an imported graph is a QDQ / QOperator model. */
export function isQuantizedModel(graph: Graph): boolean {
  return graph.nodes.some((n) => inGroup('onnxQuantized', n.op));
}

/** Parses and checks --calib-method and --percentile. */
export function parseCalibOptions(o: CalibCliOptions): { method: CalibMethod; percentile: number; threads?: number } {
  const method = (o.calibMethod ?? 'minmax') as CalibMethod;
  if (!CALIB_METHODS.includes(method)) {
    throw new CompileError(ErrorCode.BadInput, `--calib-method '${o.calibMethod}' is unknown`, {}, `Use one of: ${CALIB_METHODS.join(', ')}.`);
  }
  const percentile = o.percentile === undefined ? DEFAULT_PERCENTILE : Number(o.percentile);
  if (!(percentile > 0 && percentile <= 100)) {
    throw new CompileError(ErrorCode.BadInput, `--percentile '${o.percentile}' is not a number in (0, 100]`, {}, 'Use e.g. --percentile 99.99.');
  }
  if (o.threads === undefined) return { method, percentile };
  const threads = Number(o.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new CompileError(ErrorCode.BadInput, `--threads '${o.threads}' is not a whole number from 1 to 256`, {}, 'Use e.g. --threads 4, or leave it out to use every core.');
  }
  return { method, percentile, threads };
}

/** A float model quantized in memory: the optimized float graph and the quantizer's result. */
export interface QuantizedModel {
  float: Graph;
  result: QuantizeResult;
  method: CalibMethod;
  samples: number;
  rounding: RoundingMethod;
}

/** Optimizes an imported float graph, calibrates it on --calib data, and quantizes it; `ctx`
 * reaches the passes (e.g. the target being compiled for). */
export function quantizeInMemory(imported: Graph, o: CalibCliOptions, stream?: ProgressStream, ctx: PassContext = {}): QuantizedModel {
  if (isQuantizedModel(imported)) {
    throw new CompileError(ErrorCode.BadInput, 'the model is already quantized (it has QuantizeLinear/DequantizeLinear or QLinear* nodes)', {},
      'Run it as it is (qgc run --int model.onnx), without --calib.');
  }
  const { method, percentile, threads } = parseCalibOptions(o);
  const options = quantizeOptions(o);
  const rounding = options.rounding ?? 'nearest';
  const float = runPipeline(imported, optimizationPasses, ctx);
  requireInt8Forms(float, options); // every node without an int8 form (or float kernels), before the (slow) calibration
  const source = openCalibration(float, o.calib);
  const bar = progressBar('calibrating', stream);
  // Bias correction and AdaRound read the layers' inputs, gathered in the same pass.
  const collector = rounding === 'nearest' ? undefined : new LayerInputCollector(float);
  let stats;
  try {
    // The layer inputs of bias correction and AdaRound are collected on this thread.
    stats = collectStats(float, source.samples(), {
      onProgress: (f) => bar.update(f), threads: collector ? 1 : threads ?? calibrationThreads(float), onSample: collector && ((env) => collector.add(env)),
    });
  } finally {
    bar.done();
  }
  const ranges = calibrationRanges(stats, { method, percentile });
  let result;
  if (collector) {
    const roundingBar = progressBar(`rounding (${rounding})`, stream);
    try {
      result = quantizeRounded(float, ranges, options, collector.result(), source, (f) => roundingBar.update(f));
    } finally {
      roundingBar.done();
    }
  } else {
    result = quantizeGraph(float, ranges, options);
  }
  return { float, result, method, samples: stats.samples, rounding };
}

/** Writes bytes to `path` through a temporary file, so a failure leaves nothing behind. */
export function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.qgc-tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CompileError(ErrorCode.FileWrite, `cannot write file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path },
      'Check that the folder exists and is writable.');
  }
}

/** `qgc quantize`: quantizes and writes a QDQ ONNX model; returns the summary to print. */
export function quantizeToFile(imported: Graph, o: CalibCliOptions, output: string, stream?: ProgressStream): { summary: string; warnings: string[] } {
  const q = quantizeInMemory(imported, o, stream);
  const bytes = exportQdq(q.result.graph);
  writeAtomically(output, bytes);
  const ops = q.result.graph.nodes.filter((n) => n.op.startsWith('Q') && n.op !== 'Quantize').length;
  const summary = `wrote ${output} (${bytes.length} bytes): ${ops} int8 ops, ${o.bits ?? 'w8a8'}, ${q.rounding} rounding, weights ${o.perTensor ? 'per tensor' : 'per channel'}, ` +
    `activations calibrated by ${q.method} on ${q.samples} sample${q.samples === 1 ? '' : 's'}\n`;
  return { summary, warnings: q.result.warnings };
}

/** What `int8GraphFor` tells the user, per command: the flags it names are that command's own. */
const INT8_USAGE = {
  run: {
    noCalib: ['--int on a float model needs calibration data', 'Add --calib calib.npy (float32 samples along axis 0), or quantize it first with qgc quantize.'],
    quantized: 'Drop --calib to run the model with its own scales.',
  },
  compile: {
    noCalib: ['compiling a float model needs calibration data (--calib)', 'Add --calib calib.npy (float32 samples along axis 0; NAME=file.npy per input), or compile a model quantized already (qgc quantize writes one).'],
    quantized: 'Drop --calib to compile the model with its own scales.',
  },
} as const;

/** The int8 graph `qgc run --int` and `qgc compile` run: a QDQ model lowered, or a float model
 * quantized with --calib; `command` picks the flags the errors name. */
export function int8GraphFor(imported: Graph, o: CalibCliOptions, stream?: ProgressStream, ctx: PassContext = {}, command: keyof typeof INT8_USAGE = 'run'): { graph: Graph; warnings: string[] } {
  const usage = INT8_USAGE[command];
  if (isQuantizedModel(imported)) {
    if (o.calib.length > 0) {
      throw new CompileError(ErrorCode.BadInput, 'the model is already quantized; --calib is for float models', {}, usage.quantized);
    }
    if (o.bits !== undefined) {
      throw new CompileError(ErrorCode.BadInput, 'the model is already quantized; --bits is for float models', {}, 'Drop --bits: a QDQ model keeps the widths its tensors have.');
    }
    if (o.rounding !== undefined) {
      throw new CompileError(ErrorCode.BadInput, 'the model is already quantized; --rounding is for float models', {}, 'Drop --rounding: a QDQ model keeps its integer weights.');
    }
    const warnings: string[] = [];
    const { int8Only, floatNodes } = quantizeOptions(o);
    return { graph: lowerQdq(imported, { int8Only, ...(floatNodes ? { floatNodes } : {}), warn: (m) => warnings.push(m) }), warnings };
  }
  if (o.calib.length === 0) throw new CompileError(ErrorCode.BadInput, usage.noCalib[0], {}, usage.noCalib[1]);
  const q = quantizeInMemory(imported, o, stream, ctx);
  return { graph: q.result.graph, warnings: q.result.warnings };
}

/** One row of `inspect --quantized`. */
export interface QuantizedLayer {
  node: string;
  op: string;
  output: string;
  /** Output scale and zero point (int8 outputs). */
  scale?: number;
  zeroPoint?: number;
  /** Smallest and largest weight scale (ops with weights). */
  weightScaleMin?: number;
  weightScaleMax?: number;
  /** e.g. 'w8/a8/b32': weight, activation and bias bit-widths ('f32' for a float output). */
  bits: string;
  /** SQNR of the output against float on the calibration data, dB. */
  sqnrDb?: number;
}

/** Per-layer parameters of an int8 graph, with SQNR from `sqnr` (float tensor → row) when given. */
export function quantizedLayers(graph: Graph, sqnr?: readonly LayerSqnr[]): QuantizedLayer[] {
  const byInt8 = new Map((sqnr ?? []).map((s) => [s.int8, s.sqnrDb]));
  return graph.nodes.map((n) => {
    const out = graph.tensors.get(n.outputs[0]);
    const w = n.op === 'QConv' || n.op === 'QFullyConnected' ? graph.tensors.get(n.inputs[1]) : undefined;
    const b = w && n.inputs[2] ? graph.tensors.get(n.inputs[2]) : undefined;
    // The width the quantized IR records (QuantParams.bits), else the storage type's.
    const bitsOf = (t: Tensor | undefined) => (t === undefined ? '' : t.quant ? String(t.quant.bits) : t.dtype.replace(/^u?int/, '').replace('float', 'f'));
    const act = out && out.dtype.startsWith('float') ? bitsOf(out) : `a${bitsOf(out)}`;
    const bits = [w ? `w${bitsOf(w)}` : '', act, b ? `b${bitsOf(b)}` : ''].filter((s) => s !== '').join('/');
    const row: QuantizedLayer = { node: n.name, op: n.op, output: n.outputs[0], bits };
    if (out?.quant) {
      row.scale = out.quant.scale[0];
      row.zeroPoint = out.quant.zeroPoint[0];
    }
    if (w?.quant) {
      row.weightScaleMin = Math.min(...w.quant.scale);
      row.weightScaleMax = Math.max(...w.quant.scale);
    }
    const s = byInt8.get(n.outputs[0]);
    if (s !== undefined) row.sqnrDb = s;
    return row;
  });
}

/** `qgc inspect --quantized`: per-layer rows, with SQNR when the model was quantized here. */
export function inspectQuantized(imported: Graph, o: CalibCliOptions, stream?: ProgressStream): { layers: QuantizedLayer[]; note?: string } {
  if (isQuantizedModel(imported)) {
    if (o.calib.length > 0) throw new CompileError(ErrorCode.BadInput, 'the model is already quantized; --calib is for float models', {}, 'Drop --calib to list its own scales.');
    if (o.bits !== undefined) throw new CompileError(ErrorCode.BadInput, 'the model is already quantized; --bits is for float models', {}, 'Drop --bits: a QDQ model keeps the widths its tensors have.');
    return { layers: quantizedLayers(lowerQdq(imported)), note: 'SQNR needs the float model: run inspect --quantized on it with --calib.' };
  }
  if (o.calib.length === 0) throw new CompileError(ErrorCode.BadInput, '--quantized on a float model needs calibration data', {}, 'Add --calib calib.npy.');
  const q = quantizeInMemory(imported, o, stream);
  const bar = progressBar('comparing', stream);
  const source = openCalibration(q.float, o.calib);
  let sqnr: LayerSqnr[];
  try {
    sqnr = layerSqnr(q.float, q.result.graph, q.result.int8Of, (function* () {
      for (const s of source.samples()) {
        bar.update(s.progress);
        yield s;
      }
    })());
  } finally {
    bar.done();
  }
  return { layers: quantizedLayers(q.result.graph, sqnr) };
}

/** The `inspect --quantized` table. */
export function formatQuantizedLayers(layers: readonly QuantizedLayer[], note?: string): string {
  const num = (v: number | undefined) => (v === undefined ? '' : v.toPrecision(4));
  const rows = [['node', 'op', 'bits', 'out scale', 'out zp', 'w scale min', 'w scale max', 'SQNR dB']];
  for (const l of layers) {
    const sq = l.sqnrDb === undefined ? '' : Number.isFinite(l.sqnrDb) ? l.sqnrDb.toFixed(1) : l.sqnrDb > 0 ? 'inf' : '-inf';
    rows.push([l.node, l.op, l.bits, num(l.scale), l.zeroPoint === undefined ? '' : String(l.zeroPoint), num(l.weightScaleMin), num(l.weightScaleMax), sq]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const text = rows.map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
  return text + '\n' + (note ? `\n${note}\n` : '');
}

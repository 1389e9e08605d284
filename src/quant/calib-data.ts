/**
 * Calibration data: `.npy` batches (samples stacked along axis 0), ONNX TensorProto `.pb`
 * files, or folders of either, read one file at a time so memory stays bounded by the largest
 * file. Every sample is checked before it reaches the interpreter: dtype (float32; float64 is
 * converted), shape (the model's input shape, a stack of them, or one sample without the
 * batch axis when the model's batch is 1) and finiteness (NaN/Infinity name the file and the
 * sample index). Each check failure is a CompileError naming the file.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CompileError, ErrorCode } from '../errors.js';
import { elementCount, type Graph } from '../ir/graph.js';
import { sampleAt, samplesIn } from '../interp/batch.js';
import type { Value } from '../interp/types.js';
import { readNpy } from '../io/npy.js';
import { readFileChecked } from '../onnx/load.js';
import { decodeTensor } from '../onnx/proto.js';
import { tensorFromProto } from '../onnx/tensor.js';

/** One calibration sample: a value per graph input, and where it came from. */
export interface CalibSample {
  feeds: Map<string, Value>;
  /** The file of the first input's value. */
  file: string;
  /** Index of the sample along axis 0 of that file. */
  index: number;
  /** Fraction of the whole data set done once this sample is processed, in (0, 1]. */
  progress: number;
}

/** Calibration data opened from file and folder names; nothing is read until iterated. */
export interface CalibSource {
  /** Files per graph input, in reading order. */
  files: Map<string, string[]>;
  /** Yields every sample in order, reading one file per input at a time. */
  samples(): Generator<CalibSample>;
}

const DATA_EXTS = new Set(['.npy', '.pb']);

function badInput(message: string, file: string | undefined, hint: string, tensor?: string): CompileError {
  return new CompileError(ErrorCode.BadInput, message, { ...(file === undefined ? {} : { file }), ...(tensor === undefined ? {} : { tensor }) }, hint);
}

/** The data files a path names: itself, or the .npy/.pb files of a folder sorted by name. */
export function dataFiles(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new CompileError(ErrorCode.FileRead, `cannot read calibration data (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path }, 'Check the --calib path.');
  }
  if (!isDir) {
    if (!DATA_EXTS.has(extname(path).toLowerCase())) {
      throw badInput('calibration data must be a .npy or .pb file or a folder of them', path, 'Save the samples with numpy.save (float32, samples along axis 0).');
    }
    return [path];
  }
  const files = readdirSync(path)
    .filter((f) => DATA_EXTS.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw badInput('the calibration folder holds no .npy or .pb files', path, 'Put one .npy (or TensorProto .pb) file per batch of samples in it.');
  return files;
}

/** Reads one calibration file as a value. */
export function readDataFile(file: string, input: string): Value {
  if (extname(file).toLowerCase() === '.pb') {
    const proto = decodeTensor(readFileChecked(file), file);
    const t = tensorFromProto(proto, proto.name || input, {}, { file });
    return { dtype: t.dtype, shape: t.shape, data: t.data! };
  }
  return readNpy(file);
}

/**
 * Splits a file's value into model-shaped samples (checking dtype and shape); float64 is
 * converted to float32.
 */
export function splitSamples(graph: Graph, input: string, v: Value, file: string): Value[] {
  const t = graph.tensors.get(input)!;
  const shape = t.shape;
  if (v.dtype !== 'float32' && v.dtype !== 'float64') {
    throw badInput(`calibration data for input '${input}' is ${v.dtype}; the model takes float32`, file,
      'Save the samples as float32, preprocessed exactly as for inference (e.g. x.astype(numpy.float32) / 255).', input);
  }
  const f32: Value = v.dtype === 'float32' ? v : { dtype: 'float32', shape: v.shape, data: Float32Array.from(v.data as Float64Array) };
  const batch = shape.length > 0 ? shape[0] : 1;
  // A stack of model-shaped samples, or one sample saved without the model's batch dim of 1.
  let count = samplesIn(shape, f32);
  if (count === undefined && batch === 1 && v.shape.length === shape.length - 1 && v.shape.every((d, i) => d === shape[i + 1])) count = 1;
  if (count === undefined || elementCount(shape) === 0) {
    throw badInput(`calibration data for input '${input}' has shape [${v.shape.join(', ')}]; the model takes [${shape.join(', ')}]`, file,
      `Stack samples along axis 0: shape [N${shape.slice(1).map((d) => `, ${d}`).join('')}]${batch === 1 ? '' : ` with N a multiple of ${batch}`}.`, input);
  }
  return Array.from({ length: count }, (_, k) => sampleAt(shape, f32, k));
}

/** Throws when a sample holds NaN or Infinity, naming the file and the sample index. */
export function checkFinite(v: Value, input: string, file: string, index: number): void {
  const d = v.data as Float32Array;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw badInput(`calibration sample ${index} of input '${input}' holds ${d[i]} (element ${i})`, file,
        'Calibration data must be finite; drop or repair that sample.', input);
    }
  }
}

/**
 * Opens calibration data from `--calib` values: `path` (models with one input) or
 * `name=path` (one per input), each path a .npy or .pb file or a folder of them. With several
 * inputs, file k of every input is read together and must hold as many samples.
 */
export function openCalibration(graph: Graph, specs: readonly string[]): CalibSource {
  if (specs.length === 0) throw badInput('no calibration data given', undefined, 'Pass --calib calib.npy (float32 samples along axis 0).');
  for (const name of graph.inputs) {
    const dtype = graph.tensors.get(name)!.dtype;
    if (dtype !== 'float32') {
      throw new CompileError(ErrorCode.UnsupportedDType, `graph input '${name}' is ${dtype}; qgc quantizes models with float32 inputs`, { tensor: name },
        'Export the model with float32 inputs.');
    }
  }
  const files = new Map<string, string[]>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && graph.inputs.includes(spec.slice(0, eq));
    const name = named ? spec.slice(0, eq) : graph.inputs.length === 1 ? graph.inputs[0] : undefined;
    if (name === undefined) {
      throw badInput(`the model has ${graph.inputs.length} inputs; name the one '${spec}' is for`, undefined, `Use --calib NAME=path for each of: ${graph.inputs.join(', ')}.`);
    }
    if (files.has(name)) throw badInput(`calibration data for input '${name}' is given twice`, undefined, 'Give one file or folder per input.', name);
    files.set(name, dataFiles(named ? spec.slice(eq + 1) : spec));
  }
  for (const name of graph.inputs) {
    if (!files.has(name)) throw badInput(`no calibration data for graph input '${name}'`, undefined, `Add --calib ${name}=path.`, name);
  }
  const first = graph.inputs[0];
  const fileCount = files.get(first)!.length;
  for (const [name, list] of files) {
    if (list.length !== fileCount) {
      throw badInput(`input '${name}' has ${list.length} calibration files, input '${first}' has ${fileCount}`, undefined, 'Give every input the same number of files.', name);
    }
  }
  return {
    files,
    *samples() {
      for (let f = 0; f < fileCount; f++) {
        const perInput = new Map<string, Value[]>();
        for (const name of graph.inputs) {
          const file = files.get(name)![f];
          const parts = splitSamples(graph, name, readDataFile(file, name), file);
          parts.forEach((p, i) => checkFinite(p, name, file, i));
          perInput.set(name, parts);
        }
        const count = perInput.get(first)!.length;
        for (const [name, parts] of perInput) {
          if (parts.length !== count) {
            throw badInput(`file holds ${parts.length} samples for input '${name}', but ${count} for input '${first}'`, files.get(name)![f], 'Give every input as many samples.', name);
          }
        }
        for (let i = 0; i < count; i++) {
          const feeds = new Map(graph.inputs.map((name) => [name, perInput.get(name)![i]] as const));
          yield { feeds, file: files.get(first)![f], index: i, progress: (f + (i + 1) / count) / fileCount };
        }
      }
    },
  };
}

/** Loading a model from disk: size limits, protobuf decoding, external data confined
 * to the model's own folder. */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { importModel, type ImportOptions } from './import.js';
import { decodeModel, type ModelProto } from './proto.js';
import { checkDeclaredTypes, validateModel } from './validate.js';

/** Largest .onnx file read into memory (external data is read tensor by tensor). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

export function readFileChecked(path: string, maxBytes = MAX_MODEL_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CompileError(ErrorCode.FileRead, `cannot open file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path },
      'Check the path and its permissions.');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CompileError(ErrorCode.FileRead, 'not a regular file', { file: path }, 'Pass the path of a file.');
    if (st.size > maxBytes) {
      throw new CompileError(ErrorCode.AbsurdSize, `file is ${st.size} bytes, over the ${maxBytes}-byte limit`, { file: path },
        'Save large weights as external data next to the model.');
    }
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Returns a reader for external data that refuses any location outside `modelDir`. */
export function externalDataReader(modelDir: string) {
  const root = realpathSync(modelDir);
  return (location: string, offset: number, length: number | undefined, where: ErrorLocation): Uint8Array => {
    const refuse = (why: string) =>
      new CompileError(ErrorCode.ExternalData, `external data '${location}' ${why}`, where,
        "External data files must sit inside the model's folder; move them there and use a relative location.");
    if (location.includes('\0')) throw refuse('has a NUL byte in its name');
    if (isAbsolute(location) || /^[a-zA-Z]:[\\/]/.test(location) || location.startsWith('\\')) throw refuse('is an absolute path');
    const target = resolve(root, location);
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw refuse('cannot be found');
    }
    const rel = relative(root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) throw refuse("resolves outside the model's folder");
    const size = statSync(real).size;
    const len = length ?? size - offset;
    if (offset + len > size || len < 0) throw refuse(`is ${size} bytes; offset ${offset} + length ${len} runs past its end`);
    const buf = new Uint8Array(len);
    const fd = openSync(real, 'r');
    try {
      let done = 0;
      while (done < len) {
        const n = readSync(fd, buf, done, len - done, offset + done);
        if (n === 0) break;
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    return buf;
  };
}

export interface LoadedModel {
  proto: ModelProto;
  graph: Graph;
}

/** Reads, decodes and imports an .onnx file. Every failure is a CompileError. */
/** Import options, plus `shapesFor`: the input shapes worked out from the decoded model (its
 * declared dims) instead of given up front; it replaces `inputShapes`. */
export interface LoadOptions extends ImportOptions {
  shapesFor?: (proto: ModelProto) => ReadonlyMap<string, readonly number[]>;
}

export function loadModel(path: string, opts: Omit<LoadOptions, 'readExternal' | 'file'> = {}): LoadedModel {
  const bytes = readFileChecked(path);
  return loadModelBytes(bytes, { ...opts, file: path, readExternal: externalDataReader(dirname(resolve(path))) });
}

/** Decodes and imports model bytes (external data only if `opts.readExternal` is given). */
export function loadModelBytes(bytes: Uint8Array, opts: LoadOptions = {}): LoadedModel {
  const proto = decodeModel(bytes, opts.file);
  try {
    validateModel(proto, opts.file);
    const graph = importModel(proto, opts.shapesFor ? { ...opts, inputShapes: opts.shapesFor(proto) } : opts);
    checkDeclaredTypes(proto, graph, opts.file);
    return { proto, graph };
  } catch (e) {
    if (e instanceof CompileError) throw e;
    // A corrupted file can reach states no importer anticipated (a RangeError from a typed array,
    // a deeply nested message): report it as a malformed model, never as a crash.
    const why = e instanceof Error ? e.message : String(e);
    throw new CompileError(ErrorCode.MalformedModel, `the model could not be imported (${why})`, opts.file === undefined ? {} : { file: opts.file },
      'The file is probably corrupted; re-export it. If it loads in onnx.checker, report this as a qgc bug.');
  }
}

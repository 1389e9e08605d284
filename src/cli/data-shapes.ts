/**
 * Symbolic input dims bound from the data a command is given (`qgc run --input`, `quantize
 * --calib`, `inspect --input`): where `--input-shape` does not set an input, each of its
 * symbolic dims takes the size the .npy file states (its header only is read), and a one-line
 * note says so. The leading dim of an input of rank ≥ 2 is the batch: it stays 1, so a file
 * that stacks samples along axis 0 still runs sample by sample. `compile` has no data: there a
 * symbolic dim other than the batch must be set with `--input-shape` (requireStaticDims).
 */
import { statSync } from 'node:fs';
import { CompileError, ErrorCode } from '../errors.js';
import { readNpyShape } from '../io/npy.js';
import { declaredInputDims, dimLabel, type DeclaredDim } from '../onnx/input-dims.js';
import type { ModelProto } from '../onnx/proto.js';

const isSymbolic = (d: DeclaredDim): d is { symbol: string } => typeof d === 'object';
/** The batch dim: the leading dim of an input of rank ≥ 2. */
const isBatch = (i: number, rank: number): boolean => i === 0 && rank >= 2;

/** `file.npy` / `name=file.npy` specs by input; specs that name no input are left to the
 * command's own reader to report. */
function filesByInput(inputs: readonly string[], specs: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && inputs.includes(spec.slice(0, eq));
    const name = named ? spec.slice(0, eq) : inputs.length === 1 ? inputs[0] : undefined;
    if (name !== undefined && !files.has(name)) files.set(name, named ? spec.slice(eq + 1) : spec);
  }
  return files;
}

function isNpyFile(path: string): boolean {
  try {
    return path.toLowerCase().endsWith('.npy') && statSync(path).isFile();
  } catch {
    return false; // the command's reader reports a missing file
  }
}

/**
 * The input shapes for `proto`: `explicit` (from --input-shape), plus, for every other input
 * with a symbolic dim besides the batch, the shape bound from its data file in `specs`. Data of
 * the model's rank gives dim i from its dim i; data one rank lower (one sample without the
 * batch) from its dim i − 1. `note` gets one line per input bound.
 */
export function shapesFromData(proto: ModelProto, explicit: ReadonlyMap<string, readonly number[]>, specs: readonly string[],
  note: (line: string) => void): Map<string, readonly number[]> {
  const out = new Map(explicit);
  const declared = declaredInputDims(proto);
  const files = filesByInput([...declared.keys()], specs);
  for (const [name, dims] of declared) {
    const file = files.get(name);
    if (explicit.has(name) || !dims || !file) continue;
    if (!dims.some((d, i) => isSymbolic(d) && !isBatch(i, dims.length)) || !isNpyFile(file)) continue;
    const data = readNpyShape(file);
    const offset = data.length === dims.length ? 0 : data.length === dims.length - 1 ? -1 : undefined;
    if (offset === undefined) continue; // the reader names the rank mismatch
    const bound: string[] = [];
    const shape = dims.map((d, i) => {
      if (!isSymbolic(d)) return d;
      if (isBatch(i, dims.length)) return 1;
      const size = data[i + offset];
      bound.push(`${dimLabel(i, d)} = ${size}`);
      return size;
    });
    if (shape.some((s) => !(s >= 1))) continue; // an empty dim: the reader refuses the data
    out.set(name, shape);
    note(`note: input '${name}' ${bound.join(', ')} from ${file}\n`);
  }
  return out;
}

/**
 * For `compile`, which has no data: every symbolic dim other than the batch must be set by
 * --input-shape. Returns `explicit` as it is, or throws naming the dim and the option.
 */
export function requireStaticDims(proto: ModelProto, explicit: ReadonlyMap<string, readonly number[]>): ReadonlyMap<string, readonly number[]> {
  for (const [name, dims] of declaredInputDims(proto)) {
    if (explicit.has(name) || !dims) continue;
    const i = dims.findIndex((d, k) => isSymbolic(d) && !isBatch(k, dims.length));
    if (i < 0) continue;
    const example = dims.map((d, k) => (!isSymbolic(d) ? String(d) : isBatch(k, dims.length) ? '1' : (d.symbol || `D${k}`).toUpperCase())).join('x');
    throw new CompileError(ErrorCode.BadInput,
      `input '${name}' ${dimLabel(i, dims[i])} is symbolic; compiled code needs every size at compile time`, { tensor: name },
      `Set the shape with --input-shape ${name}=${example} (sizes for the symbolic dims).`);
  }
  return explicit;
}

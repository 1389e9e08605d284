/**
 * What verifying a folder through its own JavaScript loader (`<name>.js` of the Wasm and WebGPU
 * backends) needs besides the loader: the samples and the interpreter's reference from the
 * `--inputs` given, the loader module itself, and the conversions between the loader's
 * per-name inputs/outputs and the flat bytes `compare.ts` reads.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../interp/types.js';
import { specsByInput } from '../io/feeds.js';
import { readNpy } from '../io/npy.js';
import { reference, samplesOf, type Reference } from './reference.js';

/** `--inputs`: .npy paths (`name=file` per input), or values already read. */
export type LoaderInputs = string | readonly string[] | Value | ReadonlyMap<string, Value>;

/** The samples of `inputs` (at most `limit`) and the interpreter's outputs on them. */
export function loaderReference(graph: Graph, inputs: LoaderInputs, limit = Infinity): Reference {
  const specs = typeof inputs === 'string' ? [inputs] : Array.isArray(inputs) ? (inputs as readonly string[]) : undefined;
  const files = specs ? specsByInput(graph.inputs, specs, '--inputs') : undefined;
  const x = files ? new Map([...files].map(([n, f]) => [n, readNpy(f)])) : (inputs as Value | ReadonlyMap<string, Value>);
  return reference(graph, samplesOf(graph, x, limit, files));
}

/** Imports the folder's `<name>.js` loader. */
export async function importLoader<L>(dir: string, name: string): Promise<L> {
  const file = join(dir, `${name}.js`);
  if (!existsSync(file)) throw new CompileError(ErrorCode.BadInput, `no ${name}.js in the folder`, { file: dir }, 'Compile the model again with qgc compile.');
  return (await import(pathToFileURL(file).href)) as L;
}

/** The bytes of several outputs, one after the other (as compare.ts reads them). */
export function bytesOf(parts: readonly ArrayBufferView[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    o += p.byteLength;
  }
  return out;
}

/** Splits a sample's concatenated inputs by input, keyed by API name. */
export function byName<T extends Int8Array | Float32Array>(ref: Reference, all: T): Record<string, T> {
  const out: Record<string, T> = Object.create(null) as Record<string, T>;
  let o = 0;
  for (const i of ref.inputs) {
    out[i.name] = all.subarray(o, o + i.size) as T;
    o += i.size;
  }
  return out;
}

/** A loader's result (one array, or one per output name) as a list in output order. */
export function outputsInOrder<T>(outputs: readonly { name: string }[], r: T | Record<string, T>): T[] {
  return outputs.length === 1 ? [r as T] : outputs.map((o) => (r as Record<string, T>)[o.name]);
}

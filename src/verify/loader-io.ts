/**
 * What verifying a folder through its own JavaScript loader (`<name>.js` of the Wasm and WebGPU
 * backends) needs besides the loader: the samples and the interpreter's reference from the
 * `--inputs` given, the loader module itself, and the conversions between the loader's
 * per-name inputs/outputs and the flat bytes `compare.ts` reads.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { graphFromJson } from '../ir/serialize.js';
import type { Value } from '../interp/types.js';
import { specsByInput } from '../io/feeds.js';
import { readNpy } from '../io/npy.js';
import { reference, samplesOf, type Reference } from './reference.js';

/** A folder a backend with a JavaScript loader wrote: its report and the integer graph. */
export interface LoaderFolder<R> {
  dir: string;
  name: string;
  report: R;
  graph: Graph;
}

function fail(message: string, file: string, hint = 'Compile the model again with qgc compile.'): CompileError {
  return new CompileError(ErrorCode.BadInput, message, { file }, hint);
}

function reportNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('_report.json')).map((f) => f.slice(0, -'_report.json'.length));
}

/** True when `dir` holds one network whose report says `backend: <backend>`. */
export function isBackendFolder(dir: string, backend: string, name?: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  const names = name !== undefined ? [name] : reportNames(dir);
  if (names.length !== 1) return false;
  try {
    const r = JSON.parse(readFileSync(join(dir, `${names[0]}_report.json`), 'utf8')) as { backend?: unknown };
    return r.backend === backend;
  } catch {
    return false;
  }
}

/** Reads the report (checked by `reportOk`) and the integer graph (`<name>_schedule.json`, whose
 * `kernels` must be `backend`) of a folder; `label` names the backend in errors. */
export function readBackendFolder<R extends { backend?: unknown; name?: unknown }>(dir: string, name: string | undefined, backend: string, label: string,
  reportOk: (report: R) => boolean): LoaderFolder<R> {
  const names = name !== undefined ? [name] : reportNames(dir);
  if (names.length !== 1) throw fail(names.length ? `several networks in one folder (${names.join(', ')})` : 'no <name>_report.json here', dir, 'Choose one with --name.');
  const net = names[0];
  const reportFile = join(dir, `${net}_report.json`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as R;
  if (report.backend !== backend || report.name !== net || !reportOk(report)) throw fail(`not the report of a ${label} network`, reportFile);
  const file = join(dir, `${net}_schedule.json`);
  if (!existsSync(file)) throw fail(`no ${net}_schedule.json in the folder: verify rebuilds the integer graph from it`, dir);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`, file);
  }
  if (doc.format !== 'qgc-schedule' || doc.formatVersion !== 1 || doc.name !== net || doc.kernels !== backend) throw fail(`not a qgc-schedule (version 1) of this ${label} network`, file);
  return { dir, name: net, report, graph: graphFromJson(doc.graph, file) };
}

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
  if (!existsSync(file)) throw fail(`no ${name}.js in the folder`, dir);
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

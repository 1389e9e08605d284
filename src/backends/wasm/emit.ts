/**
 * The Wasm backend's entry point: quantized IR graph → `<name>.wasm` (SIMD128, when the target
 * has it), `<name>.scalar.wasm`, the loader `<name>.js` with its types `<name>.d.ts`,
 * `<name>_schedule.json` (the schedule and the int8 graph, for `qgc verify`) and
 * `<name>_report.json`. Every check that can fail runs before the first file is written; the
 * output depends only on the inputs.
 */
import { readFileSync } from 'node:fs';
import { CompileError, ErrorCode } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { graphToJson } from '../../ir/serialize.js';
import { buildSchedule } from '../../schedule/build.js';
import { scheduleToJson } from '../../schedule/json.js';
import type { Boundary, Schedule } from '../../schedule/types.js';
import { loadAnyTarget, type WasmTarget } from '../../targets/target.js';
import { commentText, requireNetName } from '../c/identifiers.js';
import { checkOutputDir, writeOutputDir } from '../c/output-dir.js';
import { buildModule, ioMap, simdProbe, type BuiltModule, type IoPlace } from './module.js';
import { wasmProvider } from './provider.js';
import { renderWasm } from './render.js';
import { buildWasmReport, type WasmReport, type WasmVariant } from './report.js';

export interface CompileWasmOptions {
  /** Target name (`wasm`, `wasm-scalar`), a path to a target JSON, or a loaded target. */
  target: WasmTarget | string;
  /** File base name, e.g. `net`. */
  name: string;
  outDir?: string;
  force?: boolean;
  /** Inline the modules as base64 in `<name>.js`. */
  embed?: boolean;
  modelName?: string;
}

export interface CompileWasmResult {
  files: Map<string, string | Uint8Array>;
  report: WasmReport;
  schedule: Schedule;
  /** The modules by variant (the scalar one always). */
  modules: Partial<Record<WasmVariant, Uint8Array>>;
}

function qgcVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The wasm target of `t` (a name, a file or a loaded target); a target of another kind fails. */
export function wasmTarget(t: WasmTarget | string): WasmTarget {
  const target = typeof t === 'string' ? loadAnyTarget(t) : t;
  if (target.kind !== 'wasm') {
    throw new CompileError(ErrorCode.BadInput, `target ${target.name} is of kind ${target.kind}; the Wasm backend compiles for kind wasm targets`, { file: target.file },
      'Use --target wasm or --target wasm-scalar.');
  }
  return target;
}

/** A JS property key for a name (quoted when it is not an identifier). */
const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));

function side(b: Boundary, p: IoPlace) {
  return { name: b.apiName, shape: [...b.shape], scale: Math.fround(b.scale), zeroPoint: b.zeroPoint, offset: p.offset, size: p.size };
}

/** Compiles a quantized graph to Wasm. Throws a CompileError (before writing anything) when it cannot. */
export function compileWasm(graph: Graph, opts: CompileWasmOptions): CompileWasmResult {
  requireNetName(opts.name);
  const target = wasmTarget(opts.target);
  const provider = wasmProvider();
  const schedule = buildSchedule(graph, provider);
  const name = opts.name;
  const base = { bulkMemory: target.features.bulkMemory, maximumPages: target.memory.maximumPages };
  const variants: { variant: WasmVariant; file: string; built: BuiltModule }[] = [];
  if (target.features.simd128) variants.push({ variant: 'simd', file: `${name}.wasm`, built: buildModule(schedule, provider, { ...base, simd: true }) });
  variants.push({ variant: 'scalar', file: `${name}.scalar.wasm`, built: buildModule(schedule, provider, { ...base, simd: false }) });
  if (opts.outDir !== undefined) checkOutputDir(opts.outDir, opts.force === true);

  const io = ioMap(schedule);
  const inputs = schedule.inputs.map((b, i) => side(b, io.inputs[i]));
  const outputs = schedule.outputs.map((b, i) => side(b, io.outputs[i]));
  const simd = variants.find((v) => v.variant === 'simd');
  const scalar = variants.find((v) => v.variant === 'scalar')!;
  const embed = opts.embed === true;
  const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const files = { simd: simd ? simd.file : null, scalar: scalar.file };
  const view = {
    file: `${name}.js`, dtsFile: `${name}.d.ts`, version: qgcVersion(), model: commentText(opts.modelName ?? graph.name),
    inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs), files, filesJson: JSON.stringify(files),
    steps: JSON.stringify(schedule.steps.map((s) => ({ index: s.index, name: s.kind === 'node' ? s.node.name : '', op: s.kind === 'node' ? s.node.op : 'LayoutCopy', kernel: s.choice.kernel }))),
    embedded: embed, embeddedJson: embed ? JSON.stringify({ simd: simd ? b64(simd.built.binary) : null, scalar: b64(scalar.built.binary) }) : 'null',
    probe: Array.from(simdProbe()).join(', '),
    single: inputs.length === 1 && outputs.length === 1,
    input: { key: key(inputs[0]?.name ?? 'input') },
  };
  const dtsView = {
    ...view,
    inputs: inputs.map((s) => ({ key: key(s.name), shape: s.shape.join(', ') })),
    outputs: outputs.map((s) => ({ key: key(s.name), shape: s.shape.join(', ') })),
  };
  const scheduleFile = `${name}_schedule.json`;
  const scheduleJson = JSON.stringify({
    format: 'qgc-schedule', formatVersion: 1, name, target: target.name, kernels: 'wasm', schedule: scheduleToJson(schedule), graph: graphToJson(graph),
  }, null, 1) + '\n';
  const names = [...variants.map((v) => v.file), `${name}.js`, `${name}.d.ts`, scheduleFile, `${name}_report.json`];
  const report = buildWasmReport({ name, target: target.name, files: names }, schedule, variants);
  const out = new Map<string, string | Uint8Array>([
    ...variants.map((v): [string, Uint8Array] => [v.file, v.built.binary]),
    [`${name}.js`, renderWasm('net.js', view)],
    [`${name}.d.ts`, renderWasm('net.d.ts', dtsView)],
    [scheduleFile, scheduleJson],
    [`${name}_report.json`, JSON.stringify(report, null, 2) + '\n'],
  ]);
  if (opts.outDir !== undefined) writeOutputDir(opts.outDir, out);
  return { files: out, report, schedule, modules: Object.fromEntries(variants.map((v) => [v.variant, v.built.binary])) };
}

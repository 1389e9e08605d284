/**
 * A folder written by `qgc compile`, as `qgc verify` reads it: `<name>_report.json` (name,
 * target, kernel provider), `<name>_schedule.json` (the integer graph the C was generated from,
 * exactly, as src/ir/serialize.ts writes it: a backend may fuse what QDQ ONNX cannot express, so
 * `<name>.qdq.onnx` is for users, not for verify) and the C sources.
 *
 * `regenerate` compiles that graph again in memory (for the folder's own target or another
 * one); `sourceDrift` compares the folder's files with what qgc generates now, which tells an
 * edited or stale file apart from a code generator bug when outputs differ.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, isaOf, type CompileCResult, type CompileSource, type KernelsOption } from '../backends/c/emit.js';
import type { CReport } from '../backends/c/report.js';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { graphFromJson } from '../ir/serialize.js';
import { loadTarget, type Target } from '../targets/target.js';

/** What verify needs from a compiled folder. */
export interface CompiledFolder {
  dir: string;
  /** The network's C prefix (`net`). */
  name: string;
  report: CReport;
  /** The target the folder was compiled for. */
  target: Target;
  kernels: KernelsOption;
  /** The integer graph, from `<name>_schedule.json`. */
  graph: Graph;
  /** The model name in the generated headers (for regenerating byte-identical files). */
  modelName: string | undefined;
  /** What the graph was made from (the identity macros), when the schedule file records it. */
  source: CompileSource | undefined;
}

function fail(message: string, file: string, hint: string): CompileError {
  return new CompileError(ErrorCode.BadInput, message, { file }, hint);
}

/** The network name: `name`, or the one `<name>_report.json` in the folder. */
function findName(dir: string, name: string | undefined): string {
  if (name !== undefined) return name;
  const reports = readdirSync(dir).filter((f) => f.endsWith('_report.json')).map((f) => f.slice(0, -'_report.json'.length));
  if (reports.length === 1) return reports[0];
  if (reports.length === 0) throw fail('no <name>_report.json here: not a folder written by qgc compile', dir, 'Pass the folder given to qgc compile -o.');
  throw fail(`several networks in one folder (${reports.join(', ')})`, dir, 'Choose one with --name.');
}

/** The format `<name>_schedule.json` declares, and the version this qgc reads. */
const SCHEDULE_FORMAT = 'qgc-schedule';
const SCHEDULE_VERSION = 1;

/** The integer graph in `<name>_schedule.json`, checked against the report, and its `source`. */
function readScheduleGraph(dir: string, net: string, report: CReport): { graph: Graph; source: CompileSource | undefined } {
  const file = join(dir, `${net}_schedule.json`);
  const again = 'Compile the model again with qgc compile.';
  if (!existsSync(file)) {
    throw fail(`no ${net}_schedule.json in the folder: verify rebuilds the integer graph from it`, dir,
      'Compile the model again with this qgc (qgc compile writes it; a folder written by an older qgc has none).');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`, file, again);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('not a JSON object', file, again);
  const s = doc as Record<string, unknown>;
  if (s.format !== SCHEDULE_FORMAT) throw fail(`the format is ${JSON.stringify(s.format)}, not "${SCHEDULE_FORMAT}"`, file, again);
  if (s.formatVersion !== SCHEDULE_VERSION) {
    throw fail(`formatVersion ${JSON.stringify(s.formatVersion)}: this qgc reads version ${SCHEDULE_VERSION}`, file, 'Compile the model again with this qgc, or verify with the qgc that compiled it.');
  }
  for (const k of ['name', 'target', 'kernels'] as const) {
    if (s[k] !== report[k]) throw fail(`${k} ${JSON.stringify(s[k])} is not the report's ${JSON.stringify(report[k])}`, file, again);
  }
  const src = s.source as { modelSha256?: unknown; options?: unknown } | undefined;
  const source = typeof src === 'object' && src !== null && typeof src.options === 'object' && src.options !== null && !Array.isArray(src.options)
    ? { ...(typeof src.modelSha256 === 'string' ? { modelSha256: src.modelSha256 } : {}), options: src.options as Record<string, unknown> }
    : undefined;
  return { graph: graphFromJson(s.graph, file), source };
}

/** Reads a folder written by `qgc compile`. Throws a CompileError naming what is missing. */
export function readCompiledFolder(dir: string, name?: string): CompiledFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fail('no such folder', dir, 'Pass the folder given to qgc compile -o.');
  const net = findName(dir, name);
  const reportFile = join(dir, `${net}_report.json`);
  if (!existsSync(reportFile)) throw fail(`no ${net}_report.json in the folder`, dir, 'Pass the folder given to qgc compile -o, and --name if it was not net.');
  let report: CReport;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as CReport;
  } catch (e) {
    throw fail(`the report is not valid JSON (${(e as Error).message})`, reportFile, 'Compile the model again with qgc compile.');
  }
  if (report.name !== net || typeof report.target !== 'string' || (report.kernels !== 'cmsis-nn' && report.kernels !== 'portable')) {
    throw fail('the report lacks the name, target or kernel provider', reportFile, 'Compile the model again with qgc compile.');
  }
  const { graph, source } = readScheduleGraph(dir, net, report);
  const header = join(dir, `${net}.h`);
  const m = existsSync(header) ? /generated by qgc \S+ from model '(.*)'\. Do not edit\./.exec(readFileSync(header, 'utf8')) : null;
  return { dir, name: net, report, target: loadTarget(report.target), kernels: report.kernels, graph, modelName: m ? m[1] : undefined, source };
}

/** The C qgc generates from the folder's graph for `target` (default: the folder's), in memory.
 * It exports QDQ only when the folder's report lists a `<name>.qdq.onnx` (the report must come
 * out the same), so a graph that QDQ cannot express regenerates too. */
export function regenerate(folder: CompiledFolder, target: Target = folder.target): CompileCResult {
  const qdq = Array.isArray(folder.report.files) && folder.report.files.includes(`${folder.name}.qdq.onnx`);
  return compileC(folder.graph, { target, kernels: folder.kernels, name: folder.name, modelName: folder.modelName, qdq, ...(folder.source ? { source: folder.source } : {}) });
}

/** True when the folder's own C can run on `target`: the kernels' scratch buffers and constant
 * data do not depend on the ISA (portable kernels), or the ISA is the folder's. The host runs
 * CMSIS-NN's plain C, which a DSP build's buffers cover; `<NAME>_CHECK_SCRATCH` checks that. */
export function runsAsIs(folder: CompiledFolder, target: Target | 'host'): boolean {
  if (folder.kernels === 'portable' || target === 'host') return true;
  return isaOf(target) === isaOf(folder.target);
}

/** A file whose text differs from what qgc generates now. */
export interface Drift {
  file: string;
  /** 1-based line of the first difference (0: the file is missing). */
  line: number;
}

const GENERATED_BY = /generated by qgc |_QGC_VERSION "/;

/** The report's text without the figures `qgc compile --measure` added (not generated code). */
function withoutMeasured(file: string, text: string): string {
  if (!file.endsWith('_report.json')) return text;
  try {
    const report = JSON.parse(text) as Record<string, unknown>;
    if (!('measured' in report)) return text;
    delete report.measured;
    return JSON.stringify(report, null, 2) + '\n';
  } catch {
    return text;
  }
}

/** Files of the folder that differ from `regenerated` (header lines naming the qgc version and
 * model, and the version macro, are not compared). Empty: the folder holds exactly what qgc generates from its graph. */
export function sourceDrift(folder: CompiledFolder, regenerated: CompileCResult): Drift[] {
  const out: Drift[] = [];
  for (const [file, text] of regenerated.files) {
    const path = join(folder.dir, file);
    if (!existsSync(path)) {
      out.push({ file, line: 0 });
      continue;
    }
    const want = text.split('\n');
    const got = withoutMeasured(file, readFileSync(path, 'utf8')).split('\n');
    const n = Math.max(want.length, got.length);
    for (let i = 0; i < n; i++) {
      if (want[i] !== got[i] && !(GENERATED_BY.test(want[i] ?? '') && GENERATED_BY.test(got[i] ?? ''))) {
        out.push({ file, line: i + 1 });
        break;
      }
    }
  }
  return out;
}

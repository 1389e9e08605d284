/**
 * The C backend's entry point: quantized IR graph → `<name>.h`, `<name>.c`, `<name>_weights.c`,
 * `<name>.cmake`, `<name>.mk`, qgc_kernels.{h,c} and `<name>_report.json` in one folder.
 *
 * Order of work: lower to a schedule (layouts, views, in-place), pick a kernel per step and size
 * its scratch buffer, plan the arena, build the view-models, render. Every check that can fail
 * (unsupported op or layer, bad name, occupied output folder) runs before the first file is
 * written. The output depends only on the inputs: same graph and options, same bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CompileError, ErrorCode } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { inGroup } from '../../ir/ops.js';
import { graphToJson } from '../../ir/serialize.js';
import { exportQdq } from '../../onnx/export-qdq.js';
import { buildSchedule } from '../../schedule/build.js';
import { scheduleToJson } from '../../schedule/json.js';
import { channelsLast, isRowMajor, sameBytes } from '../../schedule/layout.js';
import type { MemoryPlan } from '../../schedule/memory-plan.js';
import { isTranspose } from '../../schedule/summary.js';
import type { Boundary, Schedule, ScheduledTensor, Step } from '../../schedule/types.js';
import { loadTarget, type Target } from '../../targets/target.js';
import { arrayBody } from './array-text.js';
import { overshoots, overshootText, refuseOverBudget } from './budget.js';
import type { CmsisIsa } from './cmsis-buffers.js';
import { IdentifierTable, apiTags, commentText, macroPrefix, requireNetName } from './identifiers.js';
import { cFloat, cInt, renderStep, type CallContext, type CProvider, type KernelCall } from './kernel-call.js';
import { cmsisProvider } from './kernels-cmsis.js';
import { copyValues, portableProvider } from './kernels-portable.js';
import { checkOutputDir, writeOutputDir } from './output-dir.js';
import { cRenderer } from './render.js';
import { buildReport, type CReport } from './report.js';

export type KernelsOption = 'cmsis-nn' | 'portable';

export interface CompileCOptions {
  /** Target name (`cortex-m4`), path to a target JSON, or a loaded Target. */
  target: Target | string;
  kernels: KernelsOption;
  /** C prefix and file base name, e.g. `net`. */
  name: string;
  /** Output folder; nothing is written when undefined (tests, dry runs). */
  outDir?: string;
  /** Write into a folder that holds other files. */
  force?: boolean;
  /** Model name for the header comments (default: the graph's name). */
  modelName?: string;
  /** Also write the quantized graph as `<name>.qdq.onnx` (exportQdq), for tools that read QDQ
   * ONNX, when it has no nodes kept in float; the graph must then be exportable as QDQ. (`qgc verify` reads `<name>_schedule.json`.) */
  qdq?: boolean;
  /** Refuse (CompileError OverBudget) a network whose weights or arena + stack exceed the target
   * part's flash or SRAM, before writing; otherwise each overshoot goes to `warn`. */
  strictBudget?: boolean;
  /** Receives warnings (one line each, before anything is written). */
  warn?: (line: string) => void;
  /** What the graph was made from, for the identity macros (`<NAME>_MODEL_SHA256`,
   * `<NAME>_MODEL_HASH`): the ONNX file's bytes and the options that shaped the graph
   * (calibration method, data hashes...). Without it the hash covers the quantized graph. */
  source?: CompileSource;
}

/** What a compiled graph was made from (recorded in `<name>_schedule.json` as `source`, so that
 * `qgc verify` regenerates the same identity macros). */
export interface CompileSource {
  /** The ONNX file's bytes, or (from a schedule file) their SHA-256. */
  modelBytes?: Uint8Array;
  modelSha256?: string;
  /** Options besides target, kernels and name that shaped the graph (calibration...). */
  options?: Readonly<Record<string, unknown>>;
}

export interface CompileCResult {
  /** File name → content, in the order written. */
  files: Map<string, string>;
  report: CReport;
  schedule: Schedule;
  plan: MemoryPlan;
  /** The `<name>.qdq.onnx` bytes (with the `qdq` option). */
  qdq?: Uint8Array;
}

/** Bumped when qgc_kernels.h changes incompatibly (checked by the generated C). */
const KERNELS_VERSION = 3;

/** Alignment of the arena's start (`<NAME>_ARENA_ALIGNMENT`): the static arena's, and what
 * `<name>_init` asks of an external one. The plan aligns offsets within it (scratch to 4). */
const ARENA_ALIGNMENT = 16;

function qgcVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The ISA CMSIS-NN will compile for on this target. */
export function isaOf(target: Target): CmsisIsa {
  return target.features.mve ? 'mve' : target.features.dsp ? 'dsp' : 'plain';
}

/** The `#if` conditions (on the compiler's predefined macros, under `__ARM_ARCH_PROFILE == 'M'`)
 * that stop a cmsis-nn build of `<name>.c` for another ISA than `isa`, each with its message. */
export function isaChecks(name: string, target: Target, isa: CmsisIsa): { condition: string; message: string }[] {
  const made = `${name}.c was generated for ${target.name} (${isa === 'plain' ? 'no DSP or MVE' : isa.toUpperCase()})`;
  const fix = `compile it with the target's flags (${target.cflags.join(' ')}), or run qgc compile again with the --target of this core`;
  const needs = (feature: string, what: string) => ({ condition: `!defined(${feature})`, message: `${made} but this compiler targets a core without ${what} (${feature} is not defined): ${fix}` });
  const refuses = (feature: string, what: string) => ({ condition: `defined(${feature})`, message: `${made} but this compiler targets a core with ${what} (${feature} is defined), where CMSIS-NN takes other code paths: ${fix}` });
  if (isa === 'mve') return [needs('__ARM_FEATURE_MVE', 'MVE')];
  if (isa === 'dsp') return [needs('__ARM_FEATURE_DSP', 'the DSP extension'), refuses('__ARM_FEATURE_MVE', 'MVE')];
  return [refuses('__ARM_FEATURE_DSP', 'the DSP extension'), refuses('__ARM_FEATURE_MVE', 'MVE')];
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The identity macros' hashes: of the ONNX bytes alone, and over them (or, without them, the
 * quantized graph) with every option that shaped the output, as sorted-key JSON. */
function identityHashes(graph: Graph, opts: CompileCOptions, target: Target): { modelSha256: string; modelHash: string } {
  const modelBytes = opts.source?.modelBytes;
  const modelSha256 = modelBytes ? sha256(modelBytes) : opts.source?.modelSha256;
  const options = { ...opts.source?.options, target: target.name, kernels: opts.kernels, name: opts.name };
  const sorted = Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const model = modelSha256 ? { onnxSha256: modelSha256 } : { graphSha256: sha256(JSON.stringify(graphToJson(graph))) };
  return { modelSha256: modelSha256 ?? '', modelHash: sha256(JSON.stringify({ ...model, options: sorted })) };
}

/** The kernel provider for `kernels` on `target`. */
export function cProvider(target: Target, kernels: KernelsOption): CProvider {
  const isa = isaOf(target);
  return kernels === 'cmsis-nn' ? cmsisProvider(target, isa) : portableProvider(isa);
}

/** Compiles a quantized graph to C. Throws a CompileError (before writing anything) when it cannot. */
export function compileC(graph: Graph, opts: CompileCOptions): CompileCResult {
  requireNetName(opts.name);
  const target = typeof opts.target === 'string' ? loadTarget(opts.target) : opts.target;
  if (!target.kernels.providers.includes(opts.kernels)) {
    throw new CompileError(ErrorCode.BadInput, `target ${target.name} has no '${opts.kernels}' kernels`, { file: target.file },
      `Use --kernels ${target.kernels.providers.join(' or ')}.`);
  }
  const provider = cProvider(target, opts.kernels);
  const schedule = buildSchedule(graph, provider);
  const plan = schedule.plan;
  // QDQ ONNX has a form for qgc's int8 ops only: a graph with nodes kept in float is not written.
  const qdq = opts.qdq === true && !graph.nodes.some((n) => inGroup('floatFallback', n.op)) ? exportQdq(graph) : undefined;
  if (opts.outDir !== undefined) checkOutputDir(opts.outDir, opts.force === true);

  const name = opts.name;
  const ids = new IdentifierTable();
  ids.reserve(name, `${name}_run`, `${name}_run_f32`, `${name}_check_scratch`, `${name}_init`, `${name}_input_ptr`, `${name}_output_ptr`, `${name}_invoke`,
    'run_layers', 'input_offsets', 'output_offsets');
  const offset = (t: ScheduledTensor) => plan.offsets.get(t.storage.id)!;
  const calls: KernelCall[] = schedule.steps.map((step) => {
    const sc = step.kind === 'node' ? step.scratch : undefined;
    const stepId = ids.get(`${name}_`, step.kind === 'node' ? step.node.name : `copy_${step.index}`);
    const ctx: CallContext = { ids, stepId, offset, scratch: sc ? { offset: plan.offsets.get(sc.id)!, bytes: sc.bytes } : null, stepNumber: step.index };
    return renderStep(provider, step, ctx);
  });

  const NAME = macroPrefix(name);
  const r = cRenderer();
  // Float kernels (and libm) only for networks with float steps: int8 networks stay float-free.
  const hasFloat = schedule.steps.some((s) => (s.kind === 'node' ? s.output : s.dst).dtype === 'float32');
  const staticFiles = hasFloat ? [...r.staticFiles, r.floatFile] : r.staticFiles;
  // The schedule and the quantized graph, for qgc verify (which rebuilds the integer graph from
  // it) and for tools that want to know where every tensor lives.
  const scheduleFile = `${name}_schedule.json`;
  const identity = identityHashes(graph, opts, target);
  const scheduleJson = JSON.stringify({
    format: 'qgc-schedule', formatVersion: 1, name, target: target.name, kernels: opts.kernels, schedule: scheduleToJson(schedule), graph: graphToJson(graph),
    ...(opts.source ? { source: { modelSha256: identity.modelSha256 || null, options: opts.source.options ?? {} } } : {}),
  }, null, 1) + '\n';
  const files = [`${name}.h`, `${name}.c`, `${name}_weights.c`, `${name}.cmake`, `${name}.mk`, ...staticFiles.map((f) => f.name), ...(qdq ? [`${name}.qdq.onnx`] : []), scheduleFile, `${name}_report.json`];
  const report = buildReport({ name, target: target.name, kernels: opts.kernels, isa: provider.isa, files }, schedule, calls);
  const io = boundaryViews(schedule, plan, ids);
  const view = {
    name, NAME, version: qgcVersion(), model: commentText(opts.modelName ?? graph.name), target: target.name, isa: provider.isa, kernels: opts.kernels,
    cflags: target.cflags.join(' '), cmsis: opts.kernels === 'cmsis-nn', float: hasFloat, kernelsVersion: KERNELS_VERSION,
    ...identity, arenaAlignment: ARENA_ALIGNMENT,
    isaChecks: opts.kernels === 'cmsis-nn' ? isaChecks(name, target, provider.isa) : [],
    headerFile: `${name}.h`, sourceFile: `${name}.c`, weightsFile: `${name}_weights.c`,
    arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound, peakStep: plan.peakStep, planStrategy: plan.strategy, lastStep: schedule.steps.length + 1,
    plan: report.memoryPlan.buffers.map((b) => ({
      offset: String(b.offset).padStart(6), bytes: String(b.bytes).padStart(8), steps: `${b.first}-${b.last}`.padEnd(7), label: commentText(b.holds),
    })),
    consts: calls.flatMap((c) => c.consts).map((c) => ({ id: c.id, ctype: c.ctype, length: c.data.length, comment: commentText(c.comment), body: arrayBody(c.data) })),
    steps: schedule.steps.map((step, i) => ({ number: step.index, partial: calls[i].partial, values: calls[i].values, ...stepComments(step, calls[i]) })),
    checks: schedule.steps.map((step, i) => ({ partial: calls[i].partial, values: calls[i].values, step }))
      .filter((c) => ['cmsis_conv', 'cmsis_dwconv', 'cmsis_fc'].includes(c.partial) || (c.partial === 'cmsis_pool' && c.step.kind === 'node' && c.step.node.op === 'QAveragePool')),
    ...io,
  };
  const out = new Map<string, string>([
    [`${name}.h`, r.render('net.h', view)],
    [`${name}.c`, r.render('net.c', view)],
    [`${name}_weights.c`, r.render('net_weights.c', view)],
    [`${name}.cmake`, r.render('net.cmake', view)],
    [`${name}.mk`, r.render('net.mk', view)],
    ...staticFiles.map((f): [string, string] => [f.name, f.text]),
    [scheduleFile, scheduleJson],
    [`${name}_report.json`, JSON.stringify(report, null, 2) + '\n'],
  ]);
  const over = overshoots(target, report.totals.weightsFlashBytes, report.totals.arenaBytes);
  if (opts.strictBudget === true) refuseOverBudget(target, over);
  for (const o of over) opts.warn?.(overshootText(target, o));
  if (opts.outDir !== undefined) writeOutputDir(opts.outDir, qdq ? new Map<string, string | Uint8Array>([...out, [`${name}.qdq.onnx`, qdq]]) : out);
  return { files: out, report, schedule, plan, ...(qdq ? { qdq } : {})};
}

function stepComments(step: Step, call: KernelCall): { comment: string; shortComment: string } {
  const shape = (t: ScheduledTensor) => `[${t.shape.join(',')}]${isRowMajor(t.layout) ? '' : sameBytes(t.layout, channelsLast(t.shape)) ? ' NHWC' : ' (NHWC bytes)'}`;
  if (step.kind === 'copy') {
    const text = `layout copy ${shape(step.src)} -> ${shape(step.dst)} (${step.why})`;
    return { comment: commentText(text), shortComment: commentText(`${call.kernel}: ${step.why}`) };
  }
  const ins = step.inputs.map(shape).join(', ');
  const text = `node '${step.node.name}' (${step.node.op}) -> ${call.kernel}; in ${ins}; out ${shape(step.output)}${step.inPlace ? ' in place' : ''}`;
  return { comment: commentText(text), shortComment: commentText(`${step.node.op} '${step.node.name}'`) };
}

/** The template values of one API input or output. With one input and one output the macros are
 * `<NAME>_INPUT_*` / `<NAME>_OUTPUT_*` and the parameters `in` / `out`; with several, each is
 * named after its tensor: `<NAME>_INPUT_<TENSOR>_*` and `in_<tensor>`. */
function boundaryView(b: Boundary, plan: MemoryPlan, names: { tag: string; param: string; copyId: string }) {
  const copy = copyValues(b.copy);
  return {
    name: commentText(b.apiName), rank: b.shape.length, dims: b.shape.join(', '), dimList: [...b.shape], size: b.shape.reduce((a, d) => a * d, 1),
    scale: cFloat(b.scale), zeroPoint: cInt(b.zeroPoint), offset: plan.offsets.get(b.tensor.storage.id)!, copy,
    // The arena holds it in the API's byte order: a DMA may write (or read) it there.
    zeroCopy: isTranspose(b.copy) ? 0 : 1,
    copyNote: isTranspose(b.copy) ? 'a transpose' : 'same byte order, a plain copy', ...names,
  };
}

function boundaryViews(schedule: Schedule, plan: MemoryPlan, ids: IdentifierTable) {
  const single = schedule.inputs.length === 1 && schedule.outputs.length === 1;
  const tags = apiTags(schedule.inputs.map((b) => b.apiName), schedule.outputs.map((b) => b.apiName));
  const side = (bs: readonly Boundary[], kind: 'in' | 'out', tagList: string[]) => bs.map((b, i) => boundaryView(b, plan, single
    ? { tag: tagList[i], param: kind, copyId: `copy_${kind}` }
    : { tag: tagList[i], param: ids.get(`${kind}_`, b.apiName), copyId: ids.get(`copy_${kind}_`, b.apiName) }));
  const inputs = side(schedule.inputs, 'in', tags.inputs);
  const outputs = side(schedule.outputs, 'out', tags.outputs);
  return { single, inputs, outputs, input: inputs[0], output: outputs[0] };
}


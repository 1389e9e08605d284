/**
 * The WebGPU backend's entry point: quantized IR graph → one WGSL shader per kernel family the
 * network uses (`<name>.<family>.wgsl`, and `<name>.<family>.dp4a.wgsl` with dot4I8Packed where
 * the target has packed_4x8_integer_dot_product), the constants `<name>.weights.bin` (int8
 * weights packed four per u32, per-channel records, tables), the loader `<name>.js` with its
 * types `<name>.d.ts`, `<name>_schedule.json` (for `qgc verify`) and `<name>_report.json`.
 * Workgroup sizes come from the target. Every check that can fail runs before the first file is
 * written; the output depends only on the inputs.
 */
import { readFileSync } from 'node:fs';
import { CompileError, ErrorCode } from '../../errors.js';
import { elementCount, type Graph } from '../../ir/graph.js';
import { graphToJson } from '../../ir/serialize.js';
import { buildSchedule } from '../../schedule/build.js';
import { scheduleToJson } from '../../schedule/json.js';
import type { Boundary, Schedule, ScheduledTensor, Step } from '../../schedule/types.js';
import { loadAnyTarget, type WebgpuTarget } from '../../targets/target.js';
import { checkNetName, commentText } from '../c/identifiers.js';
import { checkOutputDir, writeOutputDir } from '../c/output-dir.js';
import { DOT_FAMILIES, fieldsOf, paramWords } from './families.js';
import { ConstWords, type Family, type ParamsContext, type StepParams } from './kernel.js';
import { webgpuProvider } from './provider.js';
import { arithmeticView, renderWgsl, workgroupView } from './render.js';
import { buildWebgpuReport, type WebgpuReport } from './report.js';

export interface CompileWebgpuOptions {
  /** Target name (`webgpu`), a path to a target JSON, or a loaded target. */
  target: WebgpuTarget | string;
  /** File base name, e.g. `net`. */
  name: string;
  outDir?: string;
  force?: boolean;
  modelName?: string;
}

export interface CompileWebgpuResult {
  files: Map<string, string | Uint8Array>;
  report: WebgpuReport;
  schedule: Schedule;
}

/** WebGPU's guaranteed minimum of maxComputeWorkgroupsPerDimension: larger grids go to y. */
const MAX_GROUPS_X = 65535;
/** Uniform buffer offsets are multiples of minUniformBufferOffsetAlignment (at most 256). */
const UNIFORM_ALIGN = 256;

function qgcVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The webgpu target of `t` (a name, a file or a loaded target); a target of another kind fails. */
export function webgpuTarget(t: WebgpuTarget | string): WebgpuTarget {
  const target = typeof t === 'string' ? loadAnyTarget(t) : t;
  if (target.kind !== 'webgpu') {
    throw new CompileError(ErrorCode.BadInput, `target ${target.name} is of kind ${target.kind}; the WebGPU backend compiles for kind webgpu targets`, { file: target.file },
      'Use --target webgpu.');
  }
  return target;
}

/** One step as the loader runs it. */
interface LoaderStep {
  index: number;
  name: string;
  op: string;
  kernel: string;
  family: Family;
  /** Workgroups along x and y (z is the batch). */
  groups: [number, number];
  params: number[];
}

const stepOutputOf = (s: Step): ScheduledTensor => (s.kind === 'node' ? s.output : s.dst);

function side(b: Boundary, offsetOf: (t: ScheduledTensor) => number) {
  return { name: b.apiName, shape: [...b.shape], scale: Math.fround(b.scale), zeroPoint: b.zeroPoint, offset: offsetOf(b.tensor), size: elementCount(b.shape), copy: b.copy };
}

/** Compiles a quantized graph to WGSL. Throws a CompileError (before writing anything) when it cannot. */
export function compileWebgpu(graph: Graph, opts: CompileWebgpuOptions): CompileWebgpuResult {
  const bad = checkNetName(opts.name);
  if (bad) throw new CompileError(ErrorCode.BadInput, bad, {}, 'Use --name with an identifier of up to 32 characters (letters, digits, _), e.g. net.');
  const target = webgpuTarget(opts.target);
  const provider = webgpuProvider();
  const schedule = buildSchedule(graph, provider);
  const name = opts.name;
  const offsets = schedule.plan.offsets;
  const offset = (t: ScheduledTensor) => offsets.get(t.storage.id)!;
  // One sample's arena, plus a word for the unaligned four-byte loads at its end.
  const sampleWords = Math.ceil(schedule.plan.arenaBytes / 4) + 1;
  const consts = new ConstWords();
  const ctx: ParamsContext = { offset, consts };
  const wg = target.tiling.workgroupSize;
  const invocations = wg[0] * wg[1] * wg[2];

  const stepConstWords: number[] = [];
  const steps: LoaderStep[] = schedule.steps.map((step) => {
    const before = consts.words;
    let p: StepParams;
    if (step.kind === 'copy') p = provider.copyParams(step, ctx);
    else {
      const k = provider.kernels[step.node.op];
      if (!k) throw new CompileError(ErrorCode.Internal, `the WebGPU provider scheduled ${step.node.op} without a kernel`, { node: step.node.name, op: step.node.op });
      p = k.params(step, ctx);
    }
    stepConstWords.push(consts.words - before);
    const out = stepOutputOf(step);
    const count = elementCount(out.shape);
    const words = Math.ceil(count / 4);
    const groups = Math.max(1, Math.ceil(words / invocations));
    const gx = Math.min(groups, MAX_GROUPS_X);
    const params = Array.from(paramWords(p.family, { words, count, outByte: offset(out), sampleWords }, p.values));
    return {
      index: step.index, name: step.kind === 'node' ? step.node.name : '', op: step.kind === 'node' ? step.node.op : 'LayoutCopy', kernel: step.choice.kernel,
      family: p.family, groups: [gx, Math.ceil(groups / gx)], params,
    };
  });
  if (opts.outDir !== undefined) checkOutputDir(opts.outDir, opts.force === true);

  const version = qgcVersion();
  const families = [...new Set(steps.map((s) => s.family))].sort();
  const packed = target.features.packed4x8IntegerDotProduct;
  const shaderFiles = new Map<string, string>();
  const shaders: Record<string, { file: string; packed: string | null; dot: boolean }> = {};
  const arithmetic = arithmeticView();
  for (const family of families) {
    const view = (file: string, isPacked: boolean) => ({ file, version, fields: fieldsOf(family), workgroup: workgroupView(wg), packed: isPacked, ...arithmetic });
    const file = `${name}.${family}.wgsl`;
    shaderFiles.set(file, renderWgsl(family, view(file, false)));
    let packedFile: string | null = null;
    if (packed && DOT_FAMILIES.has(family)) {
      packedFile = `${name}.${family}.dp4a.wgsl`;
      shaderFiles.set(packedFile, renderWgsl(family, view(packedFile, true)));
    }
    shaders[family] = { file, packed: packedFile, dot: DOT_FAMILIES.has(family) };
  }
  const weights = consts.bytes();
  const weightsFile = `${name}.weights.bin`;
  const maxFields = Math.max(...families.map((f) => fieldsOf(f).length));
  const paramStride = Math.ceil((maxFields * 4) / UNIFORM_ALIGN) * UNIFORM_ALIGN;
  const inputs = schedule.inputs.map((b) => side(b, offset));
  const outputs = schedule.outputs.map((b) => side(b, offset));
  const limits = {
    maxComputeWorkgroupSizeX: wg[0], maxComputeWorkgroupSizeY: wg[1], maxComputeWorkgroupSizeZ: wg[2], maxComputeInvocationsPerWorkgroup: invocations,
    maxComputeWorkgroupsPerDimension: Math.max(1, ...steps.map((s) => Math.max(...s.groups))),
    maxStorageBufferBindingSize: Math.max(weights.length, sampleWords * 4),
    maxBindingsPerBindGroup: 3,
  };
  const key = (n: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n) ? n : JSON.stringify(n));
  const view = {
    file: `${name}.js`, dtsFile: `${name}.d.ts`, version, model: commentText(opts.modelName ?? graph.name),
    inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs), steps: JSON.stringify(steps),
    shaders: JSON.stringify(shaders), weights: JSON.stringify({ file: weightsFile, bytes: weights.length }),
    arena: JSON.stringify({ bytes: schedule.plan.arenaBytes, sampleWords }), paramStride, limits: JSON.stringify(limits),
    packedFeature: 'packed_4x8_integer_dot_product', packedTarget: packed,
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
    format: 'qgc-schedule', formatVersion: 1, name, target: target.name, kernels: 'webgpu', schedule: scheduleToJson(schedule), graph: graphToJson(graph),
  }, null, 1) + '\n';
  const names = [...shaderFiles.keys(), weightsFile, `${name}.js`, `${name}.d.ts`, scheduleFile, `${name}_report.json`];
  const report = buildWebgpuReport({ name, target, files: names, shaders, weightsBytes: weights.length, sampleWords, limits }, schedule, steps, stepConstWords);
  const out = new Map<string, string | Uint8Array>([
    ...shaderFiles,
    [weightsFile, weights],
    [`${name}.js`, renderWgsl('net.js', view)],
    [`${name}.d.ts`, renderWgsl('net.d.ts', dtsView)],
    [scheduleFile, scheduleJson],
    [`${name}_report.json`, JSON.stringify(report, null, 2) + '\n'],
  ]);
  if (opts.outDir !== undefined) writeOutputDir(opts.outDir, out);
  return { files: out, report, schedule };
}

/**
 * `qgc verify`, as a library: builds and runs the C in a folder written by `qgc compile` on the
 * host (cc with AddressSanitizer and UBSan) and on Cortex-M targets under QEMU, and compares
 * every output byte, of `<name>_run` (int8) and of `<name>_run_f32` (float bits), with the
 * integer interpreter on the graph read from `<name>_schedule.json`.
 *
 *   const r = await verifyFolder({ dir: 'out', inputs: 'test_x.npy', targets: ['host', 'cortex-m4'] });
 *   r.ok; r.targets[0].mismatch; r.targets[1].instructions
 *
 * A CMSIS-NN folder compiled for one ISA (e.g. DSP for cortex-m4) cannot run on a core with
 * another (the M55's MVE kernels take other scratch buffers and precomputed sums): for such a
 * target verify builds the C qgc generates for it from the same graph, and says so.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CompileCResult } from '../backends/c/emit.js';
import { writeOutputDir } from '../backends/c/output-dir.js';
import type { Value } from '../interp/types.js';
import { apiTags } from '../backends/c/identifiers.js';
import { specsByInput } from '../io/feeds.js';
import { readNpy } from '../io/npy.js';
import { listTargets, loadTarget, type Target } from '../targets/target.js';
import { buildAndRun, type BuildRunSpec } from './build-run.js';
import { bytesCompared, compareOutputs, describeMismatch, type Mismatch } from './compare.js';
import { driverSource, parseDriverOutput, writeInputs } from './driver.js';
import { VerifyError, VerifyErrorCode } from './errors.js';
import { readCompiledFolder, regenerate, runsAsIs, sourceDrift, type CompiledFolder, type Drift } from './folder.js';
import { interpretSample, reference, samplesOf, type Reference } from './reference.js';
import type { SizeInfo } from './toolchain.js';
import { describeLayer, locateLayer, type TraceResult } from './trace.js';

export interface VerifyOptions {
  /** The folder `qgc compile -o` wrote. */
  dir: string;
  /** Network name when the folder holds several. */
  name?: string;
  /** Inputs, samples stacked along axis 0: a .npy path or a value (a model with one input), or
   * `name=file.npy` specs, or a value per graph input. */
  inputs: string | readonly string[] | Value | ReadonlyMap<string, Value>;
  /** 'host' and/or target names (default: defaultTargets()). */
  targets?: string[];
  /** Verify at most this many samples. */
  limit?: number;
  /** Keep the builds in this folder (default: a temporary folder, removed). */
  buildDir?: string;
  /** Per-run time limit (default 300 s). */
  timeoutMs?: number;
  /** Find the first differing layer on a mismatch (default true). */
  locate?: boolean;
  /** CMSIS-NN builds check every scratch buffer against the library first (default true; off
   * for size measurements, since it links CMSIS-NN's buffer size functions). */
  checkScratch?: boolean;
  /** Called with a line when a target starts. */
  onProgress?: (line: string) => void;
}

/** The outcome on one host or target. */
export interface TargetResult {
  where: string;
  /** e.g. `host (cc, ASan + UBSan, portable)` or `cortex-m4 (QEMU mps2-an386)`. */
  description: string;
  /** 'folder': the folder's own C; 'regenerated': the C qgc generates for this target. */
  code: 'folder' | 'regenerated';
  samples: number;
  bytes: number;
  mismatch?: Mismatch;
  /** The mismatch in words, and where the first differing layer is. */
  message?: string;
  layer?: TraceResult;
  /** With steps kept in float: the trace of the first sample, every int8 step byte for byte and
   * every float32 step within FLOAT_TOLERANCE of the interpreter (a 'layer' result fails). */
  floatTrace?: TraceResult;
  /** Executed instructions of `<name>_run` per inference (QEMU): min, max and mean over samples. */
  instructions?: { min: number; max: number; mean: number };
  /** Stack high-water mark of one inference, bytes (QEMU). */
  stackBytes?: number;
  size?: SizeInfo;
  /** The ELF's linker map (QEMU; it exists as long as the build folder does: see buildDir). */
  map?: string;
  buildMs: number;
  runMs: number;
}

export interface VerifyResult {
  folder: CompiledFolder;
  /** Files that differ from what qgc generates from the graph now (empty: none; undefined:
   * qgc could not generate C from it, see `regenerateError`). */
  drift: Drift[] | undefined;
  regenerateError?: string;
  targets: TargetResult[];
  ok: boolean;
}

/** The default targets: the host, the folder's target when QEMU models it, and the targets
 * whose file sets `board.verifyByDefault` (the Cortex-M4 and Cortex-M55: CMSIS-NN's DSP and MVE
 * paths). */
export function defaultTargets(folder: CompiledFolder): string[] {
  const byDefault = listTargets(undefined, 'mcu').filter((n) => loadTarget(n).board.verifyByDefault);
  return [...new Set(['host', ...(folder.target.board.qemuMachine ? [folder.target.name] : []), ...byDefault])];
}

function resolveWhere(name: string): Target | 'host' {
  if (name === 'host') return 'host';
  const t = loadTarget(name);
  if (t.board.qemuMachine === null) {
    const boards = listTargets(undefined, 'mcu').filter((n) => loadTarget(n).board.qemuMachine !== null);
    throw new VerifyError(VerifyErrorCode.RunFailed, `target ${t.name} has no QEMU board to run on`, `Verify on the host and on ${boards.slice(0, -1).join(', ')} or ${boards[boards.length - 1]}.`);
  }
  return t;
}

/** Verifies the folder; mismatches are returned (`ok: false`), build and run failures thrown. */
export async function verifyFolder(opts: VerifyOptions): Promise<VerifyResult> {
  const folder = readCompiledFolder(opts.dir, opts.name);
  const wheres = (opts.targets ?? defaultTargets(folder)).map(resolveWhere);
  const specs = typeof opts.inputs === 'string' ? [opts.inputs] : Array.isArray(opts.inputs) ? (opts.inputs as readonly string[]) : undefined;
  const files = specs ? specsByInput(folder.graph.inputs, specs, '--inputs') : undefined;
  const x = files ? new Map([...files].map(([name, file]) => [name, readNpy(file)])) : (opts.inputs as Value | ReadonlyMap<string, Value>);
  const samples = samplesOf(folder.graph, x, opts.limit ?? Infinity, files);
  const ref = reference(folder.graph, samples);
  let own: CompileCResult | undefined;
  let regenerateError: string | undefined;
  try {
    own = regenerate(folder);
  } catch (e) {
    regenerateError = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  const drift = own ? sourceDrift(folder, own) : undefined;
  const root = opts.buildDir ? resolve(opts.buildDir) : mkdtempSync(join(tmpdir(), 'qgc-verify-'));
  try {
    mkdirSync(root, { recursive: true });
    const inputs = join(root, 'inputs');
    mkdirSync(inputs, { recursive: true });
    const chunk = writeInputs(inputs, ref);
    const results: TargetResult[] = [];
    for (const where of wheres) {
      const label = where === 'host' ? 'host' : where.name;
      opts.onProgress?.(`verifying on ${label}...`);
      results.push(await verifyOn(folder, own, where, ref, samples, { root: join(root, label), inputs, chunk, opts }));
    }
    return { folder, drift, ...(regenerateError ? { regenerateError } : {}), targets: results, ok: results.every((r) => !r.mismatch && r.floatTrace?.kind !== 'layer') };
  } finally {
    if (!opts.buildDir) rmSync(root, { recursive: true, force: true });
  }
}

interface Ctx {
  root: string;
  inputs: string;
  chunk: number;
  opts: VerifyOptions;
}

async function verifyOn(folder: CompiledFolder, own: CompileCResult | undefined, where: Target | 'host', ref: Reference, samples: readonly ReadonlyMap<string, Value>[], ctx: Ctx): Promise<TargetResult> {
  mkdirSync(ctx.root, { recursive: true });
  let srcDir = folder.dir;
  let compiled = own;
  const asIs = runsAsIs(folder, where);
  if (!asIs && where !== 'host') {
    compiled = regenerate(folder, where);
    srcDir = join(ctx.root, 'src');
    writeOutputDir(srcDir, compiled.files);
  }
  const driver = join(ctx.root, 'verify_main.c');
  writeFileSync(driver, driverSource(folder.name, apiTags(folder.graph.inputs, folder.graph.outputs)));
  const spec: BuildRunSpec = {
    where, srcDir, name: folder.name, cmsisNn: folder.kernels === 'cmsis-nn', checkScratch: ctx.opts.checkScratch, extraSources: [driver],
    defines: { VERIFY_COUNT: ref.count, VERIFY_CHUNK: ctx.chunk, VERIFY_F32: ref.inF ? 1 : 0 },
    outDir: join(ctx.root, 'build'), runDir: ctx.inputs, timeoutMs: ctx.opts.timeoutMs ?? 300_000,
  };
  const r = await buildAndRun(spec);
  const outputs = parseDriverOutput(r.run.stdout, ref.count, where === 'host' ? 'the host' : where.name);
  const mismatch = compareOutputs(ref, outputs);
  const result: TargetResult = {
    where: where === 'host' ? 'host' : where.name,
    description: where === 'host' ? `host (cc, ASan + UBSan, ${folder.kernels})` : `${where.name} (QEMU ${where.board.qemuMachine}, ${folder.kernels})`,
    code: asIs ? 'folder' : 'regenerated',
    samples: ref.count,
    bytes: bytesCompared(ref),
    buildMs: r.buildMs,
    runMs: r.run.wallMs,
  };
  if (where !== 'host') {
    const n = outputs.map((o) => Number(o.instructions));
    result.instructions = { min: Math.min(...n), max: Math.max(...n), mean: n.reduce((a, b) => a + b, 0) / n.length };
    result.stackBytes = Math.max(...outputs.map((o) => o.stack));
    result.size = r.size;
    result.map = r.map;
  }
  if (mismatch) {
    result.mismatch = mismatch;
    result.message = describeMismatch(mismatch, ref, folder.name);
    if (ctx.opts.locate !== false) result.layer = await locate(spec, compiled, own, folder, ref, samples[mismatch.sample], mismatch, ctx);
  } else if (compiled?.schedule.steps.some((s) => s.kind === 'node' && s.output.dtype === 'float32')) {
    // The outputs are int8: the float steps inside are compared on the first sample's trace.
    result.floatTrace = await locate(spec, compiled, own, folder, ref, samples[0], { sample: 0, api: 'int8' }, ctx);
    if (result.floatTrace.kind === 'layer') result.message = `a float step differs: ${describeLayer(result.floatTrace.layer)}`;
  }
  return result;
}

/** Runs the failing sample once more with the step hook to find the first differing layer. */
async function locate(spec: BuildRunSpec, compiled: CompileCResult | undefined, own: CompileCResult | undefined, folder: CompiledFolder, ref: Reference, sample: ReadonlyMap<string, Value>,
  m: Pick<Mismatch, 'sample' | 'api'>, ctx: Ctx): Promise<TraceResult> {
  // The trace reads the arena at the planned offsets: only valid when the C's plan is the one we have.
  if (!compiled || !own) return { kind: 'unavailable', why: 'qgc cannot generate C from the folder\'s graph now' };
  if (compiled === own && JSON.stringify(folder.report.memoryPlan) !== JSON.stringify(own.report.memoryPlan)) {
    return { kind: 'unavailable', why: `the folder's memory plan is not the one qgc plans for ${folder.name}_schedule.json now` };
  }
  const one: Reference = { ...ref, count: 1, in8: [ref.in8[m.sample]], out8: [ref.out8[m.sample]], ...(ref.inF ? { inF: [ref.inF[m.sample]], outF: [ref.outF![m.sample]] } : {}) };
  const runDir = join(ctx.root, 'trace-input');
  mkdirSync(runDir, { recursive: true });
  writeInputs(runDir, one);
  try {
    return await locateLayer({ ...spec, defines: { ...spec.defines, VERIFY_COUNT: 1, VERIFY_CHUNK: 1 }, outDir: join(ctx.root, 'trace-build'), runDir },
      compiled, interpretSample(folder.graph, sample, true), m.api === 'int8' ? 0 : 1);
  } catch (e) {
    return { kind: 'unavailable', why: e instanceof VerifyError ? e.message.split('\n')[0] : String(e) };
  }
}

/** The mismatch of a failed target as one line (for the error). */
export function mismatchLine(t: TargetResult): string {
  const layer = t.layer?.kind === 'layer' ? `; first differing layer: ${describeLayer(t.layer.layer)}`
    : t.layer?.kind === 'all-match' ? `; every layer's output matches, so the copy out of the arena differs` : '';
  if (!t.mismatch && t.floatTrace?.kind === 'layer') return `${t.where}: ${t.message ?? 'a float step differs'}`;
  return `${t.where}: ${t.message ?? 'outputs differ'}${layer}`;
}

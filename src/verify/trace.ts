/**
 * Finding the first layer whose output differs. The generated `<name>.c` calls
 * `<NAME>_STEP_DONE(n)` after each step (0: input copied in, then one per kernel or layout copy);
 * verify defines it to print the step's output bytes from the arena (offsets from the memory
 * plan of the same schedule), runs the failing sample once, maps each tensor's bytes from its
 * physical layout (NHWC, ...) back to the model's order and compares them with the
 * interpreter's tensor of the same name.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileCResult } from '../backends/c/emit.js';
import { macroPrefix } from '../backends/c/identifiers.js';
import { physicalToLogical } from '../schedule/layout.js';
import { storageBytes, type ScheduledTensor } from '../schedule/types.js';
import { elementCount } from '../ir/graph.js';
import type { Value } from '../interp/types.js';
import { buildAndRun, type BuildRunSpec } from './build-run.js';
import { multiIndex } from './compare.js';

/** The first step whose output differs from the interpreter's tensor. */
export interface LayerMismatch {
  step: number;
  /** The IR node ('' for a layout copy or the input copy). */
  node: string;
  op: string;
  kernel: string;
  tensor: string;
  index: number[];
  got: number;
  want: number;
  differing: number;
  elements: number;
  /** A float32 step: got and want are floats, compared within FLOAT_TOLERANCE. */
  float?: true;
}

/** How far the float32 steps (nodes kept in float) are from the interpreter: the largest
 * |C - interpreter| of any element, relative to the range of the interpreter's tensor. */
export interface FloatAgreement {
  steps: number;
  maxRelError: number;
}

/** What the trace found: a layer, or that every layer matched (int8 steps byte for byte, float
 * steps within FLOAT_TOLERANCE), or why it could not run. */
export type TraceResult =
  | { kind: 'layer'; layer: LayerMismatch }
  | { kind: 'all-match'; steps: number; float: FloatAgreement }
  | { kind: 'unavailable'; why: string };

/**
 * How close a float32 step must be to the interpreter: 1e-5 of the tensor's range (max - min of
 * the interpreter's values; the largest magnitude for a constant tensor). The C float kernels
 * compute in float32 where the interpreter computes in float64 and rounds to float32, so they
 * differ by a few float32 steps (2^-23 ≈ 1.2e-7 relative) per accumulated term; 1e-5 leaves
 * that a wide margin and still catches any difference of formula (a missing bias, another
 * epsilon: 1e-3 and more).
 */
export const FLOAT_TOLERANCE = 1e-5;

/** The largest error of `got` (float32 bytes in physical order, `map` into logical order) against
 * `want`, relative to want's range, and the first element above the tolerance. */
function floatError(got: Uint8Array, want: ArrayLike<number>, map: ArrayLike<number>): { rel: number; first: number; differing: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < want.length; i++) {
    lo = Math.min(lo, want[i]);
    hi = Math.max(hi, want[i]);
  }
  const range = hi > lo ? hi - lo : Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);
  const dv = new DataView(got.buffer, got.byteOffset, got.byteLength);
  let rel = 0;
  let first = -1;
  let differing = 0;
  for (let j = 0; j < map.length; j++) {
    const e = Math.abs(dv.getFloat32(4 * j, true) - want[map[j]]) / range;
    const bad = !(e <= FLOAT_TOLERANCE);
    rel = Math.max(rel, Number.isNaN(e) ? Infinity : e);
    if (bad) {
      differing++;
      if (first < 0) first = j;
    }
  }
  return { rel, first, differing };
}

interface Traced {
  step: number;
  tensor: ScheduledTensor;
  node: string;
  op: string;
  kernel: string;
}

/** The tensor each step writes, with the schedule's names. */
function tracedSteps(c: CompileCResult): Traced[] {
  const out: Traced[] = [{ step: 0, tensor: c.schedule.inputs[0].tensor, node: '', op: 'input copy', kernel: 'qgc_copy_s8' }];
  for (const s of c.schedule.steps) {
    const layer = c.report.layers.find((l) => l.step === s.index);
    if (s.kind === 'node') out.push({ step: s.index, tensor: s.output, node: s.node.name, op: s.node.op, kernel: layer?.kernel ?? '' });
    else out.push({ step: s.index, tensor: s.dst, node: '', op: 'LayoutCopy', kernel: layer?.kernel ?? '' });
  }
  return out;
}

/** The C that prints each traced step's bytes. */
function traceSource(steps: readonly Traced[], c: CompileCResult): string {
  const last = Math.max(...steps.map((s) => s.step)) + 1;
  const offset = new Array<number>(last).fill(0);
  const bytes = new Array<number>(last).fill(0);
  for (const s of steps) {
    offset[s.step] = c.plan.offsets.get(s.tensor.storage.id)!;
    bytes[s.step] = storageBytes(s.tensor.dtype, elementCount(s.tensor.shape));
  }
  return `/* qgc verify: prints the bytes each step wrote. */
#include <stddef.h>
#include <stdint.h>
#include "qgc_runtime.h"

void qgc_verify_trace(int step, const int8_t *arena);

static const unsigned long trace_offset[${last}] = { ${offset.join(', ')} };
static const unsigned long trace_bytes[${last}] = { ${bytes.join(', ')} };

void qgc_verify_trace(int step, const int8_t *arena)
{
    if (step < 0 || step >= ${last} || trace_bytes[step] == 0u)
    {
        return;
    }
    qgc_print("t ");
    qgc_print_i64(step);
    qgc_print(" ");
    qgc_print_hex(arena + trace_offset[step], (size_t)trace_bytes[step]);
    qgc_print("\\n");
}
`;
}

/** The logical tensor a schedule tensor holds (layout copies are named `<tensor>:nhwc` etc.). */
function logicalName(t: ScheduledTensor): string {
  return t.name.replace(/:(rowmajor|nhwc)$/, '');
}

/**
 * Rebuilds `spec` with the step hook, runs the one sample in `spec.runDir` (which must hold that
 * sample only; VERIFY_COUNT 1) and compares every step with `env` (the interpreter's tensors for
 * that sample). `run` picks the int8 (0) or float (1) API call of the driver.
 */
export async function locateLayer(spec: BuildRunSpec, compiled: CompileCResult, env: ReadonlyMap<string, Value>, run: 0 | 1): Promise<TraceResult> {
  const netC = join(spec.srcDir, `${spec.name}.c`);
  const hook = `${macroPrefix(spec.name)}_STEP_DONE`;
  if (!existsSync(netC) || !readFileSync(netC, 'utf8').includes(`${hook}(`)) {
    return { kind: 'unavailable', why: `${spec.name}.c has no ${hook} hook (compiled by an older qgc)` };
  }
  const steps = tracedSteps(compiled);
  mkdirSync(spec.outDir, { recursive: true });
  const traceC = join(spec.outDir, 'verify_trace.c');
  writeFileSync(traceC, traceSource(steps, compiled));
  const r = await buildAndRun({
    ...spec,
    extraSources: [...spec.extraSources, traceC],
    defines: { ...spec.defines, [`${hook}(n)`]: '{ extern void qgc_verify_trace(int step, const int8_t *arena); qgc_verify_trace((n), arena); }' },
  });
  const seen = new Map<number, Uint8Array[]>();
  for (const m of r.run.stdout.matchAll(/^t (\d+) ([0-9a-f]*)$/gm)) {
    const k = Number(m[1]);
    seen.set(k, [...(seen.get(k) ?? []), Buffer.from(m[2], 'hex')]);
  }
  const float: FloatAgreement = { steps: 0, maxRelError: 0 };
  for (const s of steps) {
    const got = seen.get(s.step)?.[run];
    const want = env.get(logicalName(s.tensor));
    if (!got || !want) return { kind: 'unavailable', why: `no trace of step ${s.step}` };
    const map = physicalToLogical(s.tensor.layout);
    if (s.tensor.dtype === 'float32') {
      const w = want.data as Float32Array;
      const e = floatError(got, w, map);
      float.steps++;
      float.maxRelError = Math.max(float.maxRelError, e.rel);
      if (e.first >= 0) {
        const layer: LayerMismatch = {
          step: s.step, node: s.node, op: s.op, kernel: s.kernel, tensor: logicalName(s.tensor), index: multiIndex(map[e.first], want.shape),
          got: new DataView(got.buffer, got.byteOffset).getFloat32(4 * e.first, true), want: w[map[e.first]], differing: e.differing, elements: map.length,
          float: true,
        };
        return { kind: 'layer', layer };
      }
      continue;
    }
    const w = want.data as Int8Array;
    let first = -1;
    let differing = 0;
    for (let j = 0; j < map.length; j++) {
      if (((got[j] << 24) >> 24) !== w[map[j]]) {
        differing++;
        if (first < 0) first = j;
      }
    }
    if (first >= 0) {
      const layer: LayerMismatch = {
        step: s.step, node: s.node, op: s.op, kernel: s.kernel, tensor: logicalName(s.tensor), index: multiIndex(map[first], want.shape),
        got: (got[first] << 24) >> 24, want: w[map[first]], differing, elements: map.length,
      };
      return { kind: 'layer', layer };
    }
  }
  return { kind: 'all-match', steps: steps.length, float };
}

/** `step 3, node 'conv2' (QConv, arm_convolve_wrapper_s8), tensor 'y' [0, 5, 3, 2]: C gives 12, the interpreter 13 (40 of 6272 elements differ)`. */
export function describeLayer(l: LayerMismatch): string {
  const what = l.node ? `node '${l.node}' (${l.op}, ${l.kernel})` : `${l.op} (${l.kernel})`;
  const float = l.float === true;
  return `step ${l.step}, ${what}, tensor '${l.tensor}' element [${l.index.join(', ')}]: C gives ${l.got}, the interpreter ${l.want} ` +
    `(${l.differing} of ${l.elements} elements differ${float ? ` by more than ${FLOAT_TOLERANCE} of the tensor's range` : ''})`;
}

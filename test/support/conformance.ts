/** Runs ONNX's own node conformance cases through the qgc frontend and reference interpreter,
 * with ONNX's backend-test tolerances. Two sets: Debian's libonnx-testdata (ONNX 1.12) and
 * onnx 1.23.1's node cases, written out by scripts/onnx-node-cases.py (see CASE_SETS). */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError } from '../../src/errors.js';
import { getNumber, isFloat } from '../../src/ir/dtype.js';
import type { Tensor } from '../../src/ir/graph.js';
import { runGraph } from '../../src/interp/run.js';
import type { Value } from '../../src/interp/types.js';
import { readFileChecked } from '../../src/onnx/load.js';
import { importModel } from '../../src/onnx/import.js';
import { importers } from '../../src/onnx/ops/index.js';
import { decodeModel, decodeTensor, type ModelProto } from '../../src/onnx/proto.js';
import { tensorFromProto } from '../../src/onnx/tensor.js';

/** Debian's libonnx-testdata node cases (ONNX 1.12). */
export const NODE_TEST_ROOT = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data/node';
/** onnx 1.23.1's node cases, as scripts/onnx-node-cases.py writes them (.ci/run does). */
export const ONNX_123_ROOT = process.env.ONNX_123_TESTDATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../.cache/onnx-1.23-node');

/** One folder of node cases in libonnx-testdata's layout. */
export interface CaseSet {
  /** Short id, used in the README's markers and the out-of-scope lists. */
  id: 'onnx-1.12' | 'onnx-1.23';
  /** What it is, for headings and messages. */
  title: string;
  root: string;
}

/** The two sets the conformance test runs, oldest first. */
export const CASE_SETS: readonly CaseSet[] = [
  { id: 'onnx-1.12', title: "Debian's libonnx-testdata (ONNX 1.12)", root: NODE_TEST_ROOT },
  { id: 'onnx-1.23', title: "onnx 1.23.1's node cases (collect_testcases)", root: ONNX_123_ROOT },
];

/** ONNX backend test defaults (onnx/backend/test/runner: rtol=1e-3, atol=1e-7). */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

export interface CaseResult {
  name: string;
  ops: string[];
  opset: number;
  /** 'pass', 'fail' (wrong numbers or an error), or 'skip' (uses an op qgc does not claim). */
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

/** Case folder names under `root` (default: Debian's set), sorted, optionally filtered. */
export function listCases(filter?: RegExp, root: string = NODE_TEST_ROOT): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'model.onnx')))
    .filter((d) => !filter || filter.test(d))
    .sort();
}

function opsOf(model: ModelProto): string[] {
  return [...new Set((model.graph?.node ?? []).map((n) => (n.domain ? `${n.domain}:${n.opType}` : (n.opType ?? ''))))].sort();
}

function opsetOf(model: ModelProto): number {
  const o = (model.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return Number(o?.version ?? 0);
}

function readPb(path: string): Tensor {
  const t = decodeTensor(readFileChecked(path), path);
  return tensorFromProto(t, t.name || path);
}

/** Runs one case of Debian's set; never throws. */
export function runCase(name: string): CaseResult {
  return runCaseIn(NODE_TEST_ROOT, name);
}

/** Runs the case folder `root/name`; never throws. */
export function runCaseIn(root: string, name: string): CaseResult {
  const dir = join(root, name);
  const model = decodeModel(readFileChecked(join(dir, 'model.onnx')));
  const ops = opsOf(model);
  const opset = opsetOf(model);
  const unclaimed = ops.filter((op) => !importers.has(op));
  if (unclaimed.length > 0) return { name, ops, opset, status: 'skip', detail: `unclaimed ops: ${unclaimed.join(', ')}` };
  try {
    const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
    const graphInputs = (model.graph?.input ?? []).map((v) => v.name ?? '');
    const initNames = new Set((model.graph?.initializer ?? []).map((t) => t.name ?? ''));
    const realInputs = graphInputs.filter((n) => !initNames.has(n));
    const outputs = (model.graph?.output ?? []).map((v) => v.name ?? '');
    const constPositions = constInputNames(model);
    for (const set of sets) {
      const inputs = realInputs.map((_, i) => readPb(join(dir, set, `input_${i}.pb`)));
      const expected = outputs.map((_, i) => readPb(join(dir, set, `output_${i}.pb`)));
      const bind = new Map<string, Omit<Tensor, 'name'>>();
      const feeds = new Map<string, Value>();
      realInputs.forEach((n, i) => {
        const t = inputs[i];
        if (constPositions.has(n)) bind.set(n, t);
        else feeds.set(n, { dtype: t.dtype, shape: t.shape, data: t.data! });
      });
      const inputShapes = new Map<string, number[]>();
      realInputs.forEach((n, i) => {
        if (!constPositions.has(n)) inputShapes.set(n, [...inputs[i].shape]);
      });
      const graph = importModel(model, { bindInputs: bind, inputShapes });
      const got = runGraph(graph, feeds);
      for (let i = 0; i < outputs.length; i++) {
        const diff = compare(got.get(outputs[i]), expected[i]);
        if (diff) return { name, ops, opset, status: 'fail', detail: `${set} output '${outputs[i]}': ${diff}` };
      }
    }
    return { name, ops, opset, status: 'pass' };
  } catch (e) {
    const msg = e instanceof CompileError ? e.format() : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { name, ops, opset, status: 'fail', detail: msg };
  }
}

/** Graph inputs consumed at an input position an importer needs constant. */
function constInputNames(model: ModelProto): Set<string> {
  const names = new Set<string>();
  for (const n of model.graph?.node ?? []) {
    const imp = importers.get(n.opType ?? '');
    for (const i of imp?.constInputs ?? []) {
      const name = n.input?.[i];
      if (name) names.add(name);
    }
  }
  return names;
}

function compare(got: Value | undefined, want: Tensor): string | undefined {
  if (!got) return 'missing';
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return `shape [${got.shape.join(',')}] != expected [${want.shape.join(',')}]`;
  }
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} != expected ${want.dtype}`;
  const w = want.data!;
  const float = isFloat(want.dtype);
  for (let i = 0; i < w.length; i++) {
    const a = getNumber(got.data, i);
    const b = getNumber(w, i);
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    const ok = float ? Math.abs(a - b) <= ATOL + RTOL * Math.abs(b) || a === b : a === b;
    if (!ok) return `element ${i}: got ${a}, expected ${b}`;
  }
  return undefined;
}

/** Every case of `set`, run (empty when its folder is missing). */
export function runSet(set: CaseSet, filter?: RegExp): CaseResult[] {
  return listCases(filter, set.root).map((name) => runCaseIn(set.root, name));
}

/**
 * The tolerance checks of bench/wasm.ts: onnxruntime's int8 results against qgc's integer
 * interpreter, counted in quantization steps. ORT requantizes in float and qgc (like CMSIS-NN) in
 * Q31 integer arithmetic, so single ops differ by at most one step at rounding ties; over a whole
 * network those differences can add up, so both are shown: each int8 op alone on the
 * interpreter's own int8 inputs (the one-step contract), and the network end to end.
 * `qgc verify` stays the bit-exact oracle; these only show that both sides run the same model.
 */
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { exportQdq } from '../src/onnx/export-qdq.js';

/** How far two results are apart, in quantization steps. */
export interface Steps {
  max: number;
  differ: number;
  total: number;
}

/** The parts of an onnxruntime package the checks use (onnxruntime-web and -node alike). */
export interface OrtLike {
  Tensor: new (type: 'int8' | 'float32', data: Int8Array | Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
}

/** An onnxruntime session, as far as the checks use it. */
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

function add(acc: Steps, a: ArrayLike<number>, b: ArrayLike<number>): Steps {
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    acc.max = Math.max(acc.max, d);
    if (d !== 0) acc.differ++;
    acc.total++;
  }
  return acc;
}

/** One line: whether everything is within one step, the largest difference, the share that differs. */
export function describeSteps(what: string, s: Steps): string {
  return `${what}: ${s.max <= 1 ? 'within one step' : 'NOT within one step'} (max ${s.max} step${s.max === 1 ? '' : 's'}, ${s.differ}/${s.total} values differ)`;
}

/** The network's float output (a Dequantize of an int8 tensor) in steps of that tensor. */
function outputSteps(g: Graph): ((v: Float32Array) => Int32Array) | undefined {
  const node = g.nodes.find((n) => n.outputs.includes(g.outputs[0]));
  const q = node?.op === 'Dequantize' ? g.tensors.get(node.inputs[0])?.quant : undefined;
  if (!q) return undefined;
  const [s, z] = [q.scale[0], q.zeroPoint[0]];
  return (v) => Int32Array.from(v, (x) => Math.round(x / s) + z);
}

/**
 * The integers at the network's two edges on the interpreter: the Quantize of the (single) input
 * and the int8 tensor the output's Dequantize reads, i.e. what `net.run(Int8Array)` takes and
 * must return byte for byte. Undefined when the graph does not start and end that way.
 */
export function interpreterInt8(int8: Graph, x: Value): { input: Int8Array; output: Int8Array } | undefined {
  const q = int8.nodes.find((n) => n.op === 'Quantize' && n.inputs[0] === int8.inputs[0]);
  const dq = int8.nodes.find((n) => n.op === 'Dequantize' && n.outputs[0] === int8.outputs[0]);
  if (!q || !dq || int8.inputs.length !== 1 || int8.outputs.length !== 1) return undefined;
  const env = runGraph(int8, new Map([[int8.inputs[0], x]]), { keepAll: true });
  const [input, output] = [env.get(q.outputs[0])!.data, env.get(dq.inputs[0])!.data];
  return input instanceof Int8Array && output instanceof Int8Array ? { input, output } : undefined;
}

/** End to end: the session's float output against the interpreter's `reference`, per sample. */
export async function endToEnd(int8: Graph, session: OrtSession, ort: OrtLike, samples: readonly Value[], reference: readonly Float32Array[]): Promise<Steps | undefined> {
  const steps = outputSteps(int8);
  if (!steps) return undefined;
  const acc: Steps = { max: 0, differ: 0, total: 0 };
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    add(acc, steps(out[session.outputNames[0]].data as Float32Array), steps(reference[i]));
  }
  return acc;
}

/**
 * Each int8 op alone: exported as a one-op QDQ model whose inputs are the op's int8 activations,
 * run by onnxruntime on the integers the interpreter computed for them, compared with the
 * interpreter's output. Returns the sum over ops and the worst op.
 */
export async function perOp(int8: Graph, ort: OrtLike, options: object, samples: readonly Value[]): Promise<{ all: Steps; worst: string }> {
  const envs = samples.map((x) => runGraph(int8, new Map([[int8.inputs[0], x]]), { keepAll: true }));
  const all: Steps = { max: 0, differ: 0, total: 0 };
  let worst = '';
  let worstBadness = -1;
  for (const n of int8.nodes) {
    if (n.op === 'Quantize' || n.op === 'Dequantize') continue;
    const acts = n.inputs.filter((i) => i !== '' && !int8.tensors.get(i)!.data);
    const session = await ort.InferenceSession.create(exportQdq({ ...int8, nodes: [n], inputs: acts, outputs: [n.outputs[0]] }), options);
    const mine: Steps = { max: 0, differ: 0, total: 0 };
    for (const env of envs) {
      const feeds = Object.fromEntries(acts.map((a) => [a, new ort.Tensor('int8', env.get(a)!.data as Int8Array, int8.tensors.get(a)!.shape)]));
      const theirs = (await session.run(feeds))[n.outputs[0]].data as Int8Array;
      add(mine, env.get(n.outputs[0])!.data as Int8Array, theirs);
    }
    await session.release();
    all.max = Math.max(all.max, mine.max);
    all.differ += mine.differ;
    all.total += mine.total;
    const badness = mine.max + mine.differ / (mine.total + 1); // the largest difference first, then the share
    if (badness > worstBadness) [worst, worstBadness] = [`${n.name} (${n.op}): max ${mine.max}, ${mine.differ}/${mine.total} differ`, badness];
  }
  return { all, worst };
}

/** The state lowerQdq (lower-qdq.ts) threads through its per-op lowerings, and the helpers
 * that resolve an ONNX tensor to the int8 activation of the lowered graph. */
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { QUANT_BITS } from '../ir/qops.js';
import { sameParams } from '../quant/lowering/source.js';
import { actParams, fmt, type ActRef, type QuantConst } from './lower-qdq-params.js';

/** What the lowering knows about a tensor of the ONNX graph: an int8 activation of the new
 * graph (for a float tensor: the activation it dequantizes), or a quantized constant. */
export type Known = { kind: 'act'; ref: ActRef } | { kind: 'const'; q: QuantConst };

/** State shared by the per-op lowerings. */
export interface LowerCtx {
  src: Graph;
  uses: Map<string, Node[]>;
  known: Map<string, Known>;
  /** Constant tensors by name: the graph's, plus QuantizeLinear of float constants (folded). */
  consts: Map<string, Tensor>;
  tensors: Map<string, Tensor>;
  nodes: Node[];
  /** A float tensor of the ONNX graph written by a node kept in float → its float32 tensor in the
   * new graph (a QuantizeLinear of it becomes a Quantize step). */
  floats: Map<string, string>;
  /** An int8 activation → its Dequantize to float32 for the nodes kept in float (one per tensor). */
  dequantized: Map<string, string>;
  /** A tensor name used by neither graph, derived from `base`. */
  fresh(base: string): string;
}

export const where = (n: Node): ErrorLocation => ({ node: n.name, op: n.op });

/** Adds an int8 activation tensor to the new graph and returns its reference. */
export function addAct(ctx: LowerCtx, name: string, shape: readonly number[], p: { scale: number; zeroPoint: number }): ActRef {
  ctx.tensors.set(name, {
    name, dtype: 'int8', shape: [...shape],
    quant: { scale: Float32Array.of(p.scale), zeroPoint: Int32Array.of(p.zeroPoint), bits: QUANT_BITS.activation },
  });
  return { name, scale: Math.fround(p.scale), zeroPoint: p.zeroPoint };
}

/**
 * The int8 activation for integer tensor `name` of the ONNX graph. With `p` (the parameters a
 * consumer states), they must match what produced it; an integer graph input becomes an int8
 * graph input with these parameters.
 */
export function intAct(ctx: LowerCtx, name: string, n: Node, p?: { scale: number; zeroPoint: number }): ActRef {
  const k = ctx.known.get(name);
  if (k?.kind === 'act') {
    if (p && !sameParams(k.ref, p)) {
      throw new CompileError(ErrorCode.BadGraph,
        `reads '${name}' with scale ${fmt(p.scale)} and zero point ${p.zeroPoint}, but it was quantized with scale ${fmt(k.ref.scale)} and zero point ${k.ref.zeroPoint} (int8 terms)`,
        where(n), 'Give a quantized tensor one set of parameters: its QuantizeLinear and every DequantizeLinear of it must agree.');
    }
    return k.ref;
  }
  const t = ctx.src.tensors.get(name);
  const isIntInput = t !== undefined && ctx.src.inputs.includes(name) && (t.dtype === 'int8' || t.dtype === 'uint8');
  const params = p ?? (isIntInput ? downstreamParams(ctx, name) : undefined);
  if (params && isIntInput) {
    const ref = addAct(ctx, name, t.shape, params);
    ctx.known.set(name, { kind: 'act', ref });
    return ref;
  }
  if (isIntInput) {
    throw new CompileError(ErrorCode.BadGraph, `integer graph input '${name}' reaches no DequantizeLinear through view ops (${[...VIEW_OPS].join(', ')}), so its scale is unknown`, where(n),
      'Dequantize the input (DequantizeLinear with its scale and zero point) before any op other than a view.');
  }
  throw new CompileError(ErrorCode.BadGraph, `input '${name}' is not a quantized activation qgc can follow`, where(n),
    'Quantize the tensor with QuantizeLinear (or a QLinear op) before this node.');
}

/** Ops that move integer data without changing its values: an integer graph input may pass
 * through any chain of them before the DequantizeLinear that states its scale (TFLite's
 * converter puts a Reshape or Transpose there). */
const VIEW_OPS: ReadonlySet<string> = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity']);

/**
 * The parameters of integer tensor `name` as stated by the first DequantizeLinear that reads
 * it, directly or through view ops (breadth first, in node order; every other DequantizeLinear
 * of it is checked against these when it is lowered). Undefined when none is reached.
 */
function downstreamParams(ctx: LowerCtx, name: string): { scale: number; zeroPoint: number } | undefined {
  const seen = new Set<string>([name]);
  for (let frontier = [name]; frontier.length > 0;) {
    const next: string[] = [];
    for (const cur of frontier) {
      for (const u of ctx.uses.get(cur) ?? []) {
        if (u.inputs[0] !== cur) continue;
        if (u.op === 'DequantizeLinear') {
          const [, s, z] = u.inputs;
          return actParams(ctx.src.tensors.get(s), z ? ctx.src.tensors.get(z) : undefined, ctx.src.tensors.get(cur)!.dtype, where(u));
        }
        if (VIEW_OPS.has(u.op) && !seen.has(u.outputs[0])) {
          seen.add(u.outputs[0]);
          next.push(u.outputs[0]);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

/** The int8 activation a float input dequantizes (it must come from DequantizeLinear). */
export function floatAct(ctx: LowerCtx, name: string, n: Node): ActRef {
  const k = ctx.known.get(name);
  if (k?.kind === 'act') return k.ref;
  const prod = ctx.src.nodes.find((m) => m.outputs.includes(name));
  const from = prod ? `${prod.op} '${prod.name}'` : ctx.src.inputs.includes(name) ? 'a graph input' : k ? 'a constant' : 'an unquantized tensor';
  throw new CompileError(ErrorCode.BadGraph, `input '${name}' is a float tensor from ${from}, not a DequantizeLinear of an int8 activation`, where(n),
    'lowerQdq needs QuantizeLinear/DequantizeLinear around every op (onnxruntime quantize_static with QuantFormat.QDQ), or compile the float model and let qgc quantize it.');
}

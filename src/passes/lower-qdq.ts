/**
 * QDQ / QOperator ONNX → qgc's int8 ops (src/ir/qops.ts), keeping the model's scales.
 *
 * Input: a graph as imported from an already-quantized ONNX model, before the float
 * optimization passes (constant folding would dequantize the weights). Two forms, mixed
 * freely:
 * - QDQ: float ops (Conv, Gemm, MatMul, Add, MaxPool, AveragePool, GlobalAveragePool,
 *   Softmax, Concat, Relu/Clip, Reshape/Flatten/Squeeze/Unsqueeze) whose inputs come from
 *   DequantizeLinear and whose output goes (through an optional Relu/Clip, which becomes the
 *   op's [actMin, actMax]) to QuantizeLinear. Weights are DequantizeLinear of int8 constants
 *   (per channel through `axis`), biases DequantizeLinear of int32 with scale s_in * s_w[c]
 *   (kept as they are) or float (quantized with that scale).
 * - QOperator: QLinearConv and QLinearMatMul (and MaxPool/Reshape on their int8 outputs).
 * - Integer boundaries (TFLite's converter): an int8/uint8 graph input takes the parameters of
 *   the first DequantizeLinear that reads it through view ops (Reshape, Transpose, Squeeze,
 *   Unsqueeze, Flatten, Identity); an integer graph output written by a QuantizeLinear is that
 *   op's int8 tensor. The compiled API then takes and returns those bytes.
 *
 * Parameters: every scale is the model's own. uint8 activations become int8 with the zero
 * point shifted by −128 (the data shifts with it: the boundary Quantize then produces int8
 * directly; an integer graph input or output becomes int8 — feed uint8 data − 128 and add
 * 128 to such outputs). Weights must be int8/uint8 with a zero point that can be removed
 * exactly (see int8Weights). Requantization multipliers come from quantizeMultiplier
 * (src/ir/intmath.ts) exactly as qgc's quantizer computes them. Float graph inputs and
 * outputs become Quantize/Dequantize boundary nodes.
 *
 * Semantics: the lowered graph follows the device contract (design.md: CMSIS-NN's
 * arm_nn_requantize, TFLite's integer Add/Softmax/pooling), not ONNX's float
 * requantization; the two can differ by one step where ONNX's result lies at (or within
 * float rounding of) a rounding tie. The lowering is right by definition; test/qdq.test.ts
 * measures the difference on ONNX's conformance cases and on the example models.
 *
 * Float where int8 cannot go: an op of OpGroups.floatFallback that no int8 row takes (or that
 * `floatNodes` names) runs in float: its DequantizeLinear inputs become Dequantize steps (constants
 * are dequantized into float32 data), and the QuantizeLinear after it a Quantize step with the
 * model's parameters; a chain of such ops stays float between them. `int8Only` refuses instead.
 *
 * Anything outside these patterns is a CompileError naming the node and op, with a hint.
 */
import { CompileError, ErrorCode } from '../errors.js';
import { isFloat } from '../ir/dtype.js';
import type { Graph, NodeOf, Tensor } from '../ir/graph.js';
import { FreshNames } from '../ir/names.js';
import { quantKernels } from '../interp/quant.js';
import { addAct, floatAct, intAct, where, type LowerCtx } from './lower-qdq-ctx.js';
import { sameParams } from '../quant/lowering/source.js';
import { actParams, fmt, quantConst } from './lower-qdq-params.js';
import { lowerFloatOp, lowerQLinearConv, lowerQLinearMatMul, QdqSource } from './lower-qdq-ops.js';
import type { Pass } from './pass.js';
import { OpGroups } from '../ir/ops.js';
import { consumers } from '../ir/rewrite.js';
import { activationFusion } from './fuse-activation.js';
import { fuseToFixpoint } from './fusion.js';
import { verifyGraph } from './verify.js';

function lowerQuantize(ctx: LowerCtx, n: NodeOf<'QuantizeLinear'>): void {
  const [x, s, z] = n.inputs;
  const out = n.outputs[0];
  const sT = ctx.src.tensors.get(s);
  const zT = z ? ctx.src.tensors.get(z) : undefined;
  const xT = ctx.consts.get(x);
  if (xT?.data) {
    // A quantized constant (weights in fake-quant form): fold with ONNX semantics.
    const vals = (t: Tensor | undefined) => (t?.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined);
    const [q] = quantKernels.QuantizeLinear(n, [vals(xT), vals(sT), vals(zT)]);
    ctx.consts.set(out, { name: out, dtype: q.dtype, shape: q.shape, data: q.data });
    return;
  }
  const p = actParams(sT, zT, n.attrs.outputDtype, where(n));
  const f = ctx.floats.get(x);
  if (f !== undefined) {
    // The output of a node kept in float: quantized with the model's parameters.
    const ref = addAct(ctx, out, ctx.src.tensors.get(x)!.shape, p);
    ctx.nodes.push({ name: n.name, op: 'Quantize', inputs: [f], outputs: [out], attrs: { scale: ref.scale, zeroPoint: ref.zeroPoint } });
    ctx.known.set(out, { kind: 'act', ref });
    return;
  }
  const k = ctx.known.get(x);
  if (k?.kind === 'act') {
    if (!sameParams(k.ref, p)) {
      throw new CompileError(ErrorCode.BadGraph,
        `requantizes '${x}' from scale ${fmt(k.ref.scale)}, zero point ${k.ref.zeroPoint} to scale ${fmt(p.scale)}, zero point ${p.zeroPoint} (int8 terms); qgc has no standalone requantize op`,
        where(n), 'Give this op\'s output the quantization of its input (onnxruntime does so for MaxPool, Reshape, Relu), or quantize the float model with qgc.');
    }
    ctx.known.set(out, k);
    return;
  }
  const xSrc = ctx.src.tensors.get(x);
  if (xSrc && ctx.src.inputs.includes(x) && isFloat(xSrc.dtype)) {
    ctx.tensors.set(x, xSrc);
    const ref = addAct(ctx, out, xSrc.shape, p);
    ctx.nodes.push({ name: n.name, op: 'Quantize', inputs: [x], outputs: [out], attrs: { scale: ref.scale, zeroPoint: ref.zeroPoint } });
    ctx.known.set(out, { kind: 'act', ref });
    return;
  }
  floatAct(ctx, x, n); // throws, naming where x comes from
}

function lowerDequantize(ctx: LowerCtx, n: NodeOf<'DequantizeLinear'>): void {
  const [x, s, z] = n.inputs;
  const out = n.outputs[0];
  const sT = ctx.src.tensors.get(s);
  const zT = z ? ctx.src.tensors.get(z) : undefined;
  const c = ctx.consts.get(x);
  if (c?.data) {
    ctx.known.set(out, { kind: 'const', q: quantConst(c, sT, zT, n.attrs.axis, where(n)) });
    return;
  }
  const xT = ctx.src.tensors.get(x)!;
  const ref = intAct(ctx, x, n, actParams(sT, zT, xT.dtype, where(n)));
  ctx.known.set(out, { kind: 'act', ref });
}

/** Graph outputs: float ones get a Dequantize boundary node, integer ones are the int8 tensor. */
function lowerOutputs(ctx: LowerCtx): string[] {
  return ctx.src.outputs.map((o) => {
    const k = ctx.known.get(o);
    const t = ctx.src.tensors.get(o)!;
    const prod = ctx.src.nodes.find((m) => m.outputs.includes(o));
    if (ctx.floats.has(o)) {
      throw new CompileError(ErrorCode.BadGraph, `graph output '${o}' is computed in float and not quantized`, prod ? where(prod) : { tensor: o },
        'The compiled API\'s outputs are int8: quantize this output (a QuantizeLinear/DequantizeLinear pair after the last op), as the model\'s other tensors are.');
    }
    if (k?.kind !== 'act') {
      throw new CompileError(ErrorCode.BadGraph, `graph output '${o}' is not a quantized tensor`, prod ? where(prod) : { tensor: o },
        'Quantize the model\'s outputs too (a QuantizeLinear/DequantizeLinear pair after the last op).');
    }
    const { ref } = k;
    if (isFloat(t.dtype)) {
      ctx.tensors.set(o, { name: o, dtype: 'float32', shape: [...t.shape] });
      const name = prod?.op === 'DequantizeLinear' ? prod.name : ctx.fresh(`${o}_dequantize`);
      ctx.nodes.push({ name, op: 'Dequantize', inputs: [ref.name], outputs: [o], attrs: { scale: ref.scale, zeroPoint: ref.zeroPoint } });
    } else if (ref.name !== o) {
      // Another name of the same int8 tensor: a same-shape view keeps the output's name.
      addAct(ctx, o, t.shape, ref);
      ctx.nodes.push({ name: ctx.fresh(`${o}_view`), op: 'Reshape', inputs: [ref.name], outputs: [o], attrs: { shape: [...t.shape] } });
    }
    return o;
  });
}

/** How lowerQdq treats ops no int8 row takes. */
export interface LowerQdqOptions {
  /** Refuse them (the error of a row, or "no int8 lowering") instead of running them in float. */
  int8Only?: boolean;
  /** Nodes to keep in float even where an int8 row takes them. */
  floatNodes?: ReadonlySet<string>;
  /** Told one line per node kept in float. */
  warn?: (message: string) => void;
}

/** Lowers an imported QDQ/QOperator graph onto qgc's int8 ops (see the file comment). */
export function lowerQdq(imported: Graph, opts: LowerQdqOptions = {}): Graph {
  for (const name of opts.floatNodes ?? []) {
    if (!imported.nodes.some((n) => n.name === name)) {
      throw new CompileError(ErrorCode.BadInput, `--float-nodes names '${name}', which is no node of the model`, { node: name }, 'Name nodes as qgc inspect prints them.');
    }
  }
  const taken = new Set<string>(imported.tensors.keys());
  const tensors = new Map<string, Tensor>();
  const freshNames = new FreshNames((n) => taken.has(n) || tensors.has(n));
  // A Relu/Clip between an op and its QuantizeLinear becomes the op's clamp (the same fusion row
  // as the float pipeline's, over the ops whose int8 form clamps; chains fuse to one clamp).
  const graph = fuseToFixpoint(imported, [activationFusion(OpGroups.int8Clamping)]);
  const ctx: LowerCtx = {
    src: graph,
    uses: consumers(graph),
    known: new Map(),
    consts: new Map([...graph.tensors].filter(([, t]) => t.data !== undefined)),
    tensors,
    nodes: [],
    floats: new Map(),
    dequantized: new Map(),
    fresh(base) {
      const name = freshNames.pick(base);
      taken.add(name);
      return name;
    },
  };
  const source = new QdqSource(ctx);
  for (const n of graph.nodes) {
    switch (n.op) {
      case 'QuantizeLinear':
        lowerQuantize(ctx, n);
        break;
      case 'DequantizeLinear':
        lowerDequantize(ctx, n);
        break;
      case 'Identity': {
        const k = ctx.known.get(n.inputs[0]);
        const c = ctx.consts.get(n.inputs[0]);
        if (k) ctx.known.set(n.outputs[0], k);
        else if (c) ctx.consts.set(n.outputs[0], { ...c, name: n.outputs[0] });
        else floatAct(ctx, n.inputs[0], n);
        break;
      }
      case 'QLinearConv':
        lowerQLinearConv(ctx, n);
        break;
      case 'QLinearMatMul':
        lowerQLinearMatMul(ctx, n);
        break;
      default:
        lowerFloatOp(ctx, source, n, opts);
    }
  }
  const outputs = lowerOutputs(ctx);
  for (const i of graph.inputs) if (!ctx.tensors.has(i)) ctx.tensors.set(i, graph.tensors.get(i)!);
  const lowered: Graph = { name: graph.name, tensors: ctx.tensors, nodes: ctx.nodes, inputs: [...graph.inputs], outputs, opset: graph.opset };
  verifyGraph(lowered, 'lower-qdq');
  return lowered;
}

/** lowerQdq as a pipeline pass. */
export const lowerQdqPass: Pass = {
  name: 'lower-qdq',
  guarantees: 'QDQ/QOperator ONNX ops are qgc int8 ops with the model\'s own scales; float only at Quantize/Dequantize boundaries',
  run: (graph) => lowerQdq(graph, {}),
};

/** ModelProto → IR graph: opset check, initializers, input shapes, per-op import with
 * static shape inference, and folding of integer shape arithmetic (PyTorch's
 * Shape → Gather → Unsqueeze → Concat → Reshape chains) so every shape is known. */
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import { isFloat, type DType } from '../ir/dtype.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { runNode } from '../interp/run.js';
import type { Value } from '../interp/types.js';
import { AttrReader } from './attrs.js';
import { checkOpsetFacts, MAX_OPSET, MIN_OPSET } from './opsets.js';
import { importers, supportedOnnxOps } from './ops/index.js';
import type { ImportContext } from './ops/types.js';
import { int64ToNumber, type Int64Like, type ModelProto, type ValueInfoProto } from './proto.js';
import { checkedShape, dtypeFromOnnx, tensorFromProto, type TensorReadOptions } from './tensor.js';

/** Default-domain opsets qgc imports: 1 to 28. What each version of each claimed op changed,
 * and what qgc refuses of it, is one table in ./opsets.ts (checked for every node before its
 * importer runs); ops whose semantics changed in ways the table cannot express are handled per
 * version by their importers. Legacy attributes of early versions (e.g. `consumed_inputs`,
 * `broadcast`) are never read, so a model that uses them fails with "attribute not supported"
 * instead of being misread. */
export { MAX_OPSET, MIN_OPSET } from './opsets.js';

export interface ImportOptions extends TensorReadOptions {
  /** Shapes for graph inputs, replacing the model's (e.g. to set a symbolic batch dim). */
  inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Graph inputs to treat as constants with these values (for static shapes). */
  bindInputs?: ReadonlyMap<string, Omit<Tensor, 'name'>>;
  /** Path shown in error messages. */
  file?: string;
}

export function importModel(model: ModelProto, opts: ImportOptions = {}): Graph {
  const fileLoc: ErrorLocation = opts.file === undefined ? {} : { file: opts.file };
  const g = model.graph;
  if (!g) {
    throw new CompileError(ErrorCode.MalformedModel, 'the model has no graph', fileLoc,
      'Check that the file is an ONNX ModelProto, not a bare GraphProto or TensorProto.');
  }
  const opset = defaultOpset(model, fileLoc);

  const tensors = new Map<string, Tensor>();
  for (const init of g.initializer ?? []) {
    const name = init.name ?? '';
    tensors.set(name, tensorFromProto(init, name, opts, fileLoc));
  }

  const inputs: string[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    const bound = opts.bindInputs?.get(name);
    if (bound) {
      tensors.set(name, { ...bound, name });
      continue;
    }
    if (tensors.has(name)) continue; // IR < 4: initializers are listed as inputs too
    tensors.set(name, inputTensor(vi, opts.inputShapes?.get(name), fileLoc));
    inputs.push(name);
  }
  for (const [name] of opts.inputShapes ?? []) {
    if (!inputs.includes(name)) {
      throw new CompileError(ErrorCode.BadInput, `--input-shape names '${name}', which is not a graph input`, fileLoc,
        `Graph inputs: ${inputs.join(', ') || '(none)'}.`);
    }
  }

  const nodes: Node[] = [];
  const nodeNames = new Set<string>();
  (g.node ?? []).forEach((np, index) => {
    const opType = np.opType ?? '';
    const domain = np.domain ?? '';
    let name = np.name || `${opType || 'node'}_${index}`;
    while (nodeNames.has(name)) name = `${name}_${index}`;
    nodeNames.add(name);
    const where: ErrorLocation = { ...fileLoc, node: name, op: opType };
    const fail = (code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string, hint?: string) =>
      new CompileError(code, message, where, hint);

    const key = domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
    const importer = importers.get(key);
    if (!importer) {
      throw fail(ErrorCode.UnsupportedOp, `op ${key} is not supported`,
        `qgc imports: ${supportedOnnxOps.join(', ')}. Replace or remove this node before compiling.`);
    }
    const inputNames = (np.input ?? []).map((s) => s ?? '');
    const inputTensors = inputNames.map((n, i) => {
      if (n === '') return undefined;
      const t = tensors.get(n);
      if (!t) {
        throw fail(ErrorCode.BadGraph, `input ${i} '${n}' is not produced by any earlier node, initializer or graph input`,
          'The graph must be topologically sorted and complete; re-export the model.');
      }
      return t;
    });
    for (const ci of importer.constInputs ?? []) {
      const t = inputTensors[ci];
      if (t && t.data === undefined) {
        throw fail(ErrorCode.BadAttribute, `input ${ci} ('${inputNames[ci]}') must be a constant: qgc compiles static shapes`,
          'Make it an initializer, or export the model with constant folding on (torch.onnx.export(do_constant_folding=True)).');
      }
    }
    const attrs = new AttrReader(np.attribute ?? [], where);
    const ctx: ImportContext = {
      name,
      opType,
      opset,
      attrs,
      inputs: inputTensors,
      outputCount: (np.output ?? []).length,
      error: fail,
    };
    checkOpsetFacts(ctx);
    const imported = importer.import(ctx);
    const unused = attrs.unused();
    if (unused.length > 0) {
      throw fail(ErrorCode.BadAttribute, `attribute${unused.length > 1 ? 's' : ''} ${unused.map((a) => `'${a}'`).join(', ')} not supported`,
        'Remove the attribute or re-export the model with default settings for it.');
    }
    const outputNames = (np.output ?? []).map((s) => s ?? '');
    for (const out of outputNames) {
      if (out !== '' && tensors.has(out)) throw fail(ErrorCode.BadGraph, `output '${out}' is already defined`, 'Each tensor must have one producer.');
    }

    if (imported.kind === 'constant') {
      if (outputNames.length !== 1 || outputNames[0] === '') throw fail(ErrorCode.BadGraph, 'expected exactly one output');
      tensors.set(outputNames[0], { ...imported.tensor, name: outputNames[0] });
      return;
    }
    outputNames.forEach((out, i) => {
      if (out !== '' && i >= imported.outputs.length) {
        throw fail(ErrorCode.BadAttribute, `output ${i} ('${out}') is not supported`,
          'Only the first output of this op is supported (inference mode); leave the others empty.');
      }
    });
    const keep = imported.keepInputs ?? inputNames.map((_, i) => i);
    const node = {
      name,
      op: imported.op,
      inputs: keep.map((i) => inputNames[i] ?? ''),
      outputs: outputNames.slice(0, imported.outputs.length),
      attrs: imported.attrs,
    } as Node;
    const outTensors: Tensor[] = imported.outputs.map((o, i) => ({ name: node.outputs[i], dtype: o.dtype, shape: o.shape }));
    // An inferred shape as large as no real model has (a huge Pad or Resize, say) is refused here,
    // before any kernel tries to allocate it.
    for (const t of outTensors) checkedShape(t.shape, { ...fileLoc, node: name, op: node.op, tensor: t.name });

    const folded = foldShapeArithmetic(node, keep.map((i) => inputTensors[i]), outTensors);
    for (const t of folded ?? outTensors) if (t.name !== '') tensors.set(t.name, t);
    if (!folded) nodes.push(node);
  });

  const outputs = (g.output ?? []).map((vi) => vi.name ?? '');
  for (const o of outputs) {
    if (!tensors.has(o)) {
      throw new CompileError(ErrorCode.BadGraph, `graph output '${o}' is not produced by any node`, { ...fileLoc, tensor: o },
        'Re-export the model; its outputs must be computed by the graph.');
    }
  }
  checkDeclaredOutputShapes(g.output ?? [], tensors, opts, fileLoc);
  return { name: g.name || 'model', tensors, nodes, inputs, outputs, opset };
}

function defaultOpset(model: ModelProto, where: ErrorLocation): number {
  let opset: number | undefined;
  for (const o of model.opsetImport ?? []) {
    if (o.domain === '' || o.domain === 'ai.onnx' || o.domain === undefined || o.domain === null) {
      opset = int64ToNumber(o.version as Int64Like);
    }
  }
  if (opset === undefined) {
    throw new CompileError(ErrorCode.MalformedModel, 'the model declares no default-domain opset', where,
      'Re-export the model; every ONNX model imports the ai.onnx opset.');
  }
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new CompileError(ErrorCode.UnsupportedOpset, `opset ${opset} is outside the supported range ${MIN_OPSET}..${MAX_OPSET}`, where,
      `Convert the model with onnx.version_converter.convert_version(model, ${Math.min(Math.max(opset, MIN_OPSET), MAX_OPSET)}).`);
  }
  return opset;
}

function inputTensor(vi: ValueInfoProto, override: readonly number[] | undefined, fileLoc: ErrorLocation): Tensor {
  const name = vi.name ?? '';
  const where = { ...fileLoc, tensor: name };
  const tt = vi.type?.tensorType;
  if (!tt) {
    throw new CompileError(ErrorCode.UnsupportedDType, 'graph input is not a tensor', where,
      'qgc compiles models whose inputs are tensors (no sequences or maps).');
  }
  const dtype = dtypeFromOnnx(tt.elemType ?? 0, where);
  const dims = tt.shape?.dim ?? [];
  let shape: number[];
  if (override) {
    if (tt.shape && override.length !== dims.length) {
      throw new CompileError(ErrorCode.ShapeMismatch, `--input-shape gives rank ${override.length}, the model declares rank ${dims.length}`, where,
        'Give one size per dimension, e.g. --input-shape input=1x1x28x28.');
    }
    shape = checkedShape([...override], where);
  } else {
    // Symbolic or missing dims (batch, sequence length) default to 1.
    shape = checkedShape(dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? (d.dimValue as Int64Like) : 1)), where);
    shape = shape.map((d, i) => (d === 0 && !hasDimValue(dims[i]) ? 1 : d));
  }
  return { name, dtype, shape };
}

function hasDimValue(d: { dimValue?: unknown; dimParam?: string | null }): boolean {
  return d.dimValue !== undefined && d.dimValue !== null && !d.dimParam;
}

/** Compares inferred output shapes with the ones the model declares (numeric dims only). */
function checkDeclaredOutputShapes(outs: readonly ValueInfoProto[], tensors: Map<string, Tensor>, opts: ImportOptions, fileLoc: ErrorLocation): void {
  if (opts.inputShapes && opts.inputShapes.size > 0) return; // the user changed the shapes on purpose
  for (const vi of outs) {
    const t = tensors.get(vi.name ?? '');
    const dims = vi.type?.tensorType?.shape?.dim;
    if (!t || !dims) continue;
    const declared = dims.map((d) => (hasDimValue(d) ? int64ToNumber(d.dimValue as Int64Like) : undefined));
    const mismatch = declared.length !== t.shape.length || declared.some((d, i) => d !== undefined && d !== t.shape[i]);
    if (mismatch) {
      throw new CompileError(ErrorCode.ShapeMismatch,
        `output shape inferred as [${t.shape.join(', ')}], but the model declares [${declared.map((d) => d ?? '?').join(', ')}]`,
        { ...fileLoc, tensor: t.name }, 'The model is inconsistent; run onnx.shape_inference on it, or report this as a qgc bug.');
    }
  }
}

/** Outputs of shape arithmetic: integers, and bool (Equal/Greater feeding Where in exporters'
 * shape subgraphs). */
const INTEGER_SHAPE_TYPES: readonly DType[] = ['int64', 'int32', 'bool'];

/** Evaluates a node at import time when it is integer shape arithmetic on constants,
 * returning the outputs as constant tensors (the node then disappears from the graph). */
function foldShapeArithmetic(node: Node, inputs: readonly (Tensor | undefined)[], outputs: Tensor[]): Tensor[] | undefined {
  const present = inputs.filter((t): t is Tensor => t !== undefined);
  if (present.length === 0 || present.some((t) => t.data === undefined)) return undefined;
  const touches = [...present, ...outputs];
  if (touches.some((t) => isFloat(t.dtype))) return undefined;
  if (!outputs.every((t) => INTEGER_SHAPE_TYPES.includes(t.dtype))) return undefined;
  const values: (Value | undefined)[] = inputs.map((t) => (t && t.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined));
  const results = runNode(node, values);
  return outputs.map((t, i) => ({ ...t, data: results[i].data }));
}

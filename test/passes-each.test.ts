/** Every pass in src/passes on a tiny hand-built model, one pass at a time: the printed IR
 * (src/ir/printer.ts) before and after, and the interpreter's output unchanged (within 1e-6
 * for the float passes; within one output step for the int8 lowerings, whose rounding is the
 * device's). Written against the pass objects and their printed results only, so a refactor
 * that keeps behaviour keeps these tests. */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { runGraph } from '../src/interp/run.js';
import type { Value } from '../src/interp/types.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { canonicalizeViews } from '../src/passes/canonicalize-views.js';
import { eliminateDead } from '../src/passes/eliminate-dead.js';
import { foldBatchNorm } from '../src/passes/fold-batchnorm.js';
import { foldConstants } from '../src/passes/fold-constants.js';
import { foldInputAffine } from '../src/passes/fold-input-affine.js';
import { foldPad } from '../src/passes/fold-pad.js';
import { fuseActivation } from '../src/passes/fuse-activation.js';
import { fuseBias } from '../src/passes/fuse-bias.js';
import { lowerQdqPass } from '../src/passes/lower-qdq.js';
import type { Pass } from '../src/passes/pass.js';
import { optimizationPasses } from '../src/passes/pipeline.js';
import { quantizePass } from '../src/passes/quantize.js';
import { removeIdentity } from '../src/passes/remove-identity.js';
import { verifyGraph } from '../src/passes/verify.js';
import { calibrationRanges, collectStats } from '../src/quant/calibrate.js';
import { encode, init } from './support/qdq-models.js';

const FLOAT = 1;
const vi = (name: string, dims: number[], elemType = FLOAT) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const f32 = (name: string, dims: number[], f: (i: number) => number) =>
  init(name, 'float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)));
const i64 = (name: string, values: number[]) => init(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const float = (name: string, f: number) => ({ name, type: 1, f });
const node = (opType: string, input: string[], output: string[], attribute: object[] = [], name = `${opType.toLowerCase()}_${output[0]}`) => ({ name, opType, input, output, attribute });
/** Weights that are not all alike: i → a value in [-0.5, 0.5). */
const w = (i: number) => ((i * 7) % 11) / 11 - 0.5;

/** A one-input, one-output model x → … → y. */
function model(x: number[], y: number[], nodes: object[], inits: object[] = []): Graph {
  return loadModelBytes(encode(nodes, inits, [vi('x', x)], [vi('y', y)])).graph;
}

/** Deterministic inputs for graph input x. */
function samples(g: Graph, count = 4): Value[] {
  const shape = g.tensors.get('x')!.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, s) => ({ dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(s * 31 + i * 1.7) * 1.5) }));
}

function outputs(g: Graph, x: Value): Float32Array {
  return runGraph(g, new Map([['x', x]])).get('y')!.data as Float32Array;
}

/** The largest |a - b| over every sample. */
function maxDifference(a: Graph, b: Graph): number {
  let worst = 0;
  for (const x of samples(a)) {
    const ya = outputs(a, x);
    const yb = outputs(b, x);
    expect(yb.length).toBe(ya.length);
    ya.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - yb[i]))));
  }
  return worst;
}

/** The printed graph, with every constant a pass created (not in `from`) named %new1, %new2, …
 * in order of appearance: which fresh name a pass picks is not its behaviour. */
function printNormalized(g: Graph, from: Graph): string {
  let out = printGraph(g);
  const fresh = [...g.tensors.values()].filter((t) => t.data !== undefined && !from.tensors.has(t.name)).map((t) => t.name);
  fresh.sort((a, b) => out.indexOf(`%${a}:`) - out.indexOf(`%${b}:`));
  fresh.forEach((name, i) => (out = out.split(`%${name}:`).join(`%new${i + 1}:`)));
  return out;
}

/** Runs one pass, checks the result's structure, returns the printed text before and after. */
function apply(pass: Pass, g: Graph): { after: Graph; before: string; printed: string } {
  const before = printGraph(g);
  const after = pass.run(g, {});
  verifyGraph(after, pass.name);
  expect(printGraph(g), `${pass.name} leaves its input graph as it was`).toBe(before);
  return { after, before, printed: printNormalized(after, g) };
}

/** A float pass: printed IR before and after as given, outputs within 1e-6. */
function floatPass(pass: Pass, g: Graph, before: string, after: string): Graph {
  const r = apply(pass, g);
  expect(r.before).toBe(before);
  expect(r.printed).toBe(after);
  expect(maxDifference(g, r.after)).toBeLessThanOrEqual(1e-6);
  return r.after;
}

const text = (...lines: string[]) => lines.join('\n');

describe('every pass has a small-graph test here', () => {
  it('covers the whole optimization pipeline, lowerQdq and quantize', () => {
    const covered = ['remove-identity', 'fold-constants', 'eliminate-dead', 'canonicalize-views', 'fold-pad', 'fold-batchnorm', 'fold-input-affine', 'fuse-bias', 'fuse-activation'];
    expect(optimizationPasses.map((p) => p.name).filter((n) => !covered.includes(n))).toEqual([]);
    expect(lowerQdqPass.name).toBe('lower-qdq');
    expect(quantizePass(new Map()).name).toBe('quantize');
  });
});

describe('float passes', () => {
  it('remove-identity: drops Identity, keeps the output name', () => {
    const g = model([1, 4], [1, 4], [node('Identity', ['x'], ['a']), node('Relu', ['a'], ['b']), node('Identity', ['b'], ['y'])]);
    floatPass(removeIdentity, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x4]',
      '  %a:float32[1x4] = Identity(%x:float32[1x4])  # identity_a',
      '  %b:float32[1x4] = Relu(%a:float32[1x4])  # relu_b',
      '  %y:float32[1x4] = Identity(%b:float32[1x4])  # identity_y',
      '  outputs: %y:float32[1x4]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x4]',
      '  %y:float32[1x4] = Relu(%x:float32[1x4])  # relu_b',
      '  outputs: %y:float32[1x4]',
      '',
    ));
  });

  it('fold-constants: a node computing from constants alone becomes a constant', () => {
    const g = model([1, 3], [1, 3], [node('Mul', ['c', 'd'], ['cd']), node('Add', ['x', 'cd'], ['y'])], [f32('c', [3], (i) => i + 1), f32('d', [3], (i) => 0.5 - i)]);
    floatPass(foldConstants, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x3]',
      '  %cd:float32[3] = Mul(%c:float32[3] const, %d:float32[3] const)  # mul_cd',
      '  %y:float32[1x3] = Add(%x:float32[1x3], %cd:float32[3])  # add_y',
      '  outputs: %y:float32[1x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x3]',
      '  %y:float32[1x3] = Add(%x:float32[1x3], %cd:float32[3] const)  # add_y',
      '  outputs: %y:float32[1x3]',
      '',
    ));
  });

  it('eliminate-dead: a branch no output reads is removed', () => {
    const g = model([1, 3], [1, 3], [node('Relu', ['x'], ['y']), node('Sigmoid', ['x'], ['unused'])]);
    floatPass(eliminateDead, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x3]',
      '  %y:float32[1x3] = Relu(%x:float32[1x3])  # relu_y',
      '  %unused:float32[1x3] = Sigmoid(%x:float32[1x3])  # sigmoid_unused',
      '  outputs: %y:float32[1x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x3]',
      '  %y:float32[1x3] = Relu(%x:float32[1x3])  # relu_y',
      '  outputs: %y:float32[1x3]',
      '',
    ));
  });

  it('canonicalize-views: Flatten, Unsqueeze and Squeeze become one Reshape view', () => {
    const g = model([1, 2, 3], [1, 6], [node('Unsqueeze', ['x', 'ax'], ['u']), node('Squeeze', ['u', 'ax'], ['s']), node('Flatten', ['s'], ['f']), node('Relu', ['f'], ['y'])], [i64('ax', [3])]);
    floatPass(canonicalizeViews, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3]',
      '  %u:float32[1x2x3x1] = Unsqueeze{shape=[1,2,3,1]}(%x:float32[1x2x3])  # unsqueeze_u',
      '  %s:float32[1x2x3] = Squeeze{shape=[1,2,3]}(%u:float32[1x2x3x1])  # squeeze_s',
      '  %f:float32[1x6] = Flatten{axis=1}(%s:float32[1x2x3])  # flatten_f',
      '  %y:float32[1x6] = Relu(%f:float32[1x6])  # relu_y',
      '  outputs: %y:float32[1x6]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3]',
      '  %f:float32[1x6] = Reshape{shape=[1,6]}(%x:float32[1x2x3])  # flatten_f',
      '  %y:float32[1x6] = Relu(%f:float32[1x6])  # relu_y',
      '  outputs: %y:float32[1x6]',
      '',
    ));
  });

  it('fold-pad: a zero Pad merges into the following Conv', () => {
    const g = model([1, 2, 4, 4], [1, 2, 4, 4], [node('Pad', ['x', 'pads'], ['p']), node('Conv', ['p', 'w'], ['y'], [ints('kernel_shape', [3, 3])])],
      [i64('pads', [0, 0, 1, 1, 0, 0, 1, 1]), f32('w', [2, 2, 3, 3], w)]);
    floatPass(foldPad, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %p:float32[1x2x6x6] = Pad{mode="constant" pads=[0,0,1,1,0,0,1,1] value=0}(%x:float32[1x2x4x4])  # pad_p',
      '  %y:float32[1x2x4x4] = Conv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%p:float32[1x2x6x6], %w:float32[2x2x3x3] const)  # conv_y',
      '  outputs: %y:float32[1x2x4x4]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %y:float32[1x2x4x4] = Conv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[1,1,1,1] group=1}(%x:float32[1x2x4x4], %w:float32[2x2x3x3] const)  # conv_y',
      '  outputs: %y:float32[1x2x4x4]',
      '',
    ));
  });

  it('fold-batchnorm: BatchNormalization after a Conv is folded into its weights and bias', () => {
    const g = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [1, 1])]),
      node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['y'], [float('epsilon', 1e-5)]),
    ], [f32('w', [2, 2, 1, 1], w), f32('gamma', [2], (i) => 1.5 - i), f32('beta', [2], (i) => 0.25 * i - 0.1), f32('mean', [2], (i) => 0.3 - 0.2 * i), f32('var', [2], (i) => 0.8 + i)]);
    floatPass(foldBatchNorm, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %c:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %w:float32[2x2x1x1] const)  # conv_c',
      '  %y:float32[1x2x3x3] = BatchNormalization{epsilon=0.00001}(%c:float32[1x2x3x3], %gamma:float32[2] const, %beta:float32[2] const, %mean:float32[2] const, %var:float32[2] const)  # batchnormalization_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %y:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %new1:float32[2x2x1x1] const, %new2:float32[2] const)  # conv_c',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ));
  });

  it('fold-input-affine: (x - mean) / std per channel in front of an unpadded Conv goes into its weights and bias', () => {
    const g = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Sub', ['x', 'mean'], ['s']), node('Div', ['s', 'std'], ['d']), node('Conv', ['d', 'w', 'b'], ['y'], [ints('kernel_shape', [1, 1])]),
    ], [f32('mean', [1, 2, 1, 1], (i) => 0.4 + 0.1 * i), f32('std', [2, 1, 1], (i) => 0.25 + 0.5 * i), f32('w', [2, 2, 1, 1], w), f32('b', [2], (i) => 0.1 * i)]);
    floatPass(foldInputAffine, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %s:float32[1x2x3x3] = Sub(%x:float32[1x2x3x3], %mean:float32[1x2x1x1] const)  # sub_s',
      '  %d:float32[1x2x3x3] = Div(%s:float32[1x2x3x3], %std:float32[2x1x1] const)  # div_d',
      '  %y:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%d:float32[1x2x3x3], %w:float32[2x2x1x1] const, %b:float32[2] const)  # conv_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %y:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %new1:float32[2x2x1x1] const, %new2:float32[2] const)  # conv_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ));
  });

  it('fold-input-affine: a scalar x * k + c in front of a padded Conv pads the raw input with -c / k; Gemm folds per column', () => {
    const g = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Mul', ['k', 'x'], ['m']), node('Add', ['m', 'c'], ['a']), node('Conv', ['a', 'w'], ['y'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
    ], [f32('k', [], () => 1 / 255), f32('c', [1], () => -0.5), f32('w', [2, 2, 3, 3], w)]);
    floatPass(foldInputAffine, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %m:float32[1x2x3x3] = Mul(%k:float32[] const, %x:float32[1x2x3x3])  # mul_m',
      '  %a:float32[1x2x3x3] = Add(%m:float32[1x2x3x3], %c:float32[1] const)  # add_a',
      '  %y:float32[1x2x3x3] = Conv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[1,1,1,1] group=1}(%a:float32[1x2x3x3], %w:float32[2x2x3x3] const)  # conv_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %x_padded:float32[1x2x5x5] = Pad{mode="constant" pads=[0,0,1,1,0,0,1,1] value=127.5}(%x:float32[1x2x3x3])  # conv_y_input_pad',
      '  %y:float32[1x2x3x3] = Conv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x_padded:float32[1x2x5x5], %new1:float32[2x2x3x3] const, %new2:float32[2] const)  # conv_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ));
    const gemm = model([2, 3], [2, 4], [node('Sub', ['x', 'mean'], ['s']), node('Gemm', ['s', 'k', 'kb'], ['y'], [{ name: 'transB', type: 2, i: 1 }])],
      [f32('mean', [3], (i) => i / 3), f32('k', [4, 3], w), f32('kb', [4], (i) => i / 4)]);
    floatPass(foldInputAffine, gemm, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[2x3]',
      '  %s:float32[2x3] = Sub(%x:float32[2x3], %mean:float32[3] const)  # sub_s',
      '  %y:float32[2x4] = Gemm{alpha=1 beta=1 transA=false transB=true}(%s:float32[2x3], %k:float32[4x3] const, %kb:float32[4] const)  # gemm_y',
      '  outputs: %y:float32[2x4]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[2x3]',
      '  %y:float32[2x4] = Gemm{alpha=1 beta=1 transA=false transB=true}(%x:float32[2x3], %new1:float32[4x3] const, %new2:float32[4] const)  # gemm_y',
      '  outputs: %y:float32[2x4]',
      '',
    ));
  });

  it('fold-input-affine: leaves per-channel offsets before a padded Conv, and an input read twice, as they are', () => {
    const padded = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Sub', ['x', 'mean'], ['s']), node('Conv', ['s', 'w'], ['y'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
    ], [f32('mean', [1, 2, 1, 1], (i) => 0.4 + 0.1 * i), f32('w', [2, 2, 3, 3], w)]);
    expect(printGraph(foldInputAffine.run(padded, {}))).toBe(printGraph(padded));
    const twice = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Sub', ['x', 'mean'], ['s']), node('Conv', ['s', 'w'], ['c'], [ints('kernel_shape', [1, 1])]), node('Add', ['c', 'x'], ['y']),
    ], [f32('mean', [1, 2, 1, 1], (i) => 0.4 + 0.1 * i), f32('w', [2, 2, 1, 1], w)]);
    expect(printGraph(foldInputAffine.run(twice, {}))).toBe(printGraph(twice));
  });

  it('fuse-bias: a per-channel constant Add after a Conv becomes its bias; MatMul + Add becomes Gemm', () => {
    const g = model([1, 2, 3, 3], [1, 2, 3, 3], [node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [1, 1])]), node('Add', ['c', 'b'], ['y'])],
      [f32('w', [2, 2, 1, 1], w), f32('b', [1, 2, 1, 1], (i) => 0.1 + i)]);
    floatPass(fuseBias, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %c:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %w:float32[2x2x1x1] const)  # conv_c',
      '  %y:float32[1x2x3x3] = Add(%c:float32[1x2x3x3], %b:float32[1x2x1x1] const)  # add_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %y:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %w:float32[2x2x1x1] const, %new1:float32[2] const)  # conv_c',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ));
    const m = model([2, 3], [2, 4], [node('MatMul', ['x', 'k'], ['m']), node('Add', ['m', 'b'], ['y'])], [f32('k', [3, 4], w), f32('b', [4], (i) => i / 4)]);
    floatPass(fuseBias, m, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[2x3]',
      '  %m:float32[2x4] = MatMul(%x:float32[2x3], %k:float32[3x4] const)  # matmul_m',
      '  %y:float32[2x4] = Add(%m:float32[2x4], %b:float32[4] const)  # add_y',
      '  outputs: %y:float32[2x4]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[2x3]',
      '  %y:float32[2x4] = Gemm{alpha=1 beta=1 transA=false transB=false}(%x:float32[2x3], %k:float32[3x4] const, %new1:float32[4] const)  # matmul_m',
      '  outputs: %y:float32[2x4]',
      '',
    ));
  });

  it('fuse-activation: Relu and constant Clip after clamping producers become their clamp', () => {
    const g = model([1, 2, 3, 3], [1, 2, 3, 3], [
      node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [1, 1])]), node('Relu', ['c'], ['r']),
      node('Add', ['r', 'x'], ['a']), node('Clip', ['a', 'lo', 'hi'], ['y']),
    ], [f32('w', [2, 2, 1, 1], w), init('lo', 'float32', [], Float32Array.of(-0.5)), init('hi', 'float32', [], Float32Array.of(0.75))]);
    floatPass(fuseActivation, g, text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %c:float32[1x2x3x3] = Conv{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %w:float32[2x2x1x1] const)  # conv_c',
      '  %r:float32[1x2x3x3] = Relu(%c:float32[1x2x3x3])  # relu_r',
      '  %a:float32[1x2x3x3] = Add(%r:float32[1x2x3x3], %x:float32[1x2x3x3])  # add_a',
      '  %y:float32[1x2x3x3] = Clip{min=-0.5 max=0.75}(%a:float32[1x2x3x3])  # clip_y',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ), text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x3x3]',
      '  %r:float32[1x2x3x3] = Conv+clamp[0,Infinity]{kernel=[1,1] strides=[1,1] dilations=[1,1] pads=[0,0,0,0] group=1}(%x:float32[1x2x3x3], %w:float32[2x2x1x1] const)  # conv_c',
      '  %y:float32[1x2x3x3] = Add+clamp[-0.5,0.75](%r:float32[1x2x3x3], %x:float32[1x2x3x3])  # add_a',
      '  outputs: %y:float32[1x2x3x3]',
      '',
    ));
  });
});

/** The output step of the graph's final Dequantize (one int8 step of y). */
function outputStep(g: Graph): number {
  const dq = g.nodes.find((n) => n.op === 'Dequantize' && n.outputs[0] === 'y');
  if (dq?.op !== 'Dequantize') throw new Error('no Dequantize produces y');
  return dq.attrs.scale;
}

describe('int8 passes', () => {
  it('lower-qdq: a QDQ Conv (per-channel int8 weights, int32 bias) + Relu becomes one QConv between Quantize and Dequantize', () => {
    const s = (name: string, v: number[]) => init(name, 'float32', v.length === 1 ? [] : [v.length], Float32Array.from(v));
    const z8 = (name: string, n = 1) => init(name, 'int8', n === 1 ? [] : [n], new Int8Array(n));
    const g = loadModelBytes(encode([
      node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']), node('DequantizeLinear', ['xq', 'xs', 'xz'], ['xd']),
      node('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], [{ name: 'axis', type: 2, i: 0 }]),
      node('DequantizeLinear', ['bq', 'bs'], ['bd'], [{ name: 'axis', type: 2, i: 0 }]),
      node('Conv', ['xd', 'wd', 'bd'], ['c'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]), node('Relu', ['c'], ['r']),
      node('QuantizeLinear', ['r', 'ys', 'yz'], ['yq']), node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y']),
    ], [
      s('xs', [1 / 64]), init('xz', 'int8', [], Int8Array.of(-3)),
      init('wq', 'int8', [2, 2, 3, 3], Int8Array.from({ length: 36 }, (_, i) => ((i * 37) % 255) - 127)), s('ws', [0.004, 0.006]), z8('wz', 2),
      init('bq', 'int32', [2], Int32Array.of(1200, -800)), s('bs', [0.004 / 64, 0.006 / 64]),
      s('ys', [0.05]), init('yz', 'int8', [], Int8Array.of(-128)),
    ], [vi('x', [1, 2, 4, 4])], [vi('y', [1, 2, 4, 4])])).graph;
    const r = apply(lowerQdqPass, g);
    expect(r.before).toBe(text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %xq:int8[1x2x4x4] = QuantizeLinear{axis=1 saturate=true blockSize=0 outputDtype="int8"}(%x:float32[1x2x4x4], %xs:float32[] const, %xz:int8[] const)  # quantizelinear_xq',
      '  %xd:float32[1x2x4x4] = DequantizeLinear{axis=1 saturate=true blockSize=0 outputDtype="float32"}(%xq:int8[1x2x4x4], %xs:float32[] const, %xz:int8[] const)  # dequantizelinear_xd',
      '  %wd:float32[2x2x3x3] = DequantizeLinear{axis=0 saturate=true blockSize=0 outputDtype="float32"}(%wq:int8[2x2x3x3] const, %ws:float32[2] const, %wz:int8[2] const)  # dequantizelinear_wd',
      '  %bd:float32[2] = DequantizeLinear{axis=0 saturate=true blockSize=0 outputDtype="float32"}(%bq:int32[2] const, %bs:float32[2] const)  # dequantizelinear_bd',
      '  %c:float32[1x2x4x4] = Conv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[1,1,1,1] group=1}(%xd:float32[1x2x4x4], %wd:float32[2x2x3x3], %bd:float32[2])  # conv_c',
      '  %r:float32[1x2x4x4] = Relu(%c:float32[1x2x4x4])  # relu_r',
      '  %yq:int8[1x2x4x4] = QuantizeLinear{axis=1 saturate=true blockSize=0 outputDtype="int8"}(%r:float32[1x2x4x4], %ys:float32[] const, %yz:int8[] const)  # quantizelinear_yq',
      '  %y:float32[1x2x4x4] = DequantizeLinear{axis=1 saturate=true blockSize=0 outputDtype="float32"}(%yq:int8[1x2x4x4], %ys:float32[] const, %yz:int8[] const)  # dequantizelinear_y',
      '  outputs: %y:float32[1x2x4x4]',
      '',
    ));
    expect(r.printed).toBe(text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %xq:int8[1x2x4x4] q(s=0.015625, zp=-3) = Quantize{scale=0.015625 zeroPoint=-3}(%x:float32[1x2x4x4])  # quantizelinear_xq',
      '  %yq:int8[1x2x4x4] q(s=0.05, zp=-128) = QConv{kernel=[3,3] strides=[1,1] dilations=[1,1] pads=[1,1,1,1] group=1 inputZeroPoint=-3 outputZeroPoint=-128 multiplier=[1374389580,2061584289] shift=[-9,-9] actMin=-128 actMax=127}(%xq:int8[1x2x4x4] q(s=0.015625, zp=-3), %wq:int8[2x2x3x3] const q(axis=0, 2 scales), %bq:int32[2] const q(axis=0, 2 scales))  # conv_c',
      '  %y:float32[1x2x4x4] = Dequantize{scale=0.05 zeroPoint=-128}(%yq:int8[1x2x4x4] q(s=0.05, zp=-128))  # dequantizelinear_y',
      '  outputs: %y:float32[1x2x4x4]',
      '',
    ));
    // The device's rounding differs from ONNX's float requantization by at most one step (at ties).
    expect(maxDifference(g, r.after)).toBeLessThanOrEqual(outputStep(r.after) * 1.0001);
  });

  it('quantize: a float Conv+Relu and a Gemm become QConv / QFullyConnected with calibrated scales', () => {
    const float = model([1, 2, 4, 4], [1, 3], [
      node('Conv', ['x', 'w', 'b'], ['c'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]), node('Relu', ['c'], ['r']),
      node('Flatten', ['r'], ['f']), node('Gemm', ['f', 'k', 'kb'], ['y'], [{ name: 'transB', type: 2, i: 1 }]),
    ], [f32('w', [2, 2, 3, 3], w), f32('b', [2], (i) => 0.1 - 0.2 * i), f32('k', [3, 8], w), f32('kb', [3], (i) => i / 10)]);
    const g = [removeIdentity, foldConstants, eliminateDead, canonicalizeViews, foldPad, foldBatchNorm, foldInputAffine, fuseBias, fuseActivation].reduce((x, p) => p.run(x, {}), float);
    const stats = collectStats(g, samples(g, 8).map((x, i) => ({ feeds: new Map([['x', x]]), file: '<test>', index: i, progress: (i + 1) / 8 })));
    const r = apply(quantizePass(calibrationRanges(stats, { method: 'minmax' })), g);
    expect(r.before).toBe(text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %r:float32[1x2x2x2] = Conv+clamp[0,Infinity]{kernel=[3,3] strides=[2,2] dilations=[1,1] pads=[1,1,1,1] group=1}(%x:float32[1x2x4x4], %w:float32[2x2x3x3] const, %b:float32[2] const)  # conv_c',
      '  %f:float32[1x8] = Reshape{shape=[1,8]}(%r:float32[1x2x2x2])  # flatten_f',
      '  %y:float32[1x3] = Gemm{alpha=1 beta=1 transA=false transB=true}(%f:float32[1x8], %k:float32[3x8] const, %kb:float32[3] const)  # gemm_y',
      '  outputs: %y:float32[1x3]',
      '',
    ));
    expect(r.printed).toBe(text(
      'graph g (opset 13)',
      '  inputs: %x:float32[1x2x4x4]',
      '  %x_int8:int8[1x2x4x4] q(s=0.0117638, zp=0) = Quantize{scale=0.0117638 zeroPoint=0}(%x:float32[1x2x4x4])  # x_quantize',
      '  %r:int8[1x2x2x2] q(s=0.0155946, zp=-128) = QConv{kernel=[3,3] strides=[2,2] dilations=[1,1] pads=[1,1,1,1] group=1 inputZeroPoint=0 outputZeroPoint=-128 multiplier=[1632711220,1632711220] shift=[-8,-8] actMin=-128 actMax=127}(%x_int8:int8[1x2x4x4] q(s=0.0117638, zp=0), %new1:int8[2x2x3x3] const q(axis=0, 2 scales), %new2:int32[2] const q(axis=0, 2 scales))  # conv_c',
      '  %f:int8[1x8] q(s=0.0155946, zp=-128) = Reshape{shape=[1,8]}(%r:int8[1x2x2x2] q(s=0.0155946, zp=-128))  # flatten_f',
      '  %y_int8:int8[1x3] q(s=0.0200307, zp=1) = QFullyConnected{inputZeroPoint=-128 outputZeroPoint=1 multiplier=[1685054136,1685054136,1685054136] shift=[-8,-8,-8] actMin=-128 actMax=127}(%f:int8[1x8] q(s=0.0155946, zp=-128), %new3:int8[3x8] const q(axis=0, 3 scales), %new4:int32[3] const q(axis=0, 3 scales))  # gemm_y',
      '  %y:float32[1x3] = Dequantize{scale=0.0200307 zeroPoint=1}(%y_int8:int8[1x3] q(s=0.0200307, zp=1))  # y_dequantize',
      '  outputs: %y:float32[1x3]',
      '',
    ));
    // int8 against float on the calibration inputs: within a few output steps.
    expect(maxDifference(g, r.after)).toBeLessThanOrEqual(4 * outputStep(r.after));
  });
});

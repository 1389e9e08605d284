/**
 * The int8 lowering table: one row per float op of OpGroups.int8, used by both `qgc quantize`
 * (scales from calibration) and lowerQdq (scales from the model's Q/DQ nodes). The type says
 * which op of the group lacks a row. Adding an op to int8 is adding it to the group and a row
 * here (one file per op family).
 */
import type { NodeOf } from '../../ir/graph.js';
import type { OpGroup } from '../../ir/ops.js';
import { lowerHardSigmoid, lowerHardSwish, lowerLeakyRelu, lowerPRelu, lowerSigmoidTanh } from './activation.js';
import { lowerAdd, lowerClamp, lowerDiv, lowerMul } from './elementwise.js';
import { lowerConv, lowerFullyConnected, lowerMatMul } from './linear.js';
import { lowerCopy, lowerPad, lowerResize, lowerSplit, lowerTranspose, lowerView } from './movement.js';
import { lowerGlobalAveragePool, lowerPool } from './pool.js';
import { lowerGlobalMaxPool, lowerReduceMax, lowerReduceMean } from './reduce.js';
import { lowerConcat, lowerSoftmax } from './softmax.js';
import type { ScaleSource } from './source.js';

/** Lowers one float node of op K into the graph the source builds. */
export type LowerRow<K extends OpGroup<'int8'>> = (s: ScaleSource, node: NodeOf<K>) => void;

export const int8Lowerings: { readonly [K in OpGroup<'int8'>]: LowerRow<K> } = {
  Conv: lowerConv,
  Gemm: lowerFullyConnected,
  MatMul: lowerMatMul,
  Add: lowerAdd,
  Sub: lowerAdd,
  Mul: lowerMul,
  Div: lowerDiv,
  MaxPool: lowerPool,
  AveragePool: lowerPool,
  GlobalAveragePool: lowerGlobalAveragePool,
  Softmax: lowerSoftmax,
  Concat: lowerConcat,
  Relu: lowerClamp,
  Clip: lowerClamp,
  Reshape: lowerView,
  Flatten: lowerView,
  Squeeze: lowerView,
  Unsqueeze: lowerView,
  Identity: lowerView,
  Transpose: lowerTranspose,
  Pad: lowerPad,
  Sigmoid: lowerSigmoidTanh,
  Tanh: lowerSigmoidTanh,
  HardSigmoid: lowerHardSigmoid,
  HardSwish: lowerHardSwish,
  LeakyRelu: lowerLeakyRelu,
  PRelu: lowerPRelu,
  ReduceMean: lowerReduceMean,
  ReduceMax: lowerReduceMax,
  GlobalMaxPool: lowerGlobalMaxPool,
  Slice: lowerCopy,
  DepthToSpace: lowerCopy,
  SpaceToDepth: lowerCopy,
  Resize: lowerResize,
  Split: lowerSplit,
};

/** Lowers `node` (an op of OpGroups.int8) with its row. */
export function lowerInt8(s: ScaleSource, node: NodeOf<OpGroup<'int8'>>): void {
  (int8Lowerings[node.op] as LowerRow<typeof node.op>)(s, node as never);
}

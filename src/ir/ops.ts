/**
 * The closed set of IR ops and the typed attributes of each. Attributes are
 * normalized on import: defaults filled in, auto_pad resolved to explicit pads,
 * negative axes made positive. Adding an op means adding it here, then giving it
 * an importer (src/onnx/ops/) and a kernel (src/interp/); the compiler points at
 * every registry that misses it.
 */
import type { QuantizedOpAttrMap } from './qops.js';

/** Spatial window attributes shared by Conv-like and pooling ops. Arrays have one entry
 * per spatial dim; `pads` is [begin_0, begin_1, ..., end_0, end_1, ...]. */
export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

export interface ConvAttrs extends WindowAttrs {
  group: number;
}

export interface PoolAttrs extends WindowAttrs {
  /** AveragePool: divide by the full window (true) or by the valid elements only (false). */
  countIncludePad: boolean;
  ceilMode: boolean;
}

export interface GemmAttrs {
  alpha: number;
  beta: number;
  transA: boolean;
  transB: boolean;
}

export interface AxisAttrs {
  axis: number;
}

export interface AxesAttrs {
  axes: number[];
}

export interface ClipAttrs {
  /** Bounds known at import time; inputs 1 and 2 (when present and not constant) override. */
  min: number;
  max: number;
}

export interface AlphaAttrs {
  alpha: number;
}

export interface HardSigmoidAttrs {
  alpha: number;
  beta: number;
}

export interface SoftmaxAttrs {
  axis: number;
  /** Opset < 13: softmax over the flattened [axis, rank) block. Opset >= 13: over one axis. */
  coerce2d: boolean;
}

export interface BatchNormAttrs {
  epsilon: number;
}

export interface ReshapeAttrs {
  /** The resolved output shape (no 0 or -1 left). */
  shape: number[];
}

export interface TransposeAttrs {
  perm: number[];
}

export interface PadAttrs {
  /** numpy.pad modes; 'wrap' is ONNX opset 19+. */
  mode: 'constant' | 'reflect' | 'edge' | 'wrap';
  /** [begin_0..begin_n, end_0..end_n], one pair per input dim, may be negative (cropping). */
  pads: number[];
  /** Fill value of 'constant' mode (in the data's type). */
  value: number;
}

export interface GatherAttrs {
  axis: number;
}

export interface QuantizeAttrs {
  /** Axis of per-axis scales; ignored for scalar scales. */
  axis: number;
  /** Saturate for float8 types (unused for integer outputs). */
  saturate: boolean;
  /** Opset 21 blocked quantization: 0 means not blocked. */
  blockSize: number;
  /** Output element type: the quantized type for QuantizeLinear (from the zero point or
   * opset 21's output_dtype; uint8 when neither is given), the scale's float type for
   * DequantizeLinear. */
  outputDtype: import('./dtype.js').DType;
}

export interface CastAttrs {
  to: import('./dtype.js').DType;
}

export interface ReduceAttrs {
  /** The reduced axes, positive and ascending; empty means the op copies its input
   * (noop_with_empty_axes = 1 with no axes). "No axes" meaning "all axes" is resolved on import. */
  axes: number[];
  keepdims: boolean;
}

export interface LayerNormAttrs {
  /** First normalized axis (positive): statistics over axes [axis, rank). */
  axis: number;
  epsilon: number;
}

export interface GeluAttrs {
  /** 'none': x * Phi(x) with the exact erf; 'tanh': the tanh approximation. */
  approximate: 'none' | 'tanh';
}

export interface SliceAttrs {
  /** Per input dim (all of them, resolved and clamped on import): the first index read and the
   * step (negative steps walk backwards); the output shape is the node's output tensor's. */
  starts: number[];
  steps: number[];
  /** The output shape (so the kernel needs no tensor table). */
  shape: number[];
}

export interface SplitAttrs {
  axis: number;
  /** Length of each output along `axis` (sums to the input's dim). */
  splits: number[];
}

export interface ExpandAttrs {
  /** The output shape: the input broadcast (numpy rules) with the shape input. */
  shape: number[];
}

export interface TileAttrs {
  /** One repeat count per input dim. */
  repeats: number[];
}

export interface BlockAttrs {
  blocksize: number;
  /** Order of the block within the channel dim: depth-column-row (DCR) or column-row-depth (CRD). */
  mode: 'DCR' | 'CRD';
}

export interface ResizeAttrs {
  mode: 'nearest' | 'linear';
  /** tf_half_pixel_for_nn is opset 11's only. */
  coordinateMode: 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';
  /** 'simple' is Resize-10's (as onnxruntime defines it): ceil on axes that downsample, floor otherwise. */
  nearestMode: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';
  /** Per input dim: the scale the coordinate transform divides by (out / in when sizes were given). */
  scales: number[];
  /** The output shape. */
  shape: number[];
}

export interface ConvTransposeAttrs extends WindowAttrs {
  group: number;
  /** Extra output elements at the end of each spatial dim. */
  outputPadding: number[];
}

export interface ConstantOfShapeAttrs {
  dtype: import('./dtype.js').DType;
  value: number;
}

export type NoAttrs = Record<string, never>;

/** Every IR op with its attribute record: the ONNX-level ops below and the int8 ops of
 * the quantized IR (src/ir/qops.ts). */
export interface OpAttrMap extends QuantizedOpAttrMap {
  Conv: ConvAttrs;
  ConvInteger: ConvAttrs;
  QLinearConv: ConvAttrs;
  Gemm: GemmAttrs;
  MatMul: NoAttrs;
  MatMulInteger: NoAttrs;
  QLinearMatMul: NoAttrs;
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Relu: NoAttrs;
  Clip: ClipAttrs;
  LeakyRelu: AlphaAttrs;
  Sigmoid: NoAttrs;
  HardSigmoid: HardSigmoidAttrs;
  HardSwish: NoAttrs;
  Tanh: NoAttrs;
  Softmax: SoftmaxAttrs;
  MaxPool: PoolAttrs;
  AveragePool: PoolAttrs;
  GlobalAveragePool: NoAttrs;
  BatchNormalization: BatchNormAttrs;
  Flatten: AxisAttrs;
  Reshape: ReshapeAttrs;
  Transpose: TransposeAttrs;
  Concat: AxisAttrs;
  Squeeze: ReshapeAttrs;
  Unsqueeze: ReshapeAttrs;
  Pad: PadAttrs;
  Identity: NoAttrs;
  Shape: NoAttrs;
  Gather: GatherAttrs;
  Cast: CastAttrs;
  Abs: NoAttrs;
  Neg: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sqrt: NoAttrs;
  Reciprocal: NoAttrs;
  Erf: NoAttrs;
  Softplus: NoAttrs;
  Gelu: GeluAttrs;
  Pow: NoAttrs;
  PRelu: NoAttrs;
  Max: NoAttrs;
  Min: NoAttrs;
  ReduceMean: ReduceAttrs;
  ReduceMax: ReduceAttrs;
  ReduceMin: ReduceAttrs;
  ReduceSum: ReduceAttrs;
  ReduceL2: ReduceAttrs;
  GlobalMaxPool: NoAttrs;
  LayerNormalization: LayerNormAttrs;
  Where: NoAttrs;
  Equal: NoAttrs;
  Greater: NoAttrs;
  Slice: SliceAttrs;
  Split: SplitAttrs;
  Expand: ExpandAttrs;
  Tile: TileAttrs;
  DepthToSpace: BlockAttrs;
  SpaceToDepth: BlockAttrs;
  Resize: ResizeAttrs;
  ConvTranspose: ConvTransposeAttrs;
  ConstantOfShape: ConstantOfShapeAttrs;
  Range: NoAttrs;
  QuantizeLinear: QuantizeAttrs;
  DequantizeLinear: QuantizeAttrs;
}

export type OpName = keyof OpAttrMap;

/** Ops grouped so passes can say "every elementwise binary op" instead of listing them. */
export const OpGroups = {
  /** Two inputs, numpy broadcasting (Pow's exponent may have another type; PRelu's slope
   * broadcasts to the input's shape). */
  binary: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu'],
  unary: ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf', 'Softplus', 'Gelu'],
  /** Any number of same-type inputs, numpy broadcasting. */
  variadic: ['Max', 'Min'],
  /** Reductions over constant axes (ONNX's Reduce* ops). */
  reduce: ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL2'],
  /** Comparisons: bool output of the broadcast shape. */
  comparison: ['Equal', 'Greater'],
  /** Ops that only copy elements to new places (any dtype, int64 shape arithmetic included). */
  rearrange: ['Slice', 'Split', 'Expand', 'Tile', 'DepthToSpace', 'SpaceToDepth'],
  movement: ['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity'],
  /** Ops that only reinterpret the shape (canonicalize-views makes them one Reshape). */
  view: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  /** Float ops whose device kernels apply an output clamp (CMSIS-NN's activation min/max), so a
   * following Relu/Clip fuses into them. */
  clamping: ['Conv', 'Gemm', 'MatMul', 'Add', 'MaxPool', 'AveragePool'],
  /** Float ops whose int8 form (src/quant/lowering/) applies an output clamp: lowerQdq fuses a
   * Relu/Clip between them and their QuantizeLinear into it. */
  int8Clamping: ['Conv', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'MaxPool', 'AveragePool', 'GlobalAveragePool'],
  /** Ops between float and integer; constant folding keeps them (it would dequantize weights). */
  boundary: ['QuantizeLinear', 'DequantizeLinear', 'Quantize', 'Dequantize'],
  pool: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  /** Ops whose only computed input is the first: the others are constants (weights and bias,
   * a shape, pads, axes). */
  firstInputComputed: ['QConv', 'QFullyConnected', 'Reshape', 'Pad', 'Squeeze', 'Unsqueeze', 'QPRelu'],
  /** Binary int8 ops whose second operand may be a constant (the lowering puts the computed one
   * first; kernels read the constant from flash). */
  constantSecondOperand: ['QAdd', 'QMul'],
  /** Float ops with an int8 lowering row (src/quant/lowering/table.ts): what `qgc quantize` and
   * lowerQdq turn into the ops of src/ir/qops.ts. */
  int8: [
    'Conv', 'Gemm', 'MatMul', 'Add', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Softmax', 'Concat', 'Relu', 'Clip',
    'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Pad',
    'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'PRelu', 'ReduceMean', 'ReduceMax', 'GlobalMaxPool',
    'Sub', 'Mul', 'Div', 'Slice', 'DepthToSpace', 'SpaceToDepth',
    'Resize', 'Split',
  ],
  /** Float ops a quantized graph may keep in float, between a Dequantize and a Quantize, where no
   * int8 lowering row takes the node or the user names it (`--float-nodes`): the C backend has a
   * float kernel for each (src/backends/c/kernels-float.ts, checked complete by type). */
  floatFallback: [
    'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Relu', 'Exp', 'Erf', 'Gelu', 'Abs', 'Neg', 'Sqrt', 'Reciprocal',
    'Add', 'Sub', 'Mul', 'Div', 'LayerNormalization', 'Softmax', 'ReduceMean', 'MatMul', 'Gemm', 'GlobalAveragePool',
  ],
  /** ONNX ops that mark a model as already quantized (QDQ or QOperator form). */
  onnxQuantized: ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger'],
} as const satisfies Record<string, readonly OpName[]>;

/** The ops of one group. */
export type OpGroup<G extends keyof typeof OpGroups> = (typeof OpGroups)[G][number];

/** True when `op` is in group `g` (narrows the op name). */
export function inGroup<G extends keyof typeof OpGroups>(g: G, op: OpName): op is OpGroup<G> {
  return (OpGroups[g] as readonly OpName[]).includes(op);
}

/**
 * Lowering rows of the int8 activations (TFLite's integer kernels, see
 * src/interp/int8/activation.ts): Sigmoid and Tanh → QSigmoid/QTanh with TFLite's int8 table,
 * HardSigmoid → QHardSigmoid (a table built the same way), HardSwish → QHardSwish,
 * LeakyRelu → QLeakyRelu, PRelu → QPRelu (its slope a per-tensor int8 constant). Each output has
 * its own parameters; calibration gives Sigmoid and Tanh TFLite's fixed ones (1/256, -128 and
 * 1/128, 0), a QDQ model whatever it states.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { LUT_FUNCTIONS, hardSwishParams, leakyReluParams, lookupTable, preluParams } from '../../ir/intmath.js';
import type { ScaleSource } from './source.js';

const where = (n: { name: string; op: string }) => ({ node: n.name, op: n.op });

/** Sigmoid → QSigmoid, Tanh → QTanh: TFLite's int8 lookup table (PopulateLookupTable). */
export function lowerSigmoidTanh(s: ScaleSource, n: NodeOf<'Sigmoid'> | NodeOf<'Tanh'>): void {
  const x = s.activation(n, n.inputs[0]);
  const sigmoid = n.op === 'Sigmoid';
  const preferred = sigmoid ? { scale: Math.fround(1 / 256), zeroPoint: -128 } : { scale: Math.fround(1 / 128), zeroPoint: 0 };
  const out = s.output(n, { kind: 'own', clamps: false, preferred });
  const p = out.params;
  const table = lookupTable(sigmoid ? LUT_FUNCTIONS.sigmoid : LUT_FUNCTIONS.tanh, x.scale, x.zeroPoint, p.scale, p.zeroPoint);
  s.add(n, sigmoid ? 'QSigmoid' : 'QTanh', { table }, [x.name], out);
}

/** HardSigmoid → QHardSigmoid: max(0, min(1, alpha * x + beta)) tabulated as TFLite tabulates. */
export function lowerHardSigmoid(s: ScaleSource, n: NodeOf<'HardSigmoid'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'own', clamps: false });
  const { alpha, beta } = n.attrs;
  const table = lookupTable(LUT_FUNCTIONS.hardSigmoid(alpha, beta), x.scale, x.zeroPoint, out.params.scale, out.params.zeroPoint);
  s.add(n, 'QHardSigmoid', { alpha, beta, table }, [x.name], out);
}

/** HardSwish → QHardSwish (TFLite's HardSwishPrepare). */
export function lowerHardSwish(s: ScaleSource, n: NodeOf<'HardSwish'>): void {
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'own', clamps: false });
  const p = hardSwishParams(x.scale, x.zeroPoint, out.params.scale, out.params.zeroPoint);
  if (p.outputShift > 0) {
    // TFLite's HardSwishPrepare requires it: the output scale is at least s_in / 128.
    throw new CompileError(ErrorCode.UnsupportedOp, `HardSwish output scale ${out.params.scale.toPrecision(4)} is below 1/128 of its input scale ${x.scale.toPrecision(4)}`, where(n),
      'Give the HardSwish output a range of at least 1/128 of its input range (TFLite requires the same).');
  }
  s.add(n, 'QHardSwish', p, [x.name], out);
}

/** LeakyRelu → QLeakyRelu (TFLite's LeakyReluPrepare). */
export function lowerLeakyRelu(s: ScaleSource, n: NodeOf<'LeakyRelu'>): void {
  const { alpha } = n.attrs;
  if (!(alpha >= 0)) {
    throw new CompileError(ErrorCode.UnsupportedOp, `LeakyRelu with alpha ${alpha} (negative) is not supported in int8`, where(n),
      'Use a non-negative alpha (TFLite requires one too), or keep this node in float.');
  }
  const x = s.activation(n, n.inputs[0]);
  const out = s.output(n, { kind: 'own', clamps: false });
  const p = out.params;
  s.add(n, 'QLeakyRelu', { alpha, inputZeroPoint: x.zeroPoint, outputZeroPoint: p.zeroPoint, ...leakyReluParams(x.scale, p.scale, alpha) }, [x.name], out);
}

/** The axis a PRelu slope of `slope` varies along when broadcast to `x` (ONNX's unidirectional
 * broadcasting), -1 for one value, or undefined when it varies along more than one. */
export function slopeAxis(x: readonly number[], slope: readonly number[]): number | undefined {
  const varying = slope.map((d, i) => (d === 1 ? -1 : x.length - slope.length + i)).filter((a) => a >= 0);
  return varying.length === 0 ? -1 : varying.length === 1 ? varying[0] : undefined;
}

/** PRelu → QPRelu: the slope a constant (quantized per tensor), one value or one per channel. */
export function lowerPRelu(s: ScaleSource, n: NodeOf<'PRelu'>): void {
  const xShape = s.shape(n.inputs[0]);
  const slopeShape = s.shape(n.inputs[1]);
  const axis = slopeAxis(xShape, slopeShape);
  if (slopeShape.length > xShape.length || (axis !== -1 && axis !== 1)) {
    throw new CompileError(ErrorCode.UnsupportedOp, `PRelu with a slope of shape [${slopeShape.join(', ')}] on [${xShape.join(', ')}] is not supported in int8`, where(n),
      'qgc runs int8 PRelu with a constant slope of one value or one per channel (axis 1: torch.nn.PReLU exports [C, 1, 1]).');
  }
  const x = s.activation(n, n.inputs[0]);
  const slope = s.operand(n, n.inputs[1]);
  const out = s.output(n, { kind: 'own', clamps: false });
  const p = out.params;
  s.add(n, 'QPRelu', {
    inputZeroPoint: x.zeroPoint, slopeZeroPoint: slope.zeroPoint, outputZeroPoint: p.zeroPoint, ...preluParams(x.scale, slope.scale, p.scale),
  }, [x.name, slope.name], out);
}

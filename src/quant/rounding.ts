/**
 * How float weights become integers (`--rounding`), on calibration data only:
 *
 * - `nearest`: q = round(w / s), half away from zero (params.ts's quantizeWeights).
 * - `bias-correction`: nearest, then each output channel's bias is shifted by the mean output
 *   error E[W x - W̃ x] over the float calibration activations at the layer's input (exact
 *   means over every output position of every sample), so the layer's mean output is the float
 *   one; the bias is then quantized as before.
 * - `adaround`: AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training
 *   Quantization"): each weight goes down (floor) or up, chosen by minimizing the layer's output
 *   reconstruction error ||W x - W̃ x̂||² on calibration patches, x the float model's input to
 *   the layer and x̂ the input the already rounded layers before it give it (the paper's
 *   asymmetric variant; src/passes/quantize-rounded.ts runs the layers in order). The choice is relaxed
 *   to the rectified sigmoid h(V) = clip(σ(V)(ζ - γ) + γ, 0, 1), ζ = 1.1, γ = -0.1, with the
 *   regularizer λ Σ (1 - |2h(V) - 1|^β) pushing h to 0 or 1, β annealed from 20 to 2 after a
 *   warm-up without it; Adam on V; finally q = floor(w / s) + [h(V) ≥ 0.5]. The bias then takes
 *   the mean residual E[W x - W̃ x̂] (the best bias shift for the same squared error). The loss is
 *   a sum over output channels of independent terms, so each channel is optimized on its own, in
 *   integer units (divided by s²) and divided by the mean squared input, so that one λ suits
 *   every layer (λ = 1 here plays the role of the paper's 0.01 against its mean-over-outputs loss;
 *   smaller values leave h between 0 and 1 and the final rounding arbitrary).
 *
 * Each step takes the full-batch gradient over the kept patches (LayerInputCollector's seeded
 * reservoir), so the result is deterministic.
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { LayerInputs } from './layer-inputs.js';
import { quantizeWeights } from './params.js';

/** The rounding methods of `--rounding`. */
export const ROUNDING_METHODS = ['nearest', 'bias-correction', 'adaround'] as const;

export type RoundingMethod = (typeof ROUNDING_METHODS)[number];

/** Parses `--rounding` (default nearest). */
export function parseRounding(text: string | undefined): RoundingMethod {
  const key = (text ?? 'nearest').toLowerCase();
  if ((ROUNDING_METHODS as readonly string[]).includes(key)) return key as RoundingMethod;
  throw new CompileError(ErrorCode.BadInput, `--rounding '${text}' is unknown`, {}, `Use one of: ${ROUNDING_METHODS.join(', ')}.`);
}

/** AdaRound's settings (the paper's ζ, γ, β range and warm-up; fewer iterations than its 10k:
 * the layers here have at most a few hundred weights per channel). */
export interface AdaRoundOptions {
  iterations: number;
  learningRate: number;
  lambda: number;
  /** Share of the iterations before the regularizer starts. */
  warmup: number;
  betaStart: number;
  betaEnd: number;
}

export const ADAROUND_DEFAULTS: AdaRoundOptions = {
  iterations: 1000,
  learningRate: 0.02,
  lambda: 1,
  warmup: 0.2,
  betaStart: 20,
  betaEnd: 2,
};

const ZETA = 1.1;
const GAMMA = -0.1;

/** A layer's float weights [channels, fanIn] and their scales (one, or one per channel). */
export interface LayerWeights {
  data: Float32Array;
  channels: number;
  fanIn: number;
  /** Input channel groups (each output channel reads the patches of its group). */
  groups: number;
  scales: Float32Array;
  qmax: number;
}

const scaleOf = (w: LayerWeights, c: number): number => w.scales[w.scales.length === 1 ? 0 : c];
const groupOf = (w: LayerWeights, c: number): number => Math.floor(c / (w.channels / w.groups));

/**
 * The bias shift of each output channel that makes the mean output with integer weights `q`
 * equal the float one: Σ_k (w[c,k] E[x_k] - q[c,k] s_c E[x̂_k]), x̂ the inputs the quantized
 * layer sees (default: the float ones). For a squared error this shift is also the best one.
 */
export function biasCorrection(w: LayerWeights, q: Int8Array, inputs: LayerInputs, quantized: LayerInputs = inputs): Float64Array {
  const shift = new Float64Array(w.channels);
  for (let c = 0; c < w.channels; c++) {
    const s = scaleOf(w, c);
    const mean = inputs.mean[groupOf(w, c)];
    const meanQ = quantized.mean[groupOf(w, c)];
    let err = 0;
    for (let k = 0; k < w.fanIn; k++) err += w.data[c * w.fanIn + k] * mean[k] - q[c * w.fanIn + k] * s * meanQ[k];
    shift[c] = err;
  }
  return shift;
}

/**
 * The mean over the kept patches of each channel's squared output error Σ_c mean_p ((W̃ - W) x)²,
 * in real units: what AdaRound minimizes (for tests and reports).
 */
export function reconstructionError(w: LayerWeights, q: Int8Array, inputs: LayerInputs): number {
  let total = 0;
  for (let c = 0; c < w.channels; c++) {
    const s = scaleOf(w, c);
    const x = inputs.patches[groupOf(w, c)];
    for (let p = 0; p < inputs.rows; p++) {
      let e = 0;
      for (let k = 0; k < w.fanIn; k++) e += (q[c * w.fanIn + k] * s - w.data[c * w.fanIn + k]) * x[p * w.fanIn + k];
      total += e * e;
    }
  }
  return inputs.rows === 0 ? 0 : total / inputs.rows;
}

/**
 * One group's reconstruction loss and its full-batch gradient. With float patches X, the patches
 * X̂ the quantized layer sees (X̂ = X for float inputs) and, per channel, u = floor + h and
 * t = w / s (integer units): L(u) = mean_p (x̂_p · u - x_p · t)² / norm, norm the mean squared
 * input. The gradient goes through the Gram matrix Ĝ = X̂^T X̂ / rows (K² per step, after
 * b = X̂^T X t / rows per channel) or through the rows (2 rows K per step), whichever is cheaper.
 */
class Reconstruction {
  private readonly gram?: Float64Array;
  private readonly b: Float64Array;
  /** y_p = x_p · t of the current channel. */
  private readonly y: Float64Array;
  private readonly r: Float64Array;
  readonly norm: number;

  constructor(private readonly x: Float32Array, private readonly xq: Float32Array, private readonly rows: number, private readonly k: number) {
    let norm = 0;
    for (let i = 0; i < rows * k; i++) norm += xq[i] * xq[i];
    this.norm = norm / (rows * k);
    this.r = new Float64Array(rows);
    this.y = new Float64Array(rows);
    this.b = new Float64Array(k);
    if (k <= 2 * rows) {
      const g = new Float64Array(k * k);
      for (let p = 0; p < rows; p++) {
        const row = p * k;
        for (let a = 0; a < k; a++) {
          const xa = xq[row + a];
          if (xa === 0) continue;
          for (let c = a; c < k; c++) g[a * k + c] += xa * xq[row + c];
        }
      }
      for (let a = 0; a < k; a++) for (let c = a; c < k; c++) g[c * k + a] = g[a * k + c] /= rows;
      this.gram = g;
    }
  }

  /** Sets the channel's target t = w / s. */
  target(t: Float64Array): void {
    const { k, x, xq, rows, y, b } = this;
    for (let p = 0; p < rows; p++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += x[p * k + i] * t[i];
      y[p] = sum;
    }
    if (!this.gram) return;
    b.fill(0);
    for (let p = 0; p < rows; p++) for (let i = 0; i < k; i++) b[i] += (xq[p * k + i] * y[p]) / rows;
  }

  /** grad = dL/du. */
  gradient(u: Float64Array, grad: Float64Array): void {
    const { k, xq, rows, r, y, gram, b } = this;
    const scale = 2 / this.norm;
    if (gram) {
      for (let a = 0; a < k; a++) {
        let sum = -b[a];
        for (let c = 0; c < k; c++) sum += gram[a * k + c] * u[c];
        grad[a] = sum * scale;
      }
      return;
    }
    for (let p = 0; p < rows; p++) {
      let sum = -y[p];
      for (let i = 0; i < k; i++) sum += xq[p * k + i] * u[i];
      r[p] = sum;
    }
    grad.fill(0);
    for (let p = 0; p < rows; p++) {
      const rp = (r[p] * scale) / rows;
      for (let i = 0; i < k; i++) grad[i] += xq[p * k + i] * rp;
    }
  }
}

/** Integer weights by AdaRound (see the file comment); `quantized` holds the patches the
 * quantized network feeds this layer, at the same positions as `inputs` (default: the float ones). */
export function adaRound(w: LayerWeights, inputs: LayerInputs, opts: AdaRoundOptions = ADAROUND_DEFAULTS, quantized: LayerInputs = inputs): Int8Array {
  const { fanIn: k, rows } = inputs;
  const out = quantizeWeights(w.data, w.scales, w.qmax);
  if (rows === 0 || quantized.rows !== rows || quantized.fanIn !== k) return out;
  const warm = Math.floor(opts.iterations * opts.warmup);
  const floor = new Float64Array(k);
  const target = new Float64Array(k);
  const fixed = new Uint8Array(k);
  const v = new Float64Array(k);
  const m1 = new Float64Array(k);
  const m2 = new Float64Array(k);
  const h = new Float64Array(k);
  const u = new Float64Array(k);
  const grad = new Float64Array(k);
  const { beta1, beta2, eps } = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const hOf = (vi: number): number => Math.min(1, Math.max(0, (ZETA - GAMMA) / (1 + Math.exp(-vi)) + GAMMA));

  for (let g = 0; g < w.groups; g++) {
    const loss = new Reconstruction(inputs.patches[g], quantized.patches[g], rows, k);
    if (loss.norm === 0) continue; // the layer's input is all zeros: any rounding reconstructs it
    const perGroup = w.channels / w.groups;
    for (let c = g * perGroup; c < (g + 1) * perGroup; c++) {
      const s = scaleOf(w, c);
      for (let i = 0; i < k; i++) {
        const t = w.data[c * k + i] / s;
        const f = Math.floor(t);
        target[i] = t;
        floor[i] = f;
        // A weight at +qmax cannot go up; one below -qmax (never, with max|w| scales) stays.
        fixed[i] = f >= w.qmax || f < -w.qmax ? 1 : 0;
        // Start where h(V) is the fractional part: round-to-nearest's error, relaxed.
        v[i] = -Math.log((ZETA - GAMMA) / (t - f - GAMMA) - 1);
        m1[i] = 0;
        m2[i] = 0;
      }
      loss.target(target);
      for (let it = 0; it < opts.iterations; it++) {
        for (let i = 0; i < k; i++) {
          h[i] = fixed[i] ? 0 : hOf(v[i]);
          u[i] = floor[i] + h[i];
        }
        loss.gradient(u, grad);
        const regularize = it >= warm;
        const beta = opts.betaEnd + (opts.betaStart - opts.betaEnd) * Math.max(0, 1 - (it - warm) / Math.max(1, opts.iterations - warm));
        const c1 = 1 - beta1 ** (it + 1);
        const c2 = 1 - beta2 ** (it + 1);
        for (let i = 0; i < k; i++) {
          if (fixed[i]) continue;
          let gh = grad[i];
          if (regularize) {
            // d/dh of λ (1 - |2h - 1|^β).
            const d = 2 * h[i] - 1;
            gh -= 2 * opts.lambda * beta * Math.abs(d) ** (beta - 1) * Math.sign(d);
          }
          const sig = 1 / (1 + Math.exp(-v[i]));
          const inside = sig * (ZETA - GAMMA) + GAMMA;
          const gv = inside > 0 && inside < 1 ? gh * (ZETA - GAMMA) * sig * (1 - sig) : 0;
          m1[i] = beta1 * m1[i] + (1 - beta1) * gv;
          m2[i] = beta2 * m2[i] + (1 - beta2) * gv * gv;
          v[i] -= (opts.learningRate * (m1[i] / c1)) / (Math.sqrt(m2[i] / c2) + eps);
        }
      }
      for (let i = 0; i < k; i++) {
        const q = floor[i] + (!fixed[i] && hOf(v[i]) >= 0.5 ? 1 : 0);
        out[c * k + i] = q > w.qmax ? w.qmax : q < -w.qmax ? -w.qmax : q;
      }
    }
  }
  return out;
}

/** The integer weights of a layer and, with bias correction, each channel's bias shift. */
export interface RoundedWeights {
  q: Int8Array;
  biasShift?: Float64Array;
}

/** Rounds a layer's weights by `method` (nearest needs no inputs). */
export function roundWeights(method: RoundingMethod, w: LayerWeights, inputs: LayerInputs | undefined, quantized?: LayerInputs): RoundedWeights {
  if (method === 'nearest' || !inputs) return { q: quantizeWeights(w.data, w.scales, w.qmax) };
  if (method === 'bias-correction') {
    const q = quantizeWeights(w.data, w.scales, w.qmax);
    return { q, biasShift: biasCorrection(w, q, inputs) };
  }
  const q = adaRound(w, inputs, ADAROUND_DEFAULTS, quantized);
  return { q, biasShift: biasCorrection(w, q, inputs, quantized) };
}

/**
 * The calibration activations at the input of each layer with weights (Conv, depthwise Conv,
 * Gemm/MatMul with constant weights), in the form the rounding methods of src/quant/rounding.ts
 * read: one row per output position holding exactly the inputs that one output of each group
 * sees (an im2col patch in the weight's [C/group, kh, kw] order; zeros where the window hangs over
 * the padding), so that a row of the weight matrix times a row of the patches is that output.
 *
 * Per group it keeps the exact mean patch over every output position of every sample (bias
 * correction) and a seeded reservoir sample of at most `maxRows` patches (AdaRound). Rows are
 * drawn by output position, the same positions for every group. Memory: maxRows × fan-in floats
 * per layer.
 */
import type { Graph, Node } from '../ir/graph.js';
import type { Value } from '../interp/types.js';
import { mulberry32 } from './prng.js';

/** What a layer's input looked like on the calibration data. */
export interface LayerInputs {
  /** Weights per output channel (the row length of the patches). */
  fanIn: number;
  groups: number;
  /** Per group: `rows` patches of `fanIn` floats, row after row. */
  patches: Float32Array[];
  /** Patches kept (the same for every group). */
  rows: number;
  /** Per group: the mean patch over all output positions and samples. */
  mean: Float64Array[];
  /** Output positions seen (the mean's count). */
  positions: number;
  /** Calibration samples seen. */
  samples: number;
}

/** The reservoir size used when none is given: enough rows for the layers of the examples
 * (fan-in up to a few hundred) at a few milliseconds per AdaRound iteration. */
export const DEFAULT_MAX_ROWS = 1024;

/** Where one output's inputs lie in the input tensor. */
interface Geometry {
  groups: number;
  /** Input channels per group, kernel height and width (1 for a fully connected layer). */
  cPerGroup: number;
  kh: number;
  kw: number;
  inShape: readonly number[];
  /** Output height and width; strides, dilations and leading pads. */
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  ph: number;
  pw: number;
}

/** The geometry of a layer whose rounding qgc can learn, or undefined. */
function geometryOf(graph: Graph, node: Node): Geometry | undefined {
  const x = graph.tensors.get(node.inputs[0]);
  const w = graph.tensors.get(node.inputs[1]);
  if (!x || !w?.data) return undefined;
  if (node.op === 'Gemm' || node.op === 'MatMul') {
    if (x.shape.length !== 2 || (node.op === 'Gemm' && node.attrs.transA)) return undefined;
    return { groups: 1, cPerGroup: x.shape[1], kh: 1, kw: 1, inShape: [x.shape[0], x.shape[1], 1, 1], oh: 1, ow: 1, sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0 };
  }
  if (node.op !== 'Conv') return undefined;
  const a = node.attrs;
  const spatial = a.kernel.length;
  if (spatial < 1 || spatial > 2 || x.shape.length !== spatial + 2) return undefined;
  // A 1-D Conv is a 2-D one of height 1.
  const two = <T>(v: readonly T[], one: T): T[] => (spatial === 1 ? [one, v[0]] : [v[0], v[1]]);
  const [kh, kw] = two(a.kernel, 1);
  const [sh, sw] = two(a.strides, 1);
  const [dh, dw] = two(a.dilations, 1);
  const [ph, pw] = two(a.pads.slice(0, spatial), 0);
  const [eh, ew] = two(a.pads.slice(spatial), 0);
  const [h, wd] = two(x.shape.slice(2), 1);
  const oh = Math.floor((h + ph + eh - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pw + ew - dw * (kw - 1) - 1) / sw) + 1;
  return { groups: a.group, cPerGroup: x.shape[1] / a.group, kh, kw, inShape: [x.shape[0], x.shape[1], h, wd], oh, ow, sh, sw, dh, dw, ph, pw };
}

/** Writes the patch of output (n, oy, ox) for group `g` into `out` at `at`. */
function patch(x: Float32Array, geo: Geometry, n: number, oy: number, ox: number, g: number, out: Float32Array | Float64Array, at: number, add: boolean): void {
  const [, c, h, w] = geo.inShape;
  let i = at;
  for (let ci = 0; ci < geo.cPerGroup; ci++) {
    const plane = (n * c + g * geo.cPerGroup + ci) * h * w;
    for (let ky = 0; ky < geo.kh; ky++) {
      const iy = oy * geo.sh - geo.ph + ky * geo.dh;
      for (let kx = 0; kx < geo.kw; kx++, i++) {
        const ix = ox * geo.sw - geo.pw + kx * geo.dw;
        const v = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix] : 0;
        if (add) out[i] += v;
        else out[i] = v;
      }
    }
  }
}

/** Streams calibration samples' activations into each layer's LayerInputs. */
export class LayerInputCollector {
  private readonly layers = new Map<string, { node: Node; geo: Geometry; inputs: LayerInputs; seen: number; random: () => number }>();

  /** `only`: collect for these nodes alone. Two collectors of the same graph keep the same
   * positions of each layer (the reservoir's draws do not depend on the data). */
  constructor(graph: Graph, readonly maxRows = DEFAULT_MAX_ROWS, only?: ReadonlySet<string>) {
    graph.nodes.forEach((node, index) => {
      const geo = geometryOf(graph, node);
      if (!geo || (only && !only.has(node.name))) return;
      const fanIn = geo.cPerGroup * geo.kh * geo.kw;
      const inputs: LayerInputs = {
        fanIn,
        groups: geo.groups,
        patches: Array.from({ length: geo.groups }, () => new Float32Array(maxRows * fanIn)),
        rows: 0,
        mean: Array.from({ length: geo.groups }, () => new Float64Array(fanIn)),
        positions: 0,
        samples: 0,
      };
      // One fixed seed per layer (its place in the graph): same data, same rows.
      this.layers.set(node.name, { node, geo, inputs, seen: 0, random: mulberry32(0x5eed + index) });
    });
  }

  /** Adds one sample's float activations (runGraph with keepAll), by float tensor name. */
  add(env: ReadonlyMap<string, Value>): void {
    for (const layer of this.layers.values()) {
      const v = env.get(layer.node.inputs[0]);
      if (!v || v.dtype !== 'float32') continue;
      const x = v.data as Float32Array;
      const { geo, inputs } = layer;
      const sums = inputs.mean;
      for (let n = 0; n < geo.inShape[0]; n++) {
        for (let oy = 0; oy < geo.oh; oy++) {
          for (let ox = 0; ox < geo.ow; ox++) {
            for (let g = 0; g < geo.groups; g++) patch(x, geo, n, oy, ox, g, sums[g], 0, true);
            // Reservoir sampling (Vitter's algorithm R) over output positions.
            const slot = layer.seen < this.maxRows ? layer.seen : Math.floor(layer.random() * (layer.seen + 1));
            layer.seen++;
            if (slot < this.maxRows) {
              for (let g = 0; g < geo.groups; g++) patch(x, geo, n, oy, ox, g, inputs.patches[g], slot * inputs.fanIn, false);
            }
          }
        }
      }
      inputs.samples++;
    }
  }

  /** Every layer's inputs (means divided out), keyed by node name. */
  result(): Map<string, LayerInputs> {
    const out = new Map<string, LayerInputs>();
    for (const [name, layer] of this.layers) {
      const { inputs } = layer;
      const positions = layer.seen;
      const rows = Math.min(positions, this.maxRows);
      out.set(name, {
        ...inputs,
        rows,
        positions,
        patches: inputs.patches.map((p) => p.slice(0, rows * inputs.fanIn)),
        mean: inputs.mean.map((s) => s.map((v) => (positions === 0 ? 0 : v / positions))),
      });
    }
    return out;
  }
}

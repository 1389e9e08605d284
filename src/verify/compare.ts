/** Byte-for-byte comparison of the generated code's outputs with the interpreter's, and the
 * words for the first difference: sample, API, tensor, element index in the model's order. */
import type { Reference, ReferenceOutput } from './reference.js';
import type { SampleOutput } from './driver.js';

/** The first element where the generated code and the interpreter disagree. */
export interface Mismatch {
  sample: number;
  /** `<name>_run` (int8) or `<name>_run_f32` (float). */
  api: 'int8' | 'f32';
  /** Which API output (graph order); the element index counts within it. */
  output: number;
  /** Flat element index in the output (logical, row-major). */
  element: number;
  /** The same as a multi-index into the output shape. */
  index: number[];
  got: number;
  want: number;
  /** Elements that differ in this sample's output. */
  differing: number;
}

/** Row-major multi-index of flat index `i` in `shape`. */
export function multiIndex(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** First differing element of `got` against `want`, as values of `kind`; undefined when equal. */
function firstDiff(got: Uint8Array, want: ArrayBufferView, kind: 'int8' | 'f32'): { element: number; got: number; want: number; differing: number } | undefined {
  const w = bytesOf(want);
  if (got.length !== w.length) return { element: -1, got: got.length, want: w.length, differing: Math.max(got.length, w.length) };
  const width = kind === 'int8' ? 1 : 4;
  let first = -1;
  let differing = 0;
  for (let e = 0; e < w.length / width; e++) {
    let same = true;
    for (let b = 0; b < width; b++) same &&= got[e * width + b] === w[e * width + b];
    if (!same) {
      differing++;
      if (first < 0) first = e;
    }
  }
  if (first < 0) return undefined;
  const value = (bytes: Uint8Array) => (kind === 'int8' ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)[first] : new DataView(bytes.buffer, bytes.byteOffset).getFloat32(first * 4, true));
  return { element: first, got: value(got), want: value(w), differing };
}

/** The API output that flat element `e` of a sample's concatenated outputs belongs to. */
function outputAt(ref: Reference, e: number): { k: number; out: ReferenceOutput } {
  const k = Math.max(0, ref.outputs.findIndex((o) => e < o.offset + o.size));
  return { k, out: ref.outputs[k] };
}

/** The first mismatch over all samples (int8 path first, then f32), or undefined. */
export function compareOutputs(ref: Reference, outputs: readonly SampleOutput[]): Mismatch | undefined {
  for (const s of outputs) {
    const checks: ['int8' | 'f32', Uint8Array, ArrayBufferView | undefined][] = [['int8', s.out8, ref.out8[s.index]], ['f32', s.outF, ref.outF?.[s.index]]];
    for (const [api, got, want] of checks) {
      if (want === undefined) continue;
      const d = firstDiff(got, want, api);
      if (!d) continue;
      if (d.element < 0) return { sample: s.index, api, output: 0, ...d, index: [] };
      const { k, out } = outputAt(ref, d.element);
      // Elements of the other outputs are counted too: `differing` is over the whole sample.
      return { sample: s.index, api, output: k, ...d, element: d.element - out.offset, index: multiIndex(d.element - out.offset, out.shape) };
    }
  }
  return undefined;
}

/** Bytes compared for `count` samples. */
export function bytesCompared(ref: Reference): number {
  return ref.out8.reduce((a, o) => a + o.byteLength, 0) + (ref.outF ?? []).reduce((a, o) => a + o.byteLength, 0);
}

const hexBits = (v: number) => {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, v, true);
  return `0x${dv.getUint32(0, true).toString(16).padStart(8, '0')}`;
};

/** Who produced the outputs and what its two entry points are called (default: the C API). */
export interface MismatchLabels {
  who: string;
  run: string;
  runF32: string;
}

/** `sample 3, net_run output 'logits' [0, 7]: C 12, interpreter 13 (2 of 10 elements differ)`. */
export function describeMismatch(m: Mismatch, ref: Reference, name: string, labels?: MismatchLabels): string {
  const fn = m.api === 'int8' ? labels?.run ?? `${name}_run` : labels?.runF32 ?? `${name}_run_f32`;
  if (m.element < 0) return `sample ${m.sample}, ${fn}: ${m.got} output bytes, the interpreter has ${m.want}`;
  const out = ref.outputs[m.output];
  const node = out.node ? ` of node '${out.node.name}' (${out.node.op})` : '';
  const show = (v: number) => (m.api === 'int8' ? String(v) : `${v} (${hexBits(v)})`);
  const tensor = m.api === 'int8' ? `'${out.name}'${node}` : `'${out.floatName ?? out.name}' (dequantized '${out.name}'${node})`;
  return `sample ${m.sample}, ${fn} output ${tensor} element [${m.index.join(', ')}]: ${labels?.who ?? 'C'} gives ${show(m.got)}, ` +
    `the interpreter ${show(m.want)} (${m.differing} of ${ref.out8[0].length} elements differ)`;
}

/** The Wasm SIMD module's QAdd (src/backends/wasm/kernels/add-simd.ts) against the interpreter's
 * QAdd arithmetic (src/interp/int8/elementwise.ts, src/ir/intmath.ts): every pair of int8 inputs
 * (65,536 per case) through TFLite's add parameters and hand-made extremes (saturation, zero points
 * at both ends, large and zero shifts, left-shifting operands, an output multiplier that wraps);
 * the int8 results must be equal. */
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { addSimdPlan, add16 } from '../src/backends/wasm/kernels/add-simd.js';
import { Fn } from '../src/backends/wasm/fn.js';
import { addParams, requantize } from '../src/ir/intmath.js';
import type { QAddAttrs } from '../src/ir/qops.js';

interface Engine {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer }; run: () => void } };
}
const wasm = (globalThis as unknown as { WebAssembly: Engine }).WebAssembly;

const N = 65536;

/** The interpreter's QAdd of one element pair. */
function reference(a: QAddAttrs, x1: number, x2: number): number {
  const p = requantize((x1 - a.input1.zeroPoint) << a.leftShift, a.input1.multiplier, a.input1.shift);
  const q = requantize((x2 - a.input2.zeroPoint) << a.leftShift, a.input2.multiplier, a.input2.shift);
  const v = requantize((p + q) | 0, a.output.multiplier, a.output.shift) + a.output.zeroPoint;
  return v < a.actMin ? a.actMin : v > a.actMax ? a.actMax : v;
}

/** Runs add16 over every (x1, x2) pair. */
function runSimd(a: QAddAttrs, x1: Int8Array, x2: Int8Array): Int8Array {
  const plan = addSimdPlan(a);
  if (!plan) throw new Error('does not qualify');
  const bytes = 3 * N;
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.SignExt);
    m.setMemory(Math.ceil(bytes / 65536), Math.ceil(bytes / 65536), 'memory');
    const f = new Fn(m, true, false);
    const [p1, p2, po] = [f.local(), f.local(), f.local()];
    f.finish('run', [
      f.set(p1, f.c(0)), f.set(p2, f.c(N)), f.set(po, f.c(2 * N)),
      f.repeat(N / 16, [
        m.v128.store(0, 1, f.get(po), add16(f, plan, m.v128.load(0, 1, f.get(p1)), m.v128.load(0, 1, f.get(p2)))),
        f.inc(p1, 16), f.inc(p2, 16), f.inc(po, 16),
      ]),
    ]);
    m.addFunctionExport('run', 'run');
    if (!m.validate()) throw new Error('invalid module');
    m.optimize();
    const inst = new wasm.Instance(new wasm.Module(m.emitBinary()));
    const mem = new Int8Array(inst.exports.memory.buffer);
    mem.set(x1, 0);
    mem.set(x2, N);
    inst.exports.run();
    return mem.slice(2 * N, 3 * N);
  } finally {
    m.dispose();
  }
}

function check(a: QAddAttrs): void {
  const x1 = new Int8Array(N);
  const x2 = new Int8Array(N);
  for (let i = 0; i < N; i++) {
    x1[i] = (i >> 8) - 128;
    x2[i] = (i & 255) - 128;
  }
  const got = runSimd(a, x1, x2);
  const want = Int8Array.from({ length: N }, (_, i) => reference(a, x1[i], x2[i]));
  let bad = -1;
  for (let i = 0; i < N && bad < 0; i++) if (got[i] !== want[i]) bad = i;
  expect(bad < 0 ? 'equal' : `x1=${x1[bad]} x2=${x2[bad]}: got ${got[bad]}, want ${want[bad]}`).toBe('equal');
}

const tflite = (s1: number, z1: number, s2: number, z2: number, so: number, zo: number, actMin = -128, actMax = 127): QAddAttrs =>
  ({ ...addParams(s1, z1, s2, z2, so, zo), actMin, actMax });

describe('wasm SIMD QAdd', () => {
  it('equals the interpreter with TFLite parameters', () => {
    check(tflite(0.05, 3, 0.031, -7, 0.07, -2));
    check(tflite(0.1, 0, 0.1, 0, 0.2, 0));
    check(tflite(0.02, -128, 0.5, 127, 0.3, 127, 0, 127)); // zero points at the ends, a Relu clamp
    check(tflite(0.5, 127, 0.5, -128, 0.001, -128)); // output scale tiny: saturates both ways
    check(tflite(1, 10, 1e-4, -20, 40, 5)); // one operand shifted far right, output scale huge
    check(tflite(0.01, 0, 0.01, 0, 0.01, 0, -20, 30));
  });

  it('equals the interpreter on hand-made extremes', () => {
    const op = (zeroPoint: number, multiplier: number, shift: number) => ({ zeroPoint, multiplier, shift });
    const base = { leftShift: 20, actMin: -128, actMax: 127 };
    check({ ...base, input1: op(-128, 2147483647, 0), input2: op(127, 2147483647, 0), output: op(0, 2147483647, -31) });
    check({ ...base, input1: op(127, 1073741824, 0), input2: op(-128, 1, -31), output: op(-128, 1073741824, -19) });
    check({ ...base, input1: op(0, 1518500250, 2), input2: op(5, 1073741825, 1), output: op(3, 2147483647, 10) }); // wraps
    check({ ...base, input1: op(0, 1518500250, -5), input2: op(-1, 1234567890, -13), output: op(0, 1717986918, 0) });
    check({ ...base, leftShift: 8, input1: op(60, 2147483647, 0), input2: op(-60, 1073741824, 0), output: op(0, 1073741824, -7) });
    check({ ...base, leftShift: 22, input1: op(-128, 2147483647, 0), input2: op(127, 1431655765, -1), output: op(9, 1431655765, -21) });
    check({ ...base, input1: op(0, -1073741824, -1), input2: op(0, 1073741824, -1), output: op(0, -1518500250, -20) }); // negative multipliers
  });

  it('leaves layers it cannot compute exactly to the scalar loop', () => {
    const op = (zeroPoint: number, multiplier: number, shift: number) => ({ zeroPoint, multiplier, shift });
    expect(addSimdPlan({ leftShift: 23, actMin: -128, actMax: 127, input1: op(0, 1 << 30, 0), input2: op(0, 1 << 30, 0), output: op(0, 1 << 30, 0) })).toBeNull();
    expect(addSimdPlan({ leftShift: 20, actMin: -128, actMax: 127, input1: op(0, 1 << 30, 3), input2: op(0, 1 << 30, 0), output: op(0, 1 << 30, 0) })).toBeNull();
    expect(addSimdPlan({ leftShift: 7, actMin: -128, actMax: 127, input1: op(0, 1 << 30, 0), input2: op(0, 1 << 30, 0), output: op(0, 1 << 30, 0) })).toBeNull();
  });
});

/**
 * A thin layer over binaryen's expression builder for the kernels: typed locals, counted loops
 * with compile-time bounds (the body runs at least once, so no guard), i32 constants, and the
 * integer requantization of src/ir/intmath.ts as Wasm expressions (i64 products, exact).
 */
import binaryen from 'binaryen';

export type Expr = binaryen.ExpressionRef;
export type WasmModule = binaryen.Module;

export const i32 = binaryen.i32;
export const i64 = binaryen.i64;
export const v128 = binaryen.v128;

let labels = 0;

/** One function under construction: its locals and loop labels. */
export class Fn {
  readonly vars: binaryen.Type[] = [];

  constructor(readonly m: WasmModule, readonly simd: boolean, readonly bulkMemory: boolean) {}

  /** A new local of `type`; returns its index. */
  local(type: binaryen.Type = i32): number {
    this.vars.push(type);
    return this.vars.length - 1;
  }

  c(v: number): Expr {
    return this.m.i32.const(v | 0);
  }

  get(i: number): Expr {
    return this.m.local.get(i, this.vars[i]);
  }

  set(i: number, e: Expr): Expr {
    return this.m.local.set(i, e);
  }

  /** local i += k (i32). */
  inc(i: number, k: number | Expr): Expr {
    return this.set(i, this.m.i32.add(this.get(i), typeof k === 'number' ? this.c(k) : k));
  }

  block(body: readonly Expr[]): Expr {
    return body.length === 1 ? body[0] : this.m.block(null, body);
  }

  /** for (i = start; i < end; i += step) body, bounds known at compile time. */
  loop(i: number, start: number, end: number, step: number, body: readonly Expr[]): Expr {
    if (start >= end) return this.m.nop();
    if (start + step >= end) return this.block([this.set(i, this.c(start)), ...body]);
    const label = `L${labels++}`;
    return this.block([
      this.set(i, this.c(start)),
      this.m.loop(label, this.block([
        ...body,
        this.inc(i, step),
        this.m.br(label, this.m.i32.lt_s(this.get(i), this.c(end))),
      ])),
    ]);
  }

  /** A loop whose body runs `count` times without a counter the body reads (a pointer walks). */
  repeat(count: number, body: readonly Expr[]): Expr {
    if (count <= 0) return this.m.nop();
    if (count === 1) return this.block(body);
    const i = this.local();
    return this.loop(i, 0, count, 1, body);
  }

  /** unsigned x < n: 0 <= x < n for a signed x. */
  inRange(x: Expr, n: number): Expr {
    return this.m.i32.lt_u(x, this.c(n));
  }

  /** max(lo, min(hi, v)) for an i32 local. */
  clamp(v: number, lo: number, hi: number): Expr {
    const m = this.m;
    return m.block(null, [
      this.set(v, m.select(m.i32.lt_s(this.get(v), this.c(lo)), this.c(lo), this.get(v))),
      m.select(m.i32.gt_s(this.get(v), this.c(hi)), this.c(hi), this.get(v)),
    ], i32);
  }

  /** Copies `n` bytes (memory.copy with bulk memory, else a byte loop). */
  copyBytes(dst: Expr, src: Expr, n: number): Expr {
    const m = this.m;
    if (n <= 0) return m.nop();
    if (this.bulkMemory) return m.memory.copy(dst, src, this.c(n));
    const d = this.local();
    const s = this.local();
    return this.block([
      this.set(d, dst), this.set(s, src),
      this.repeat(n, [m.i32.store8(0, 1, this.get(d), m.i32.load8_u(0, 1, this.get(s))), this.inc(d, 1), this.inc(s, 1)]),
    ]);
  }

  /** Zeroes `n` bytes (memory.fill with bulk memory, else a byte loop). */
  zeroBytes(dst: Expr, n: number): Expr {
    const m = this.m;
    if (n <= 0) return m.nop();
    if (this.bulkMemory) return m.memory.fill(dst, this.c(0), this.c(n));
    const d = this.local();
    return this.block([this.set(d, dst), this.repeat(n, [m.i32.store8(0, 1, this.get(d), this.c(0)), this.inc(d, 1)])]);
  }

  /** Adds the function to the module. */
  finish(name: string, body: readonly Expr[]): void {
    this.m.addFunction(name, binaryen.none, binaryen.none, this.vars, this.block(body.length ? body : [this.m.nop()]));
  }
}

/**
 * arm_nn_requantize (src/ir/intmath.ts `requantize`) of the i32 in local `v`, with the left and
 * right shifts split (left = max(shift, 0), right = max(-shift, 0)) and given as expressions
 * (constants or loads): ((v << left) * mult + 2^30) >> 31 in i64, wrapped to i32, then the
 * rounding division by 2^right (half away from zero). Leaves the result in `v`.
 */
export function requantizeInto(f: Fn, v: number, mult: Expr, left: Expr, right: Expr): Expr[] {
  const m = f.m;
  const mask = f.local();
  const r = f.local();
  return [
    f.set(v, m.i32.wrap(m.i64.shr_s(
      m.i64.add(m.i64.mul(m.i64.extend_s(m.i32.shl(f.get(v), left)), m.i64.extend_s(mult)), m.i64.const(1n << 30n)),
      m.i64.const(31n)))),
    f.set(r, right),
    f.set(mask, m.i32.sub(m.i32.shl(f.c(1), f.get(r)), f.c(1))),
    // result + (remainder > (mask >> 1) + (v < 0))
    f.set(v, m.i32.add(
      m.i32.shr_s(f.get(v), f.get(r)),
      m.i32.gt_s(m.i32.and(f.get(v), f.get(mask)), m.i32.add(m.i32.shr_s(f.get(mask), f.c(1)), m.i32.shr_u(f.get(v), f.c(31)))),
    )),
  ];
}

/** requantizeInto with a compile-time multiplier and shift. */
export function requantizeConst(f: Fn, v: number, multiplier: number, shift: number): Expr[] {
  return requantizeInto(f, v, f.c(multiplier), f.c(Math.max(shift, 0)), f.c(Math.max(-shift, 0)));
}

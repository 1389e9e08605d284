import { describe, expect, it } from 'vitest';
import { CompileError } from '../src/errors.js';
import { encodeNpy, parseNpy } from '../src/io/npy.js';
import type { Value } from '../src/interp/types.js';

describe('.npy files', () => {
  const cases: Value[] = [
    { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
    { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1]) },
    { dtype: 'int8', shape: [4], data: Int8Array.from([-128, -1, 0, 127]) },
    { dtype: 'uint8', shape: [1, 1, 2], data: Uint8Array.from([0, 255]) },
    { dtype: 'int32', shape: [], data: Int32Array.from([-5]) },
    { dtype: 'int64', shape: [3], data: BigInt64Array.from([-1n, 0n, 2n ** 40n]) },
    { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) },
  ];
  it.each(cases.map((c) => [c.dtype, c] as const))('round-trips %s', (_d, v) => {
    const bytes = encodeNpy(v);
    // numpy pads the header so the data starts at a multiple of 64 bytes.
    expect((bytes[8] | (bytes[9] << 8)) + 10).toSatisfy((n: number) => n % 64 === 0);
    const back = parseNpy(bytes);
    expect(back.dtype).toBe(v.dtype);
    expect([...back.shape]).toEqual([...v.shape]);
    expect([...back.data]).toEqual([...v.data]);
  });

  it('reads data at an unaligned offset inside a larger buffer', () => {
    const bytes = encodeNpy(cases[0]);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect([...parseNpy(big.subarray(3)).data]).toEqual([...cases[0].data]);
  });

  it('refuses truncated, Fortran-order, big-endian and unknown files with a CompileError', () => {
    const good = encodeNpy(cases[0]);
    const edit = (from: string, to: string) => {
      const text = Buffer.from(good).toString('latin1').replace(from, to);
      return Uint8Array.from(Buffer.from(text, 'latin1'));
    };
    for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, 8), edit("'fortran_order': False", "'fortran_order': True "), edit("'<f4'", "'>f4'"), edit("'<f4'", "'<c8'"), new Uint8Array([1, 2, 3])]) {
      expect(() => parseNpy(bad, 'x.npy')).toThrow(CompileError);
    }
  });
});

/**
 * The body of a C array initializer (`    1, -2, 3, ...,` lines) for the weights file. Weight
 * arrays run to tens of MB, so the text is written as bytes into one buffer (int8 values from
 * a table of their 256 literals) and decoded once: about 5x faster than joining strings per
 * line, and the same text.
 */
import { cFloat, cInt } from './kernel-call.js';

/** Values per line: int8 arrays 16, int32 arrays 8, float32 arrays 6. */
const PER_LINE = { int8: 16, int32: 8, float32: 6 } as const;

const INT8_LITERALS: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => asciiBytes(String(i - 128)));
const LATIN1 = new TextDecoder('latin1');

function asciiBytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** `data` as initializer lines (four spaces, `v, v, ...,`), joined by newlines. */
export function arrayBody(data: Int8Array | Int32Array | Float32Array): string {
  if (data instanceof Float32Array) return floatBody(data);
  const int8 = data instanceof Int8Array;
  const per = int8 ? PER_LINE.int8 : PER_LINE.int32;
  const n = data.length;
  // Longest literal: "-128" (4), "(-2147483647 - 1)" (17); plus ", " each, and a line's indent, ',' and '\n'.
  const buf = new Uint8Array(n * ((int8 ? 4 : 17) + 2) + Math.ceil(n / per) * 6);
  let p = 0;
  for (let i = 0; i < n; i += per) {
    if (i > 0) buf[p++] = 0x0a;
    buf.fill(0x20, p, p + 4);
    p += 4;
    const end = Math.min(i + per, n);
    for (let j = i; j < end; j++) {
      if (j > i) {
        buf[p++] = 0x2c;
        buf[p++] = 0x20;
      }
      if (int8) {
        const lit = INT8_LITERALS[data[j] + 128];
        buf.set(lit, p);
        p += lit.length;
      } else {
        const s = cInt(data[j]);
        for (let k = 0; k < s.length; k++) buf[p++] = s.charCodeAt(k);
      }
    }
    buf[p++] = 0x2c;
  }
  return LATIN1.decode(buf.subarray(0, p));
}

/** The float constants of nodes kept in float are few and small: joined as strings. */
function floatBody(data: Float32Array): string {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += PER_LINE.float32) lines.push('    ' + Array.from(data.subarray(i, i + PER_LINE.float32), cFloat).join(', ') + ',');
  return lines.join('\n');
}

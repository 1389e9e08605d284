/** Parsing helpers for command-line values. */
import { CompileError, ErrorCode } from '../errors.js';

/** Parses repeated `name=1x3x224x224` values into a map. */
export function parseInputShapes(values: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const v of values) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(v);
    if (!m) {
      throw new CompileError(ErrorCode.BadInput, `--input-shape '${v}' is not of the form name=DIMxDIM...`, {}, 'Example: --input-shape input=1x1x28x28.');
    }
    const dims = m[2].split('x').map(Number);
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 2 ** 24)) {
      throw new CompileError(ErrorCode.BadInput, `--input-shape '${v}' has a dimension out of range`, {}, 'Use positive sizes.');
    }
    out.set(m[1], dims);
  }
  return out;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

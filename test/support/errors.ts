import { CompileError } from '../../src/errors.js';

/** Runs `f` and returns the CompileError it throws (any other outcome fails the test). */
export function errorOf(f: () => unknown): CompileError {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('expected a CompileError');
}

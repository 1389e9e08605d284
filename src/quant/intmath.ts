/**
 * Compatibility entry point: the integer math moved to src/ir/intmath.ts (it is the arithmetic
 * contract of the Q* ops, and the interpreter and import sit below src/quant). Kept only for
 * src/backends/c until it imports ../../ir/intmath.js; new code imports src/ir/intmath.ts.
 */
export * from '../ir/intmath.js';

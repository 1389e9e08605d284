/**
 * Naming data files after graph inputs on the command line: `file.npy` for a model with one
 * input, `name=file.npy` for each input otherwise (the form `qgc run --input`, `qgc verify
 * --inputs` and `--calib` share).
 */
import { CompileError, ErrorCode } from '../errors.js';
import type { Value } from '../interp/types.js';
import { readNpy } from './npy.js';

/** Maps `file.npy` / `name=file.npy` specs onto the graph inputs `inputs`; `flag` names the
 * option in errors. Every input must be given exactly once. */
export function specsByInput(inputs: readonly string[], specs: readonly string[], flag: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && inputs.includes(spec.slice(0, eq));
    const name = named ? spec.slice(0, eq) : inputs.length === 1 ? inputs[0] : undefined;
    if (name === undefined) {
      throw new CompileError(ErrorCode.BadInput, `the model has ${inputs.length} inputs; name each one`, {},
        `Use ${flag} NAME=file.npy for each of: ${inputs.join(', ')}.`);
    }
    if (files.has(name)) throw new CompileError(ErrorCode.BadInput, `${flag} names graph input '${name}' twice`, { tensor: name }, `Give one ${flag} per input.`);
    files.set(name, named ? spec.slice(eq + 1) : spec);
  }
  for (const name of inputs) {
    if (!files.has(name)) throw new CompileError(ErrorCode.BadInput, `no ${flag} given for graph input '${name}'`, { tensor: name }, `Add ${flag} ${name}=file.npy.`);
  }
  return files;
}

/** Reads the .npy file of every graph input (see specsByInput). */
export function readFeeds(inputs: readonly string[], specs: readonly string[], flag: string): Map<string, Value> {
  return new Map([...specsByInput(inputs, specs, flag)].map(([name, file]) => [name, readNpy(file)]));
}

/**
 * The memory budget of a compiled network against the target's part (`part.flash`,
 * `part.sram` of targets/<name>.json), checked before anything is written: the constant
 * arrays (weights, biases, tables: exact) against the flash, the arena (exact) plus the
 * target's stack reservation against the SRAM. Code is not counted, since it is known only
 * after linking (`qgc verify` links and reports it), so an overshoot found here is certain.
 */
import { CompileError, ErrorCode } from '../../errors.js';
import type { McuTarget } from '../../targets/mcu.js';

/** One memory of the part that the network overshoots. */
export interface Overshoot {
  memory: 'flash' | 'SRAM';
  /** What was counted, e.g. "weights and constants 1,843,200 B". */
  counted: string;
  need: number;
  have: number;
}

const bytes = (n: number): string => `${n.toLocaleString('en-US')} B`;

/** The part memories that `weightsBytes` (flash) and `arenaBytes` (SRAM, plus the stack) exceed. */
export function overshoots(target: McuTarget, weightsBytes: number, arenaBytes: number): Overshoot[] {
  const out: Overshoot[] = [];
  if (weightsBytes > target.part.flash) {
    out.push({ memory: 'flash', counted: `weights and constants ${bytes(weightsBytes)}`, need: weightsBytes, have: target.part.flash });
  }
  const stack = target.board.stackSize;
  const ram = arenaBytes + stack;
  if (ram > target.part.sram) out.push({ memory: 'SRAM', counted: `arena ${bytes(arenaBytes)} + stack ${bytes(stack)}`, need: ram, have: target.part.sram });
  return out;
}

/** One line per overshoot, naming the part and by how much (code not counted). */
export function overshootText(target: McuTarget, o: Overshoot): string {
  return `${o.counted} exceed the ${o.memory} of ${target.name}'s part ${target.part.example} (${bytes(o.have)}) by ${bytes(o.need - o.have)}, before counting code`;
}

/** Throws the OverBudget error for `found` (when it is not empty). */
export function refuseOverBudget(target: McuTarget, found: readonly Overshoot[]): void {
  if (found.length === 0) return;
  throw new CompileError(ErrorCode.OverBudget, `the network does not fit: ${found.map((o) => overshootText(target, o)).join('; ')}`, { file: target.file });
}

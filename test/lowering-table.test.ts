/** The one int8 lowering table (src/quant/lowering/table.ts): a row for every op of
 * OpGroups.int8 and nothing else, checked by the type (a missing row does not compile) and
 * here; both `qgc quantize` and lowerQdq go through it. */
import { describe, expect, it } from 'vitest';
import { OpGroups, type OpGroup } from '../src/ir/ops.js';
import { int8Lowerings, type LowerRow } from '../src/quant/lowering/table.js';

describe('int8 lowering table', () => {
  it('has exactly one row per op of OpGroups.int8', () => {
    expect(Object.keys(int8Lowerings).sort()).toEqual([...OpGroups.int8].sort());
  });

  it('is complete by type: leaving out a row is a compile error naming the op', () => {
    const { Pad: _pad, ...withoutPad } = int8Lowerings;
    // @ts-expect-error Property 'Pad' is missing (tsc -p tsconfig.json checks this file).
    const table: { readonly [K in OpGroup<'int8'>]: LowerRow<K> } = withoutPad;
    expect(Object.keys(table)).not.toContain('Pad');
  });
});

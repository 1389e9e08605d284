/** The dims a model declares for its graph inputs, before import fixes them: a size, or a
 * symbolic dim (a `dim_param` name, or none), so the CLI can bind symbolic dims from the data
 * it is given and name the ones it cannot. */
import { int64ToNumber, type Int64Like, type ModelProto } from './proto.js';

/** One declared dim: its size, or `{ symbol }` (the dim_param, '' when unnamed). */
export type DeclaredDim = number | { symbol: string };

/** The graph inputs (initializers excluded) with their declared dims, in graph order;
 * undefined dims when the model states no shape. */
export function declaredInputDims(proto: ModelProto): Map<string, DeclaredDim[] | undefined> {
  const g = proto.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  const out = new Map<string, DeclaredDim[] | undefined>();
  for (const vi of g?.input ?? []) {
    const name = vi.name ?? '';
    if (inits.has(name)) continue;
    const shape = vi.type?.tensorType?.shape;
    out.set(name, shape ? (shape.dim ?? []).map((d): DeclaredDim => {
      const v = d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? int64ToNumber(d.dimValue as Int64Like) : 0;
      // A dim_value of 0 (unset in proto3) is unknown, as import treats it.
      return v > 0 ? v : { symbol: d.dimParam ?? '' };
    }) : undefined);
  }
  return out;
}

/** How a dim is named in messages: `dim 1 ('samples')`, or `dim 1` when it has no name. */
export function dimLabel(i: number, d: DeclaredDim): string {
  return typeof d === 'object' && d.symbol ? `dim ${i} ('${d.symbol}')` : `dim ${i}`;
}

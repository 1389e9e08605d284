/**
 * Fresh names: the first of `base`, `base_1`, `base_2`, ... that is not taken. Each base
 * remembers where its last search ended, so n names from one base (a shared weight quantized
 * for each of n layers, say) cost O(n) lookups, not O(n²). The names chosen are the same as a
 * search from the start, provided names are only ever added to what is taken.
 */
export class FreshNames {
  private readonly next = new Map<string, number>();

  /** `taken(name)`: whether a name is in use; `firstSuffix`: the number after `base_` tried first. */
  constructor(private readonly taken: (name: string) => boolean, private readonly firstSuffix = 1) {}

  /** The first free name from `base` (not marked taken: the caller adds it where it belongs). */
  pick(base: string): string {
    let k = this.next.get(base) ?? 0;
    let name = base;
    for (; ; k++) {
      name = k === 0 ? base : `${base}_${k + this.firstSuffix - 1}`;
      if (!this.taken(name)) break;
    }
    this.next.set(base, k);
    return name;
  }
}

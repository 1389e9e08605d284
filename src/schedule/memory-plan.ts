/**
 * One static arena for every activation and scratch buffer. Storages (lowered tensors, views
 * and in-place outputs already merged, plus kernel scratch buffers) live over inclusive step
 * ranges of the final schedule; storages whose ranges intersect never overlap in the arena.
 *
 * The lower bound is the largest sum of live storage bytes at any step: no placement can do
 * better. Placement is greedy (each storage at the lowest, or the tightest, gap that fits among
 * the already-placed storages it meets in time), tried in several orders (size, lifetime, start;
 * then seeded shuffles while the bound is not reached), keeping the smallest arena. Everything
 * is deterministic: the same storages give the same offsets.
 */
import { CompileError, ErrorCode } from '../errors.js';

/** What the planner needs to know about a storage. */
export interface PlanItem {
  id: number;
  bytes: number;
  first: number;
  last: number;
  align: number;
}

export interface MemoryPlan {
  /** Byte offset per storage id. */
  offsets: Map<number, number>;
  /** Arena bytes (the end of the highest placed storage). */
  arenaBytes: number;
  /** Largest sum of simultaneously live bytes: the arena can be no smaller. */
  lowerBound: number;
  /** Step at which the lower bound is reached. */
  peakStep: number;
  /** Which ordering produced the plan (for the report). */
  strategy: string;
}

/** The largest sum of live bytes at any step, and that step (the earliest such step at
 * which some storage starts). One sweep over per-step byte changes: linear in storages + steps. */
export function lowerBound(items: readonly PlanItem[]): { bytes: number; step: number } {
  if (items.length === 0) return { bytes: 0, step: 0 };
  let end = 0;
  for (const it of items) end = Math.max(end, it.last + 1, it.first + 1);
  const delta = new Float64Array(end + 1);
  const starts = new Uint8Array(end);
  for (const it of items) {
    delta[it.first] += it.bytes;
    delta[Math.max(it.first, it.last + 1)] -= it.bytes;
    starts[it.first] = 1;
  }
  let best = { bytes: 0, step: 0 };
  let sum = 0;
  for (let t = 0; t < end; t++) {
    sum += delta[t];
    if (starts[t] && sum > best.bytes) best = { bytes: sum, step: t };
  }
  return best;
}

const meets = (a: PlanItem, b: PlanItem): boolean => a.first <= b.last && b.first <= a.last;
const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/**
 * The storages that are live together with a query storage, among those added so far: the ones
 * live at its first step plus the ones starting inside its range. Per step it keeps the storages
 * live there, so a query costs its lifetime plus the answer's size: near-linear in storages for
 * real schedules (where a storage lives a few steps), where scanning every placed storage per
 * placement was quadratic.
 */
class LiveIndex {
  private readonly liveAt: PlanItem[][];
  private readonly startAt: PlanItem[][];

  constructor(steps: number) {
    this.liveAt = Array.from({ length: steps }, () => []);
    this.startAt = Array.from({ length: steps }, () => []);
  }

  add(it: PlanItem): void {
    for (let t = it.first; t <= it.last; t++) this.liveAt[t].push(it);
    this.startAt[it.first].push(it);
  }

  /** Every added storage whose step range meets `it`'s, each once. */
  meeting(it: PlanItem): PlanItem[] {
    const out = [...this.liveAt[it.first]];
    for (let t = it.first + 1; t <= it.last; t++) out.push(...this.startAt[t]);
    return out;
  }
}

function stepCount(items: readonly PlanItem[]): number {
  let n = 0;
  for (const it of items) n = Math.max(n, it.last + 1, it.first + 1);
  return n;
}

/** Places `order` greedily: first fit (lowest offset) or best fit (smallest gap that fits). */
function place(order: readonly PlanItem[], bestFit: boolean, steps: number): Map<number, number> {
  const offsets = new Map<number, number>();
  const placed = new LiveIndex(steps);
  for (const it of order) {
    const busy = placed.meeting(it)
      .filter((p) => p.bytes > 0)
      .map((p) => ({ start: offsets.get(p.id)!, end: offsets.get(p.id)! + p.bytes }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    let chosen = -1;
    let chosenGap = Infinity;
    let cursor = 0;
    const consider = (gapStart: number, gapEnd: number) => {
      const off = alignUp(gapStart, it.align);
      if (off + it.bytes > gapEnd) return;
      const gap = gapEnd - gapStart;
      if (chosen < 0 || (bestFit && gap < chosenGap)) {
        chosen = off;
        chosenGap = gap;
      }
    };
    for (const b of busy) {
      if (b.start > cursor) consider(cursor, b.start);
      cursor = Math.max(cursor, b.end);
      if (chosen >= 0 && !bestFit) break;
    }
    if (chosen < 0 || bestFit) consider(cursor, Infinity);
    offsets.set(it.id, chosen);
    placed.add(it);
  }
  return offsets;
}

function arenaOf(items: readonly PlanItem[], offsets: Map<number, number>): number {
  let end = 0;
  for (const it of items) if (it.bytes > 0) end = Math.max(end, offsets.get(it.id)! + it.bytes);
  return end;
}

/** A small deterministic generator for the shuffled orders. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Plans the arena: offsets for every item, the arena size and the lower bound. */
export function planMemory(items: readonly PlanItem[], opts: { shuffles?: number } = {}): MemoryPlan {
  const bound = lowerBound(items);
  const steps = stepCount(items);
  const life = (x: PlanItem) => x.last - x.first;
  const orders: [string, (a: PlanItem, b: PlanItem) => number][] = [
    ['size', (a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id],
    ['lifetime', (a, b) => life(b) - life(a) || b.bytes - a.bytes || a.id - b.id],
    ['area', (a, b) => b.bytes * (life(b) + 1) - a.bytes * (life(a) + 1) || a.id - b.id],
    ['start', (a, b) => a.first - b.first || b.bytes - a.bytes || a.id - b.id],
  ];
  let best: MemoryPlan | undefined;
  const tryOrder = (name: string, order: PlanItem[]) => {
    for (const bestFit of [false, true]) {
      const offsets = place(order, bestFit, steps);
      const arenaBytes = arenaOf(items, offsets);
      if (!best || arenaBytes < best.arenaBytes) {
        best = { offsets, arenaBytes, lowerBound: bound.bytes, peakStep: bound.step, strategy: `${name}/${bestFit ? 'best-fit' : 'first-fit'}` };
      }
    }
  };
  for (const [name, cmp] of orders) tryOrder(name, [...items].sort(cmp));
  const rand = lcg(0x9e3779b9);
  const shuffles = opts.shuffles ?? 64;
  for (let i = 0; i < shuffles && best!.arenaBytes > best!.lowerBound; i++) {
    const order = [...items].sort(orders[0][1]);
    for (let j = order.length - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [order[j], order[k]] = [order[k], order[j]];
    }
    tryOrder(`shuffle#${i}`, order);
  }
  const plan = best!;
  checkPlan(items, plan.offsets);
  return plan;
}

/** Throws when two storages that are live at the same step overlap, or an offset is misaligned.
 * Each storage is checked against those live at its first step that come before it in
 * (first step, position) order: that covers every pair that meets, once. */
export function checkPlan(items: readonly PlanItem[], offsets: Map<number, number>): void {
  const index = new LiveIndex(stepCount(items));
  const byStart = items.map((it, i) => ({ it, i })).sort((a, b) => a.it.first - b.it.first || a.i - b.i);
  for (const { it: a } of byStart) {
    const oa = offsets.get(a.id);
    if (oa === undefined || oa < 0 || oa % a.align !== 0) {
      throw new CompileError(ErrorCode.Internal, `memory plan: storage ${a.id} has offset ${oa} (alignment ${a.align})`);
    }
    for (const b of index.meeting({ ...a, last: a.first })) {
      const ob = offsets.get(b.id)!;
      if (a.bytes > 0 && b.bytes > 0 && meets(a, b) && oa < ob + b.bytes && ob < oa + a.bytes) {
        throw new CompileError(ErrorCode.Internal, `memory plan: storages ${a.id} and ${b.id} are live together and overlap`);
      }
    }
    index.add(a);
  }
}

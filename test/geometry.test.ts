/** src/ir/geometry.ts: window output sizes (ceil_mode, dilation, SAME padding) and MACs, the
 * same numbers for a float layer and its int8 form. */
import { describe, expect, it } from 'vitest';
import { convMacs, macsOf, samePadding, windowOutShape, windowOutSize } from '../src/ir/geometry.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { convGraph, pseudoRandom } from './support/tiny-graphs.js';

describe('window geometry', () => {
  it('output size of a window, floor and ceil mode', () => {
    expect(windowOutSize(28, 3, 1, 1, 1, 1, false)).toBe(28);
    expect(windowOutSize(28, 3, 2, 1, 1, 1, false)).toBe(14);
    expect(windowOutSize(7, 3, 1, 2, 0, 0, false)).toBe(3); // dilated kernel spans 5
    expect(windowOutSize(6, 3, 2, 1, 0, 0, false)).toBe(2);
    expect(windowOutSize(6, 3, 2, 1, 0, 0, true)).toBe(3);
    // ceil mode: a last window that would start in the end padding is dropped.
    expect(windowOutSize(5, 2, 2, 1, 0, 1, true)).toBe(3);
    expect(windowOutSize(4, 2, 2, 1, 0, 1, true)).toBe(2);
    expect(windowOutShape([6, 5], { kernel: [3, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 1] }, true)).toEqual([3, 3]);
  });

  it('SAME padding: ceil(in / stride) outputs, the odd pad at the end (UPPER) or the begin (LOWER)', () => {
    expect(samePadding(5, 2, 1, 1, true)).toEqual({ out: 5, begin: 0, end: 1 });
    expect(samePadding(5, 2, 1, 1, false)).toEqual({ out: 5, begin: 1, end: 0 });
    expect(samePadding(7, 3, 2, 2, true)).toEqual({ out: 4, begin: 2, end: 2 });
    const p = samePadding(10, 4, 3, 1, true);
    expect(windowOutSize(10, 4, 3, 1, p.begin, p.end, false)).toBe(p.out);
  });

  it('MACs of a Conv and of its int8 QConv agree', () => {
    const g = convGraph(pseudoRandom(3 * 2 * 9, 5), undefined, 2, 3);
    const conv = g.nodes[0];
    expect(macsOf(g, conv)).toBe(3 * 16 * 2 * 9);
    expect(convMacs([1, 3, 4, 4], [3, 2, 3, 3])).toBe(3 * 16 * 2 * 9);
    const q = quantizeGraph(g, new Map([['x', { min: -1, max: 1 }], ['y', { min: 0, max: 2 }]])).graph;
    expect(macsOf(q, q.nodes.find((n) => n.op === 'QConv')!)).toBe(macsOf(g, conv));
  });
});

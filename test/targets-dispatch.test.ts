/** The dispatch constants moved from code into the targets' cost models
 * (`costModel.dispatch` in targets/*.json): the decisions are the same as those of the
 * hard-coded coefficients they replace, for every shipped target, over random geometries.
 * `frozen*` below is the code as it was before the move (do not update it). */
import { describe, expect, it } from 'vitest';
import type { CmsisIsa, ConvGeometry, NnDims } from '../src/backends/c/cmsis-buffers.js';
import { isConv1x1, isConv1xN } from '../src/backends/c/cmsis-buffers.js';
import { convFunction, layerCosts, mve1xNExact, rowsEligible, rowsScratchBytes, windowsStartInInput, type ConvFunction } from '../src/backends/c/cmsis-dispatch.js';
import { addLutMinElements, listTargets, loadTarget, usesAddLut, type McuTarget } from '../src/targets/target.js';
import { rng } from './support/qgraph.js';

const isaOf = (t: McuTarget): CmsisIsa => (t.features.mve ? 'mve' : t.features.dsp ? 'dsp' : 'plain');

function frozenLayerCosts(isa: 'dsp' | 'mve', p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): { convS8: number; rows: number } {
  const c = input.c;
  const k = filter.h * filter.w * c;
  const taps = filter.h * filter.w;
  const rows = output.n * output.h;
  const pixels = rows * output.w;
  const gathered = ((output.w - 1) * p.strideW + filter.w) * filter.h;
  if (isa === 'dsp') {
    return {
      convS8: pixels * (1.493 * output.c * k + 56.2 * output.c + 44.3 * taps + 4.24 * taps * c),
      rows: pixels * (1.395 * output.c * k + 47.5 * output.c) + rows * (3.51 * output.c * k + gathered * (10.3 + 2.99 * c) + 495),
    };
  }
  const lanes = Math.ceil(k / 16);
  const fours = Math.floor(output.w / 4);
  return {
    convS8: pixels * ((11.04 * lanes + 56.4) * output.c / 4 + taps * (15.95 + 0.064 * c) + 122.8),
    rows: rows * (fours * output.c * (11.1 * lanes + 55.2) + (output.w % 4) * output.c * (5.04 * lanes + 27.3) + gathered * (13.8 + 2.87 * c) + 296),
  };
}

function frozenScratchFits(p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): boolean {
  const bytes = rowsScratchBytes(p, input, filter, output);
  const io = input.n * input.h * input.w * input.c + output.n * output.h * output.w * output.c;
  return bytes * 8 <= io || bytes <= 4 * filter.h * filter.w * input.c;
}

function frozenConvFunction(isa: CmsisIsa, p: ConvGeometry, input: NnDims, filter: NnDims, output: NnDims): ConvFunction {
  // One deliberate change since the freeze: a 1x1 conv with windows wholly in the end padding
  // calls arm_convolve_s8 (the 1x1 kernels never write those outputs; found by the random graphs).
  if (isConv1x1(p, input, filter)) return windowsStartInInput(p, input, output) ? 'arm_convolve_wrapper_s8' : 'arm_convolve_s8';
  const oneByN = isConv1xN(p, input, filter);
  const exact1xN = !oneByN || mve1xNExact(p, input, filter, output);
  if (isa !== 'plain' && !(isa === 'mve' && oneByN && exact1xN) && rowsEligible(p, input, filter) && frozenScratchFits(p, input, filter, output)) {
    const cost = frozenLayerCosts(isa, p, input, filter, output);
    if (cost.rows < cost.convS8) return 'rows';
  }
  return exact1xN ? 'arm_convolve_wrapper_s8' : 'arm_convolve_s8';
}

const frozenUsesAddLut = (isa: CmsisIsa, elements: number) => isa !== 'mve' && elements >= 256;

interface Geometry { p: ConvGeometry; input: NnDims; filter: NnDims; output: NnDims }

/** Random conv geometries: 2-D and 1-D (height 1), grouped now and then, some dilated. */
function geometries(seed: number, count: number): Geometry[] {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const out: Geometry[] = [];
  while (out.length < count) {
    const oneD = rand() < 0.25;
    const cIn = rand() < 0.3 ? int(1, 4) : int(1, 48);
    const group = rand() < 0.1 && cIn % 2 === 0 ? 2 : 1;
    const input = { n: 1, h: oneD ? 1 : int(1, 32), w: int(1, 40), c: cIn };
    const kh = oneD ? 1 : int(1, 5);
    const kw = int(1, 7);
    const p = { strideW: int(1, 3), strideH: int(1, 3), padW: int(0, 3), padH: oneD ? 0 : int(0, 2), dilationW: rand() < 0.1 ? 2 : 1, dilationH: rand() < 0.1 ? 2 : 1 };
    const padRight = int(0, 3);
    const padBottom = oneD ? 0 : int(0, 2);
    const h = Math.floor((input.h + p.padH + padBottom - ((kh - 1) * p.dilationH + 1)) / p.strideH) + 1;
    const w = Math.floor((input.w + p.padW + padRight - ((kw - 1) * p.dilationW + 1)) / p.strideW) + 1;
    if (h < 1 || w < 1) continue;
    const cOut = int(1, 64);
    out.push({ p, input, filter: { n: cOut, h: kh, w: kw, c: cIn / group }, output: { n: 1, h, w, c: cOut } });
  }
  return out;
}

const NAMES = listTargets(undefined, 'mcu');

describe('dispatch reads the target cost model', () => {
  it('ships the five Cortex-M targets', () => {
    expect(NAMES).toEqual(['cortex-m0plus', 'cortex-m33', 'cortex-m4', 'cortex-m55', 'cortex-m7']);
  });

  for (const name of NAMES) {
    it(`${name}: conv function as before on 4000 random geometries`, () => {
      const t = loadTarget(name);
      const isa = isaOf(t);
      const seen = new Map<ConvFunction, number>();
      for (const g of geometries(1234, 4000)) {
        const before = frozenConvFunction(isa, g.p, g.input, g.filter, g.output);
        expect(convFunction(t, g.p, g.input, g.filter, g.output), JSON.stringify(g)).toBe(before);
        seen.set(before, (seen.get(before) ?? 0) + 1);
        // The estimates themselves are the same numbers (same operations in the same order).
        const model = t.costModel.dispatch.convRows;
        if (model !== null) expect(layerCosts(model, g.p, g.input, g.filter, g.output)).toEqual(frozenLayerCosts(model.model, g.p, g.input, g.filter, g.output));
      }
      // The sample covers both sides of the rows/arm_convolve_s8 choice where the core has it.
      if (isa !== 'plain') expect(seen.get('rows') ?? 0).toBeGreaterThan(200);
      expect(seen.get('arm_convolve_wrapper_s8') ?? 0).toBeGreaterThan(200);
      expect(seen.get('arm_convolve_s8') ?? 0).toBeGreaterThan(50);
    });

    it(`${name}: add lookup table from the same size as before`, () => {
      const t = loadTarget(name);
      for (let n = 1; n <= 4096; n++) expect(usesAddLut(t, n)).toBe(frozenUsesAddLut(isaOf(t), n));
      expect(addLutMinElements(t)).toBe(isaOf(t) === 'mve' ? null : 256);
    });
  }

  it('a changed coefficient changes the decision (the file is what dispatch reads)', () => {
    const m4 = loadTarget('cortex-m4');
    const g: Geometry = { p: { strideW: 1, strideH: 1, padW: 1, padH: 1, dilationW: 1, dilationH: 1 }, input: { n: 1, h: 28, w: 28, c: 1 }, filter: { n: 16, h: 3, w: 3, c: 1 }, output: { n: 1, h: 28, w: 28, c: 16 } };
    expect(convFunction(m4, g.p, g.input, g.filter, g.output)).toBe('rows');
    const rows = m4.costModel.dispatch.convRows;
    if (rows?.model !== 'dsp') throw new Error('cortex-m4 has a dsp convRows model');
    const dearRows: McuTarget = { ...m4, costModel: { ...m4.costModel, dispatch: { ...m4.costModel.dispatch, convRows: { ...rows, rows: { ...rows.rows, row: 1e9 } } } } };
    expect(convFunction(dearRows, g.p, g.input, g.filter, g.output)).toBe('arm_convolve_wrapper_s8');
    const noRows: McuTarget = { ...m4, costModel: { ...m4.costModel, dispatch: { addLutMinElements: 1000, convRows: null } } };
    expect(convFunction(noRows, g.p, g.input, g.filter, g.output)).toBe('arm_convolve_wrapper_s8');
    expect(usesAddLut(noRows, 999)).toBe(false);
    expect(usesAddLut(noRows, 1000)).toBe(true);
  });
});

import { it } from 'vitest';
import { compileAndRun, expectedBytes, firstDifference, interpret, randomSamples } from './support/c-harness.js';
import { QGraphBuilder } from './support/qgraph.js';
it('m55 1xN asym', async () => {
  const b = new QGraphBuilder(21);
  const x = b.input([1, 4, 12]);
  let y = b.conv(x, { outC: 8, k: [3], pads: [0, 2] });
  y = b.conv(y, { outC: 4, k: [5], pads: [3, 1] });
  const g = b.build(y);
  const e = interpret(g, randomSamples(b.rand, [1, 4, 12], 2));
  for (const where of ['host', 'cortex-m4', 'cortex-m55']) {
    try {
      const r = await compileAndRun({ graph: g, kernels: 'cmsis-nn', where, target: where === 'host' ? 'cortex-m55' : undefined, expected: e });
      console.log(where, r.outputs.map((o, k) => firstDifference(o, expectedBytes(e, k, false))));
    } catch (err) { console.log(where, String(err).slice(0, 300)); }
  }
}, 300000);

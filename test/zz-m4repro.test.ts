import { it } from 'vitest';
import { compileAndRun, expectedBytes, firstDifference, interpret, randomSamples } from './support/c-harness.js';
import { conv1dPads, dwOverhang } from './support/c-graphs.js';
it('repro', async () => {
  for (const c of [conv1dPads(), dwOverhang()]) {
    const e = interpret(c.graph, randomSamples(c.rand, c.inputShape, 2));
    for (const where of (process.env.WHERE ?? 'host,cortex-m4,cortex-m55').split(',')) {
      try {
        const r = await compileAndRun({ graph: c.graph, kernels: 'cmsis-nn', where, expected: e });
        console.log('RESULT', c.name, where, JSON.stringify(r.outputs.map((o, k) => firstDifference(o, expectedBytes(e, k, false)))), r.compiled.report.layers.map((l) => l.kernel).join(' '));
      } catch (err) { console.log('RESULT', c.name, where, String(err).slice(0, 120)); }
    }
  }
}, 300000);

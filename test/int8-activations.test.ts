/** Issue 16's int8 activations and reductions on every backend: QSigmoid, QTanh, QHardSigmoid,
 * QHardSwish, QLeakyRelu, QPRelu, QMean, QReduceMax and global max pooling (QMaxPool over the
 * whole extent), each in small seeded graphs (after a conv, so in NHWC, or straight after the
 * input; rank 3 and 4; batch 2), compiled into one program per target and run bit-exact against
 * the integer interpreter: the host with sanitizers, QEMU Cortex-M4 and Cortex-M55, with the
 * cmsis-nn provider, which runs the portable kernels for all of these but the max pool
 * (arm_max_pool_s8; the portable provider's qgc_max_pool_s8 is the one the random graphs of
 * test/random-graphs-c.test.ts run, with these ops in most of them), and the Wasm backend's SIMD
 * and scalar modules. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { checkRandomCases, expectedOf } from './support/random-check.js';
import type { RandomGraphCase } from './support/random-qgraphs.js';
import { QGraphBuilder, type Act } from './support/qgraph.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';

type Kind = 'sigmoid' | 'tanh' | 'hardsigmoid' | 'hardswish' | 'leakyrelu' | 'prelu' | 'mean' | 'reducemax' | 'globalmaxpool';
const KINDS: Kind[] = ['sigmoid', 'tanh', 'hardsigmoid', 'hardswish', 'leakyrelu', 'prelu', 'mean', 'reducemax', 'globalmaxpool'];

/** The op of `kind` after `x`; `v` picks a variant (axes, slope kind, alpha). */
function layer(b: QGraphBuilder, kind: Kind, x: Act, v: number): [Act, string] {
  const r = x.shape.length;
  const axesChoices = [x.shape.slice(2).map((_, i) => i + 2), [1], [r - 1], x.shape.slice(1).map((_, i) => i + 1)];
  switch (kind) {
    case 'sigmoid': return [b.sigmoidTanh('QSigmoid', x), 'sigmoid'];
    case 'tanh': return [b.sigmoidTanh('QTanh', x), 'tanh'];
    case 'hardsigmoid': return [b.hardSigmoid(x, v % 2 ? 0.2 : 1 / 6, 0.5), 'hardsigmoid'];
    case 'hardswish': return [b.hardSwish(x), 'hardswish'];
    case 'leakyrelu': return [b.leakyRelu(x, [0.01, 0.1, 0.25, 0.5][v % 4]), 'leakyrelu'];
    case 'prelu': return [b.prelu(x, v % 2 === 0), `prelu ${v % 2 === 0 ? 'per channel' : 'one slope'}`];
    case 'mean':
    case 'reducemax': {
      const axes = axesChoices[v % 4];
      const keep = v % 3 !== 1;
      return [b.reduce(kind === 'mean' ? 'QMean' : 'QReduceMax', x, axes, keep), `${kind} axes [${axes}] keepdims ${keep ? 1 : 0}`];
    }
    case 'globalmaxpool': {
      const sp = x.shape.slice(2);
      return [b.pool('QMaxPool', x, sp, sp.map(() => 1)), 'global max pool'];
    }
  }
}

/** Four graphs per kind: [1, C, H, W] after a conv (NHWC), [1, C, H, W] from the input, [1, C, L]
 * after a conv, [2, C, H, W] after a conv. */
function cases(): RandomGraphCase[] {
  const out: RandomGraphCase[] = [];
  KINDS.forEach((kind, ki) => {
    for (let v = 0; v < 4; v++) {
      const seed = 1600 + 10 * ki + v;
      const b = new QGraphBuilder(seed);
      const inputShape = v === 2 ? [1, 5, 9] : [v === 3 ? 2 : 1, 3 + v, 5, 6];
      let x = b.input(inputShape);
      const layers: string[] = [];
      if (v !== 1) {
        x = b.conv(x, { outC: 4 + v, k: inputShape.length === 3 ? [3] : [3, 3], pads: inputShape.length === 3 ? [1, 1] : [1, 1, 1, 1] });
        layers.push('conv');
      }
      const [y, what] = layer(b, kind, x, v);
      layers.push(what);
      out.push({ name: `${kind}-${v}`, seed, layers, graph: b.build(y), inputShape, rand: b.rand });
    }
  });
  return out;
}

const CASES = cases();
const root = mkdtempSync(join(tmpdir(), 'qgc-act-wasm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('int8 activations and reductions: C and Wasm bit-exact with the interpreter', () => {
  it('cmsis-nn on the host (sanitizers)', async (ctx) => {
    needs(ctx, GCC, CMSIS_NN);
    const report = await checkRandomCases(CASES, 0, { kernels: 'cmsis-nn', target: 'cortex-m4', where: 'host' });
    expect(report === '', report).toBe(true);
  }, 300_000);

  for (const [kernels, target] of [['cmsis-nn', 'cortex-m4'], ['cmsis-nn', 'cortex-m55']] as const) {
    it(`${kernels} on QEMU ${target}`, async (ctx) => {
      needs(ctx, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
      const report = await checkRandomCases(CASES, 0, { kernels, target, where: target });
      expect(report === '', report).toBe(true);
    }, 600_000);
  }

  it('Wasm, SIMD and scalar modules', async () => {
    const failures: string[] = [];
    for (const c of CASES) {
      const dir = join(root, c.name);
      compileWasm(c.graph, { target: 'wasm', name: 'net', outDir: dir });
      const loader = (await import(pathToFileURL(join(dir, 'net.js')).href)) as { createNet(source?: unknown): Promise<{ run(x: Int8Array): Int8Array }> };
      const e = expectedOf(c);
      for (const file of ['net.wasm', 'net.scalar.wasm']) {
        const net = await loader.createNet(readFileSync(join(dir, file)));
        e.in8.forEach((x, k) => {
          const got = net.run(x);
          if (got.length !== e.out8[k].length || got.some((b, i) => b !== e.out8[k][i])) failures.push(`${c.name} (${c.layers.join(', ')}), ${file}, sample ${k}`);
        });
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

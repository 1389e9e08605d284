/** The 200 seeded random quantized graphs of test/support/random-qgraphs.ts (convs of every group
 * kind, strides, dilations, asymmetric pads; pools; residual adds; concat; pad; clamp; FC;
 * softmax) through the Wasm backend: each compiled, both modules (SIMD128 and scalar) loaded
 * through the generated net.js and run on the cases' seeded inputs, every output byte equal to the
 * integer interpreter's. QGC_RANDOM_SEED picks another set. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { printGraph } from '../src/ir/printer.js';
import { expectedOf, randomSeed } from './support/random-check.js';
import { randomQuantizedGraphs } from './support/random-qgraphs.js';

interface Net {
  simd: boolean;
  run(x: Int8Array): Int8Array;
}
type Loader = { createNet(source?: unknown): Promise<Net> };

const root = mkdtempSync(join(tmpdir(), 'qgc-random-wasm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const firstDiff = (a: Int8Array, b: Int8Array): string | undefined => {
  if (a.length !== b.length) return `${a.length} bytes, the interpreter has ${b.length}`;
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? undefined : `byte ${i}: ${a[i]}, the interpreter ${b[i]}`;
};

describe('random quantized graphs on the Wasm backend', () => {
  it('200 graphs, SIMD and scalar modules, bit-exact with the integer interpreter', async () => {
    const seed = randomSeed();
    const cases = randomQuantizedGraphs(seed, 200);
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const dir = join(root, `g${i}`);
      compileWasm(c.graph, { target: 'wasm', name: 'net', outDir: dir });
      const loader = (await import(pathToFileURL(join(dir, 'net.js')).href)) as Loader;
      const e = expectedOf(c);
      for (const file of ['net.wasm', 'net.scalar.wasm']) {
        const net = await loader.createNet(readFileSync(join(dir, file)));
        e.in8.forEach((x, k) => {
          const d = firstDiff(net.run(x), e.out8[k]);
          if (d) failures.push(`QGC_RANDOM_SEED=${seed}, graph ${i} (randomQuantizedGraph(${c.seed})), ${file}, sample ${k}: ${d}\nlayers:\n  ${c.layers.join('\n  ')}\n${printGraph(c.graph)}`);
        });
      }
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`random graphs on Wasm: seed ${seed}, ${cases.length} graphs, ${failures.length} differ`);
    expect(failures.slice(0, 1), `${failures.length} of ${cases.length} graphs differ`).toEqual([]);
  }, 600_000);
});

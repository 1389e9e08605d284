/** 100 of the seeded random quantized graphs of test/support/random-qgraphs.ts (convs of every
 * group kind, strides, dilations, asymmetric pads; pools; residual adds; concat; pad; clamp; FC;
 * softmax) through the WebGPU backend on Dawn (SwiftShader in CI): each compiled, its net.js
 * created on one shared device with each dot product (dot4I8Packed and unpack-and-multiply), the
 * case's seeded inputs run in one runBatch submission, every output byte equal to the integer
 * interpreter's. QGC_RANDOM_SEED picks another set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWebgpu } from '../src/backends/webgpu/emit.js';
import { printGraph } from '../src/ir/printer.js';
import { expectedOf, randomSeed } from './support/random-check.js';
import { randomQuantizedGraphs } from './support/random-qgraphs.js';
import { DAWN, describeNeeding } from './support/tools.js';
import { testGpu, type TestGpu } from './support/webgpu.js';

interface Net {
  dotProduct: string;
  runBatch(x: Int8Array[]): Promise<Int8Array[]>;
  destroy(): void;
}
type Loader = { createNet(device: GPUDevice, options: object): Promise<Net> };

/** Graphs per run: the first 100 of the generator's sequence for the seed. */
const GRAPHS = 100;

const root = mkdtempSync(join(tmpdir(), 'qgc-random-webgpu-'));
let gpu: TestGpu;

const firstDiff = (a: Int8Array, b: Int8Array): string | undefined => {
  if (a.length !== b.length) return `${a.length} bytes, the interpreter has ${b.length}`;
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? undefined : `byte ${i}: ${a[i]}, the interpreter ${b[i]}`;
};

describeNeeding([DAWN], 'random quantized graphs on the WebGPU backend', () => {
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => {
    gpu?.device.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it(`${GRAPHS} graphs, both dot products, bit-exact with the integer interpreter`, async () => {
    const seed = randomSeed();
    const cases = randomQuantizedGraphs(seed, GRAPHS);
    const failures: string[] = [];
    const t0 = performance.now();
    for (const [i, c] of cases.entries()) {
      const dir = join(root, `g${i}`);
      compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
      const loader = (await import(pathToFileURL(join(dir, 'net.js')).href)) as Loader;
      const e = expectedOf(c);
      for (const dotProduct of ['packed', 'unpacked']) {
        const net = await loader.createNet(gpu.device, { dotProduct, wgslLanguageFeatures: gpu.wgslLanguageFeatures });
        const outs = await net.runBatch(e.in8);
        net.destroy();
        // Without a conv or FC there is no dot product to choose: one run is the whole check.
        if (net.dotProduct === 'none') break;
        outs.forEach((o, k) => {
          const d = firstDiff(o, e.out8[k]);
          if (d) failures.push(`QGC_RANDOM_SEED=${seed}, graph ${i} (randomQuantizedGraph(${c.seed})), ${dotProduct}, sample ${k}: ${d}\nlayers:\n  ${c.layers.join('\n  ')}\n${printGraph(c.graph)}`);
        });
      }
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`random graphs on WebGPU (${gpu.dawn.description}): seed ${seed}, ${cases.length} graphs, ${failures.length} differ, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(failures.slice(0, 1), `${failures.length} of ${cases.length} graphs differ`).toEqual([]);
  }, 600_000);
});

/** Issue 16's int8 activations and reductions on the WebGPU backend (Dawn; SwiftShader in CI):
 * QSigmoid, QTanh, QHardSigmoid, QHardSwish and QLeakyRelu (one shader, the interpreter's
 * 256-entry table), QPRelu (one slope per channel or one for all), QMean and QReduceMax over
 * adjacent axes (keepdims or not) and global max pooling, each in small seeded graphs (after a
 * conv, so in NHWC, or straight after the input; rank 3 and 4; batch 2), run with both dot
 * products in one runBatch submission, every output byte equal to the integer interpreter's. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWebgpu } from '../src/backends/webgpu/emit.js';
import { expectedOf } from './support/random-check.js';
import type { RandomGraphCase } from './support/random-qgraphs.js';
import { QGraphBuilder, type Act } from './support/qgraph.js';
import { DAWN, describeNeeding } from './support/tools.js';
import { testGpu, type TestGpu } from './support/webgpu.js';

interface Net {
  dotProduct: string;
  steps: readonly { kernel: string }[];
  runBatch(x: Int8Array[]): Promise<Int8Array[]>;
  destroy(): void;
}
type Loader = { createNet(device: GPUDevice, options: object): Promise<Net> };

type Kind = 'sigmoid' | 'tanh' | 'hardsigmoid' | 'hardswish' | 'leakyrelu' | 'prelu' | 'mean' | 'reducemax' | 'globalmaxpool';
/** The WGSL kernel each kind must run on (so a case cannot pass through some other path). */
const KERNEL: Record<Kind, string> = {
  sigmoid: 'wgsl_lut_s8', tanh: 'wgsl_lut_s8', hardsigmoid: 'wgsl_lut_s8', hardswish: 'wgsl_lut_s8', leakyrelu: 'wgsl_lut_s8',
  prelu: 'wgsl_prelu_s8', mean: 'wgsl_mean_s8', reducemax: 'wgsl_reduce_max_s8', globalmaxpool: 'wgsl_max_pool_s8',
};

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
function cases(): (RandomGraphCase & { kind: Kind })[] {
  const out: (RandomGraphCase & { kind: Kind })[] = [];
  (Object.keys(KERNEL) as Kind[]).forEach((kind, ki) => {
    for (let v = 0; v < 4; v++) {
      const seed = 1700 + 10 * ki + v;
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
      out.push({ kind, name: `${kind}-${v}`, seed, layers, graph: b.build(y), inputShape, rand: b.rand });
    }
  });
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'qgc-webgpu-act-'));
let gpu: TestGpu;

describeNeeding([DAWN], 'int8 activations and reductions on the WebGPU backend', () => {
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => {
    gpu?.device.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('every kind in four graphs, both dot products, bit-exact with the interpreter', async () => {
    const failures: string[] = [];
    let loads = 0;
    for (const c of cases()) {
      const dir = join(root, c.name);
      compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
      const loader = (await import(`${pathToFileURL(join(dir, 'net.js')).href}?v=${++loads}`)) as Loader;
      const e = expectedOf(c);
      for (const dotProduct of ['packed', 'unpacked']) {
        const net = await loader.createNet(gpu.device, { dotProduct, wgslLanguageFeatures: gpu.wgslLanguageFeatures });
        expect(net.steps.map((s) => s.kernel), c.name).toContain(KERNEL[c.kind]);
        const outs = await net.runBatch(e.in8);
        net.destroy();
        outs.forEach((o, k) => {
          const i = o.findIndex((b, j) => b !== e.out8[k][j]);
          if (o.length !== e.out8[k].length || i >= 0) failures.push(`${c.name} (${c.layers.join(', ')}), ${dotProduct}, sample ${k}: byte ${i}: ${o[i]}, the interpreter ${e.out8[k][i]}`);
        });
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

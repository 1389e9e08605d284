/** The WGSL requantization (templates/wgsl/partials/requant.wgsl.hbs: arm_nn_requantize from
 * 16/32-bit pieces, no i64) dispatched on Dawn over every row of test/data/requant-vectors.json,
 * the table the interpreter, the C kernels and the Wasm backend are pinned by. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { arithmeticView, renderWgsl, workgroupView } from '../src/backends/webgpu/render.js';
import { webgpuTarget } from '../src/backends/webgpu/emit.js';
import { DAWN, describeNeeding } from './support/tools.js';
import { dispatchOnce, testGpu } from './support/webgpu.js';

interface Vectors {
  columns: string[];
  cases: number[][];
}

describeNeeding([DAWN], 'WGSL requantization on the GPU', () => {
  it('gives the result column of every row of requant-vectors.json', async () => {
    const v = JSON.parse(readFileSync('test/data/requant-vectors.json', 'utf8')) as Vectors;
    expect(v.columns).toEqual(['value', 'multiplier', 'shift', 'result']);
    expect(v.cases.length).toBeGreaterThan(1000);
    const wg = webgpuTarget('webgpu').tiling.workgroupSize;
    const code = renderWgsl('requant-check', { ...arithmeticView(), workgroup: workgroupView(wg) });
    const gpu = await testGpu();
    try {
      const rows = Int32Array.from(v.cases.flatMap((c) => c.slice(0, 3)));
      const got = await dispatchOnce(gpu.device, code, rows, v.cases.length, wg[0] * wg[1] * wg[2]);
      const wrong = v.cases.map((c, i) => ({ c, got: got[i] })).filter((r) => r.got !== r.c[3]);
      expect(wrong.slice(0, 5).map((r) => `requantize(${r.c[0]}, ${r.c[1]}, ${r.c[2]}) = ${r.got}, the table says ${r.c[3]}`), `${wrong.length} of ${v.cases.length} rows differ`).toEqual([]);
    } finally {
      gpu.device.destroy();
    }
  }, 60_000);
});

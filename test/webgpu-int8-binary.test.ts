/** QMul, broadcasting QAdd (Sub included), QBatchMatMul and the int8 copies (Slice with negative
 * steps, DepthToSpace, SpaceToDepth, nearest Resize) on the WebGPU backend (Dawn; SwiftShader in
 * CI): the hand-made graphs of test/support/binary-graphs.ts and resize-graphs.ts (the C and Wasm
 * tests' graphs: squeeze-excite, constants of every
 * broadcast shape, operands after a transposed view and after FC layers, matrix products with
 * broadcast batches), each run with both dot products in one runBatch submission, every output
 * byte equal to the integer interpreter's; which shader each step runs is pinned too. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileWebgpu } from '../src/backends/webgpu/emit.js';
import { ErrorCode } from '../src/errors.js';
import { binaryCases } from './support/binary-graphs.js';
import { expectedBytes, firstDifference } from './support/c-harness.js';
import { errorOf } from './support/errors.js';
import { QGraphBuilder } from './support/qgraph.js';
import { resizeCases } from './support/resize-graphs.js';
import { tempFolders } from './support/tmp.js';
import { DAWN, describeNeeding } from './support/tools.js';
import { testGpu, type TestGpu } from './support/webgpu.js';

interface Net {
  steps: readonly { op: string; shader: string }[];
  runBatch(x: Int8Array[]): Promise<Int8Array[]>;
  destroy(): void;
}
type Loader = { createNet(device: GPUDevice, options: object): Promise<Net> };

const CASES = [...binaryCases(), ...resizeCases()];
const tempDir = tempFolders('qgc-webgpu-binary-');
let gpu: TestGpu;

it('QAdd of two arena tensors of one shape runs the add shader; constants, broadcasts and QMul the binary one', () => {
  const shaders = (name: string) => {
    const r = compileWebgpu(CASES.find((c) => c.name.startsWith(name))!.graph, { target: 'webgpu', name: 'net' }).report;
    return r.layers.filter((l) => ['QAdd', 'QMul', 'QBatchMatMul', 'Slice', 'DepthToSpace', 'SpaceToDepth', 'Resize'].includes(l.op)).map((l) => `${l.op}:${l.family}`);
  };
  expect(shaders('squeeze-excite')).toEqual(['QMul:binary']);
  expect(shaders('sub of equal shapes')).toEqual(['QAdd:add']);
  expect(shaders('sub a scalar')).toEqual(['QAdd:binary']);
  expect(shaders('add and mul of equal shapes')).toEqual(['QAdd:binary', 'QMul:binary']);
  expect(shaders('batch matmul [2, 3, 4]')).toEqual(['QBatchMatMul:matmul']);
  expect(shaders('depth to space')).toEqual(['DepthToSpace:gather', 'SpaceToDepth:gather']);
  expect(shaders('nearest 3x')).toEqual(['Resize:gather']);
});

it('a nearest Resize with no strided form is refused before any file is written, naming the node', () => {
  const b = new QGraphBuilder(5);
  const g = b.build(b.resize(b.input([1, 2, 5, 5]), [1, 2, 7, 7], { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }));
  const dir = join(tempDir(), 'out');
  const e = errorOf(() => compileWebgpu(g, { target: 'webgpu', name: 'net', outDir: dir }));
  expect(e.code).toBe(ErrorCode.UnsupportedOp);
  expect(e.message).toMatch(/Resize.*axis 2 from 5 to 7/);
  expect(e.where.op).toBe('Resize');
  expect(existsSync(dir)).toBe(false);
});

describeNeeding([DAWN], 'QMul, broadcasting QAdd, QBatchMatMul and int8 copies on the WebGPU backend', () => {
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.device.destroy());

  it(`${CASES.length} graphs, both dot products, bit-exact with the interpreter`, async () => {
    const bad: string[] = [];
    let loads = 0;
    for (const c of CASES) {
      const dir = tempDir();
      compileWebgpu(c.graph, { target: 'webgpu', name: 'net', outDir: dir });
      const loader = (await import(`${pathToFileURL(join(dir, 'net.js')).href}?v=${++loads}`)) as Loader;
      for (const dotProduct of ['packed', 'unpacked']) {
        const net = await loader.createNet(gpu.device, { dotProduct, wgslLanguageFeatures: gpu.wgslLanguageFeatures });
        const outs = await net.runBatch(c.expected.in8);
        net.destroy();
        outs.forEach((y, k) => {
          const d = firstDifference(new Uint8Array(y.buffer, y.byteOffset, y.byteLength), expectedBytes(c.expected, k, false));
          if (d) bad.push(`${c.name}, ${dotProduct}, sample ${k}: ${d}`);
        });
      }
    }
    expect(bad, bad.join('\n')).toEqual([]);
  }, 120_000);
});

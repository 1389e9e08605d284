/** examples/fashion-mnist-qat: CNNs trained with PyTorch's eager-mode quantization-aware training
 * (fbgemm qconfig) and exported by torch.onnx as int8 QDQ models (torch 2.x and Debian's torch
 * 1.13), taken as they are: they import, the integer interpreter's accuracy on the 256 labelled
 * test images is within 0.5 point of torch's own int8 model (expected*.json, written by
 * train_qat.py), they compile for the Cortex-M4 without calibration data, and the C is bit-exact
 * with the interpreter on the host and QEMU Cortex-M4. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { cli } from './support/cli.js';
import { accuracy } from './support/examples.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const DIR = 'examples/fashion-mnist-qat';
const TEST_X = 'examples/fashion-mnist/test_x.npy';
const TEST_Y = 'examples/fashion-mnist/test_y.npy';

const tmp = tempFolders('qgc-qat-');

/** The exported models and what train_qat.py measured with torch for each. */
const MODELS = [
  { file: 'model.onnx', expected: 'expected.json' },
  { file: 'model-torch1.13.onnx', expected: 'expected-model-torch1.13.json' },
];

interface Expected { int8_accuracy: number; test_count: number; torch: string }

describe.each(MODELS)('examples/fashion-mnist-qat/$file', ({ file, expected }) => {
  const model = join(DIR, file);
  const exp = JSON.parse(readFileSync(join(DIR, expected), 'utf8')) as Expected;

  it('is the int8 QDQ model torch.onnx wrote: QuantizeLinear/DequantizeLinear around Conv, pools and Gemm', () => {
    const { graph } = loadModel(model);
    const ops = new Set(graph.nodes.map((n) => n.op));
    for (const op of ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'MaxPool', 'AveragePool', 'Gemm']) expect(ops, op).toContain(op);
    expect(graph.inputs).toEqual(['input']);
    expect(graph.tensors.get('input')!.shape).toEqual([1, 1, 28, 28]);
  });

  it(`the integer interpreter's accuracy on the ${256} test images is within 0.5 point of torch's int8 model`, async () => {
    const out = join(tmp(), 'logits.npy');
    const r = await cli('run', model, '--int', '--input', TEST_X, '--output', out);
    expect(r.code, r.err).toBe(0);
    const y = readNpy(TEST_Y);
    expect(y.shape).toEqual([exp.test_count]);
    const acc = accuracy(readNpy(out), y);
    expect(Math.abs(acc - exp.int8_accuracy), `qgc ${acc}, torch ${exp.torch} int8 ${exp.int8_accuracy}`).toBeLessThanOrEqual(0.005);
  }, 120_000);

  it('compiles for cortex-m4 as it is (no --calib), and qgc verify is bit-exact on the host and QEMU Cortex-M4 on all 256 images', async (ctx) => {
    needs(ctx, GCC, ARM_GCC, QEMU, CMSIS_NN);
    const dir = join(tmp(), 'net');
    const c = await cli('compile', model, '--target', 'cortex-m4', '-o', dir);
    expect(c.code, c.err).toBe(0);
    expect(existsSync(join(dir, 'net.c'))).toBe(true);
    const r = await cli('verify', dir, '--inputs', TEST_X, '--targets', 'host,cortex-m4');
    expect(r.code, r.err).toBe(0);
    for (const target of ['host', 'cortex-m4']) {
      const row = r.out.split('\n').find((l) => l.startsWith(`${target} (`));
      // 256 images; 10 int8 logits and their 10 float32 values each.
      expect(row, r.out).toMatch(/\s256\s+12,800\s+bit-exact/);
    }
  }, 300_000);
});

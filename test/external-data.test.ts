/** External data is read only from inside the model's folder. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { loadModel } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { runGraph } from '../src/interp/run.js';

function writeModel(dir: string, location: string, offset = 0, length = 16): string {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
  const w = {
    name: 'w',
    dataType: 1,
    dims: [4],
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: [{ name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] }], initializer: [w], input: [vi('x')], output: [vi('y')] },
  });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

const weights = Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer);

function expectRefused(path: string, pattern: RegExp): void {
  try {
    loadModel(path);
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe(ErrorCode.ExternalData);
    expect((e as CompileError).format()).toMatch(pattern);
    return;
  }
  throw new Error('expected the load to be refused');
}

describe('external data', () => {
  it('loads weights from a file inside the model folder (with an offset)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-ext-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'w.bin'), Buffer.concat([Buffer.alloc(8), weights]));
    const { graph } = loadModel(writeModel(dir, 'data/w.bin', 8, 16));
    const y = runGraph(graph, new Map([['x', { dtype: 'float32', shape: [4], data: new Float32Array(4) }]])).get('y')!;
    expect([...y.data]).toEqual([1, 2, 3, 4]);
  });

  it('refuses locations that leave the model folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'qgc-ext-'));
    const dir = join(root, 'model');
    mkdirSync(dir);
    writeFileSync(join(root, 'secret.bin'), weights);
    expectRefused(writeModel(dir, '../secret.bin'), /outside the model's folder/);
    expectRefused(writeModel(dir, join(root, 'secret.bin')), /absolute path/);
    symlinkSync(join(root, 'secret.bin'), join(dir, 'link.bin'));
    expectRefused(writeModel(dir, 'link.bin'), /outside the model's folder/);
    expectRefused(writeModel(dir, 'missing.bin'), /cannot be found/);
    writeFileSync(join(dir, 'short.bin'), weights.subarray(0, 8));
    expectRefused(writeModel(dir, 'short.bin'), /runs past its end/);
  });
});

/** The CLI as a user runs it: help, inspect, run with .npy in and out, one-line errors with exit code 2. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { accuracy, example } from './support/examples.js';
import { cli } from './support/cli.js';

const fm = example('fashion-mnist');

describe('qgc CLI', () => {
  it('prints help for every command', async () => {
    for (const cmd of [[], ['inspect'], ['run']]) {
      const r = await cli(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: qgc/);
    }
  });

  it('inspect lists ops, shapes, parameters and MACs', async () => {
    const r = await cli('inspect', fm.model);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/input: float32\[1x1x28x28\]/);
    expect(r.out).toMatch(/Conv x2/);
    // Conv 1→16 3x3 on 28x28: 16*28*28*9 MACs.
    expect(r.out).toMatch(/112896/);
    const json = JSON.parse((await cli('inspect', fm.model, '--json')).out) as { totalMacs: number; totalParams: number };
    expect(json.totalMacs).toBe(16 * 28 * 28 * 9 + 32 * 14 * 14 * 16 * 9 + 1568 * 10);
    expect(json.totalParams).toBeGreaterThan(20000);
  });

  it('inspect --input-shape sets the batch dimension', async () => {
    const r = await cli('inspect', fm.model, '--input-shape', 'input=4x1x28x28');
    expect(r.out).toMatch(/logits: float32\[4x10\]/);
  });

  it('run writes outputs that reach the accuracy train.py printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-cli-'));
    const out = join(dir, 'y.npy');
    const r = await cli('run', fm.model, '--input', join(fm.dir, 'test_x.npy'), '--output', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/logits: float32\[256x10\]/);
    expect(accuracy(readNpy(out), fm.testY())).toBeCloseTo(fm.expected().accuracy, 5);
  });

  it('reports a bad input shape in one line with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-cli-'));
    const bad = join(dir, 'bad.npy');
    writeNpy(bad, { dtype: 'float32', shape: [3, 28, 28], data: new Float32Array(3 * 28 * 28) });
    const r = await cli('run', fm.model, '--input', bad);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^error QGC1201: tensor 'input': input 'input' has shape \[3, 28, 28\]/);
    expect(r.err).not.toMatch(/at .*\.ts/);
  });

  it('names the node and op of an unsupported op, and shows a stack only with --debug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-cli-'));
    const path = join(dir, 'hardmax.onnx');
    const { onnx } = await import('../src/onnx/proto.js');
    const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ name: 'my_hardmax', opType: 'Hardmax', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
    });
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    const r = await cli('inspect', path);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1101: .*hardmax\.onnx, node 'my_hardmax' \(Hardmax\): op Hardmax is not supported\. qgc imports: /);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const d = await cli('inspect', path, '--debug');
    expect(d.err).toMatch(/CompileError/);
    expect(d.err.split('\n').length).toBeGreaterThan(2);
  });

  it('rejects unknown options and missing files with exit code 2', async () => {
    expect((await cli('run', fm.model, '--bogus')).code).toBe(2);
    const r = await cli('inspect', '/nonexistent/model.onnx');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1001: \/nonexistent\/model.onnx: cannot open file \(ENOENT\)/);
  });
});

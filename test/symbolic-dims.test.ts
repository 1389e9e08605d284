/** Symbolic input dims bound from the data a command is given (src/cli/data-shapes.ts), on a
 * float model with a symbolic batch and a symbolic audio length (test/data/symbolic-audio):
 * `qgc run --input`, `quantize --calib` and `inspect --input` take the length from the .npy
 * file and say so in one line; a stacked batch still runs sample by sample; `compile` asks for
 * --input-shape. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readNpy, readNpyShape, writeNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { cli } from './support/cli.js';
import { tempFolders } from './support/tmp.js';

const DATA = 'test/data/symbolic-audio';
const MODEL = `${DATA}/model.onnx`;
const tmp = tempFolders('qgc-symbolic-');

async function ortScores(x: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return (await session.run({ audio: new ort.Tensor('float32', x, [n, x.length / n]) })).scores.data as Float32Array;
}

describe('symbolic dims from the data', () => {
  it('qgc run --input audio.npy [1, 1280] binds samples = 1280, says so in one line, and agrees with onnxruntime-node', async () => {
    const out = join(tmp(), 'y.npy');
    const r = await cli('run', MODEL, '--input', `${DATA}/audio.npy`, '--output', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`note: input 'audio' dim 1 ('samples') = 1280 from ${DATA}/audio.npy\n`);
    const y = readNpy(out);
    expect(y.shape).toEqual([1, 3]);
    const theirs = await ortScores(readNpy(`${DATA}/audio.npy`).data as Float32Array, 1);
    for (let i = 0; i < 3; i++) expect(Math.abs((y.data as Float32Array)[i] - theirs[i])).toBeLessThan(1e-5);
  });

  it('a stacked batch [5, 1280] keeps the batch rule: the symbolic batch is 1 and the clips run one by one', async () => {
    const out = join(tmp(), 'y.npy');
    const r = await cli('run', MODEL, '--input', `${DATA}/clips.npy`, '--output', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`note: input 'audio' dim 1 ('samples') = 1280 from ${DATA}/clips.npy\n`);
    expect(r.out).toMatch(/^scores: float32\[5x3\]/);
    const y = readNpy(out).data as Float32Array;
    const theirs = await ortScores(readNpy(`${DATA}/clips.npy`).data as Float32Array, 5);
    for (let i = 0; i < 15; i++) expect(Math.abs(y[i] - theirs[i])).toBeLessThan(1e-5);
  });

  it('--input-shape wins over the data: no note, and data of another length is refused', async () => {
    const r = await cli('run', MODEL, '--input-shape', 'audio=1x640', '--input', `${DATA}/audio.npy`);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/note:/);
    expect(r.err).toMatch(/input 'audio' has shape \[1, 1280\], which is not the model's \[1, 640\]/);
    const ok = await cli('run', MODEL, '--input-shape', 'audio=1x1280', '--input', `${DATA}/audio.npy`);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toBe('');
  });

  it('another length is bound just as well (the shape comes from the file)', async () => {
    const dir = tmp();
    const clip = readNpy(`${DATA}/audio.npy`);
    writeNpy(join(dir, 'short.npy'), { dtype: 'float32', shape: [1, 400], data: (clip.data as Float32Array).slice(0, 400) });
    const r = await cli('run', MODEL, '--input', `${join(dir, 'short.npy')}`);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^note: input 'audio' dim 1 \('samples'\) = 400 from /);
  });

  it('qgc quantize --calib binds the length from the calibration file', async () => {
    const out = join(tmp(), 'q.onnx');
    const r = await cli('quantize', MODEL, '--calib', `${DATA}/calib.npy`, '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`note: input 'audio' dim 1 ('samples') = 1280 from ${DATA}/calib.npy\n`);
    expect(r.out).toMatch(/on 16 samples/);
    expect(loadModel(out).graph.tensors.get('audio')!.shape).toEqual([1, 1280]);
  });

  it('qgc inspect --input shows the bound shapes', async () => {
    const r = await cli('inspect', MODEL, '--input', `${DATA}/audio.npy`, '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`note: input 'audio' dim 1 ('samples') = 1280 from ${DATA}/audio.npy\n`);
    const report = JSON.parse(r.out) as { inputs: { shape: number[] }[]; nodes: { name: string; outputShape: number[] }[] };
    expect(report.inputs[0].shape).toEqual([1, 1280]);
    expect(report.nodes.find((n) => n.name === 'conv')!.outputShape).toEqual([1, 4, 1, 638]);
  });

  it('qgc compile refuses a symbolic length not set, naming the dim and --input-shape; with it, it compiles', async () => {
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', `${DATA}/calib.npy`, '-o', join(tmp(), 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1201: tensor 'audio': input 'audio' dim 1 \('samples'\) is symbolic; compiled code needs every size at compile time\. Set the shape with --input-shape audio=1xSAMPLES/);
    const ok = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', `${DATA}/calib.npy`, '--input-shape', 'audio=1x1280', '-o', join(tmp(), 'out'));
    expect(ok.code, ok.err).toBe(0);
  });

  it('readNpyShape reads the header only, and refuses what is not a .npy file', () => {
    const dir = tmp();
    expect(readNpyShape(`${DATA}/calib.npy`)).toEqual([16, 1280]);
    writeFileSync(join(dir, 'bad.npy'), 'not numpy');
    expect(() => readNpyShape(join(dir, 'bad.npy'))).toThrow(/missing the \\x93NUMPY magic/);
    expect(() => readNpyShape(join(dir, 'none.npy'))).toThrow(/cannot read file \(ENOENT\)/);
  });
});

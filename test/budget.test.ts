/** Memory budgets at compile time: `qgc compile` compares the weights with the target part's
 * flash and the arena + stack with its SRAM before writing, warns naming the overshoot, or with
 * --strict-budget fails with QGC1220 and writes nothing. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../src/io/npy.js';
import { cli } from './support/cli.js';
import { example } from './support/examples.js';
import { f32, model } from './support/op-models.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-budget-');
const fm = example('fashion-mnist');
const fmCalib = 'examples/fashion-mnist/calib.npy';

/** cortex-m4 on a part with 16 KiB of flash: fashion-mnist's 21,128 B of weights do not fit. */
function smallFlashTarget(dir: string): string {
  const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8')) as { name: string; part: { example: string; flash: number; sram: number } };
  t.name = 'tiny-flash';
  t.part = { example: 'TINY1', flash: 16_384, sram: 131_072 };
  const file = join(dir, 'tiny-flash.json');
  writeFileSync(file, JSON.stringify(t));
  return file;
}

/** A 3x3 Conv from [1, 4, 64, 64] to [1, 8, 64, 64]: 48 KiB of int8 activations live at once,
 * more than cortex-m0plus's part (STM32G071RB, 36 KiB of SRAM, 4 KiB of it stack). */
function bigActivations(dir: string): { model: string; calib: string } {
  const w = Array.from({ length: 8 * 4 * 9 }, (_, i) => ((i * 13) % 7) / 10 - 0.3);
  const bytes = model([{ opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] }],
    [['x', 'float32', [1, 4, 64, 64]]], ['y'], 13, [f32('w', [8, 4, 3, 3], w)]);
  const file = join(dir, 'conv.onnx');
  writeFileSync(file, bytes);
  const calib = join(dir, 'calib.npy');
  writeNpy(calib, { dtype: 'float32', shape: [2, 4, 64, 64], data: Float32Array.from({ length: 2 * 4 * 64 * 64 }, (_, i) => Math.sin(i)) });
  return { model: file, calib };
}

describe('qgc compile budgets', () => {
  it('warns when the weights exceed the part flash, naming the overshoot, and still writes', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const r = await cli('compile', fm.model, '--target', smallFlashTarget(dir), '--calib', fmCalib, '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("warning: weights and constants 21,128 B exceed the flash of tiny-flash's part TINY1 (16,384 B) by 4,744 B, before counting code");
    expect(existsSync(join(out, 'net_weights.c'))).toBe(true);
  });

  it('fails with --strict-budget (QGC1220) and writes nothing', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const r = await cli('compile', fm.model, '--target', smallFlashTarget(dir), '--calib', fmCalib, '--strict-budget', '-o', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1220: .*tiny-flash\.json: the network does not fit: weights and constants 21,128 B exceed the flash .* by 4,744 B/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it("checks the arena + stack against the SRAM of cortex-m0plus's part", async () => {
    const dir = tmp();
    const { model: m, calib } = bigActivations(dir);
    const warned = await cli('compile', m, '--target', 'cortex-m0plus', '--calib', calib, '-o', join(dir, 'warn'));
    expect(warned.code, warned.err).toBe(0);
    expect(warned.err).toMatch(/warning: arena 49,\d{3} B \+ stack 4,096 B exceed the SRAM of cortex-m0plus's part STM32G071RB \(36,864 B\) by 16,\d{3} B, before counting code/);
    const strict = await cli('compile', m, '--target', 'cortex-m0plus', '--calib', calib, '--strict-budget', '-o', join(dir, 'strict'));
    expect(strict.code).toBe(2);
    expect(strict.err).toContain('error QGC1220');
    expect(existsSync(join(dir, 'strict'))).toBe(false);
    // The same model fits cortex-m4's part (128 KiB SRAM): no warning.
    const fits = await cli('compile', m, '--target', 'cortex-m4', '--calib', calib, '--strict-budget', '-o', join(dir, 'm4'));
    expect(fits.code, fits.err).toBe(0);
    expect(fits.err).not.toContain('warning');
  });

  it('refuses --strict-budget for a wasm target', async () => {
    const dir = tmp();
    const r = await cli('compile', fm.model, '--target', 'wasm', '--calib', fmCalib, '--strict-budget', '-o', join(dir, 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--strict-budget checks the memory of a C target');
  });
});

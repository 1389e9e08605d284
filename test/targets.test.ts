import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerCost, listTargets, loadTarget, parseTarget, targetsDir, tickRatio } from '../src/targets/target.js';
import { renderLinkerScript, parseSize } from '../src/verify/toolchain.js';
import { parseReports, qemuCommand } from '../src/verify/qemu.js';
import { errorOf } from './support/errors.js';

const CORTEX_M = ['cortex-m0plus', 'cortex-m33', 'cortex-m4', 'cortex-m55', 'cortex-m7'];

function rawTarget(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(targetsDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;
}


describe('targets', () => {
  it('lists the Cortex-M targets and loads each one', () => {
    expect(listTargets()).toEqual(expect.arrayContaining(CORTEX_M));
    for (const name of CORTEX_M) {
      const t = loadTarget(name);
      expect(t.name).toBe(name);
      expect(t.cflags).toContain(`-mcpu=${t.cpu}`);
      expect(t.board.rom.length).toBeGreaterThan(0);
      expect(t.costModel.perMac.conv.s8).toBeGreaterThan(0);
    }
  });

  it('records the ISA features and QEMU boards', () => {
    expect(loadTarget('cortex-m4').features).toEqual({ dsp: true, mve: false, fpu: 'sp' });
    expect(loadTarget('cortex-m55').features).toEqual({ dsp: true, mve: true, fpu: 'dp' });
    expect(loadTarget('cortex-m0plus').features).toEqual({ dsp: false, mve: false, fpu: 'none' });
    expect(loadTarget('cortex-m4').board.qemuMachine).toBe('mps2-an386');
    expect(loadTarget('cortex-m7').board.qemuMachine).toBe('mps2-an500');
    expect(loadTarget('cortex-m55').board.qemuMachine).toBe('mps3-an547');
  });

  it('estimates a layer from the cost model', () => {
    const m4 = loadTarget('cortex-m4');
    const m55 = loadTarget('cortex-m55');
    // A DS-CNN pointwise layer: 25x5 outputs x 64 channels, 64 MACs each.
    const macs = 25 * 5 * 64 * 64;
    const outputs = 25 * 5 * 64;
    expect(layerCost(m4, 'conv', 's8', macs, outputs)).toBeCloseTo(300 + 1.61 * macs + 43 * outputs);
    expect(layerCost(m55, 'conv', 's8', macs, outputs)).toBeLessThan(layerCost(m4, 'conv', 's8', macs, outputs) / 3);
  });

  it('turns instructions per tick into a small fraction for the C runtime', () => {
    expect(tickRatio(loadTarget('cortex-m4'))).toEqual({ num: 40, den: 1 });
    expect(tickRatio(loadTarget('cortex-m55'))).toEqual({ num: 125, den: 4 });
    expect(tickRatio(loadTarget('cortex-m0plus'))).toEqual({ num: 125, den: 2 });
  });

  it('names the available targets for an unknown one', () => {
    const e = errorOf(() => loadTarget('cortex-m99'));
    expect(e.message).toContain("unknown target 'cortex-m99'");
    expect(e.hint).toContain('cortex-m4');
    expect(e.format()).toMatch(/^error QGC1201/);
  });

  it('names the missing or wrong field', () => {
    const noBoard = rawTarget('cortex-m4');
    delete noBoard.board;
    expect(errorOf(() => parseTarget(noBoard, 'x.json')).message).toContain("field 'board' is missing");

    const badRam = rawTarget('cortex-m4');
    (badRam.board as Record<string, unknown>).ram = { origin: 'twenty', length: 4096, what: 'x' };
    expect(errorOf(() => parseTarget(badRam, 'x.json')).message).toContain("field 'board.ram.origin' must be");

    const badFpu = rawTarget('cortex-m4');
    (badFpu.features as Record<string, unknown>).fpu = 'yes';
    expect(errorOf(() => parseTarget(badFpu, 'x.json')).message).toContain("'features.fpu' must be one of 'none', 'sp', 'dp'");

    const softOnFpu = rawTarget('cortex-m4');
    softOnFpu.cflags = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=soft'];
    expect(errorOf(() => parseTarget(softOnFpu, 'x.json')).message).toContain('-mfloat-abi=soft wastes');

    const badTick = rawTarget('cortex-m4');
    (badTick.board as Record<string, unknown>).instructionsPerTick = 41;
    expect(errorOf(() => parseTarget(badTick, 'x.json')).message).toContain('board.instructionsPerTick');

    const noCost = rawTarget('cortex-m4');
    delete ((noCost.costModel as Record<string, unknown>).perMac as Record<string, unknown>).depthwiseConv;
    expect(errorOf(() => parseTarget(noCost, 'x.json')).message).toContain("'costModel.perMac.depthwiseConv' is missing");
  });

  it('reports a file that is not JSON, and a name that does not match the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-targets-'));
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(errorOf(() => loadTarget('broken', dir)).message).toContain('not valid JSON');
    writeFileSync(join(dir, 'renamed.json'), JSON.stringify(rawTarget('cortex-m4')));
    expect(errorOf(() => loadTarget('renamed', dir)).message).toContain("field 'name' is 'cortex-m4'");
    expect(listTargets(dir)).toEqual(['broken', 'renamed']);
  });

  it('allows a target without a QEMU board (compile-only)', () => {
    const raw = rawTarget('cortex-m33');
    const board = raw.board as Record<string, unknown>;
    board.qemuMachine = null;
    board.instructionsPerTick = null;
    const t = parseTarget(raw, 'x.json');
    expect(tickRatio(t)).toBeNull();
    expect(() => qemuCommand(t, 'a.elf')).toThrow(/has no QEMU board/);
  });
});

describe('verify helpers (no tools needed)', () => {
  it('renders the linker script from the board memory map', () => {
    const ld = renderLinkerScript(loadTarget('cortex-m55'), 8192);
    expect(ld).toContain('ROM (rx)  : ORIGIN = 0x00000000, LENGTH = 0x00080000');
    expect(ld).toContain('RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 0x00080000');
    expect(ld).toContain('__stack_size : 0x00002000');
    expect(ld).not.toContain('{{');
  });

  it('parses arm-none-eabi-size output', () => {
    const s = parseSize('   text\t   data\t    bss\t    dec\t    hex\tfilename\n  9136\t    116\t    128\t   9380\t   24a4\tprog.elf\n');
    expect(s).toEqual({ text: 9136, data: 116, bss: 128, flash: 9252, ram: 244 });
  });

  it('collects qgc_report lines', () => {
    expect(parseReports('hello\nqgc.instructions=123\nqgc.stack=40\nqgc.bad=x\n')).toEqual({ instructions: 123n, stack: 40n });
  });

  it('builds the documented QEMU command line', () => {
    expect(qemuCommand('cortex-m4', 'prog.elf').join(' ')).toBe(
      'qemu-system-arm -M mps2-an386 -display none -monitor none -serial none -semihosting-config enable=on,target=native -icount shift=0 -kernel prog.elf');
  });
});

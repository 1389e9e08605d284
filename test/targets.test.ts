import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../src/errors.js';
import {
  layerCost, listTargets, loadAnyTarget, loadTarget, loadTargetOfKind, parseAnyTarget, parseTarget, targetsDir, tickRatio, TARGET_KINDS,
} from '../src/targets/target.js';
import type { CompiledFolder } from '../src/verify/folder.js';
import { defaultTargets } from '../src/verify/verify.js';
import { cli } from './support/cli.js';
import { renderLinkerScript, parseSize } from '../src/verify/toolchain.js';
import { parseReports, qemuCommand } from '../src/verify/qemu.js';
import { errorOf } from './support/errors.js';

const CORTEX_M = ['cortex-m0plus', 'cortex-m33', 'cortex-m4', 'cortex-m55', 'cortex-m7'];

function rawTarget(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(targetsDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** Fixtures of the kinds qgc ships no target for yet. */
const FIXTURES = fileURLToPath(new URL('./data/targets/', import.meta.url));
const WASM = join(FIXTURES, 'wasm-simd.json');
const WEBGPU = join(FIXTURES, 'webgpu-dp4a.json');
const rawFixture = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** The CompileError of `f`, which must name `file` and the field `field`. */
function fieldError(f: () => unknown, file: string, field: string): CompileError {
  const e = errorOf(f);
  expect(e).toBeInstanceOf(CompileError);
  expect(e.where.file).toBe(file);
  expect(e.message).toContain(`field '${field}'`);
  return e;
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

describe('target kinds', () => {
  it('knows mcu, wasm and webgpu', () => {
    expect(TARGET_KINDS).toEqual(['mcu', 'wasm', 'webgpu']);
  });

  it('loads a valid file of every kind', () => {
    for (const name of CORTEX_M) expect(loadAnyTarget(name).kind).toBe('mcu');
    const wasm = loadTargetOfKind('wasm', WASM);
    expect(wasm).toMatchObject({ kind: 'wasm', name: 'wasm-simd', features: { simd128: true, relaxedSimd: false }, memory: { initialPages: 16, maximumPages: 256 } });
    expect(layerCost(wasm, 'conv', 's8', 1000, 10)).toBeCloseTo(200 + 0.15 * 1000 + 2 * 10);
    const gpu = loadTargetOfKind('webgpu', WEBGPU);
    expect(gpu).toMatchObject({ kind: 'webgpu', features: { packed4x8IntegerDotProduct: true }, tiling: { workgroupSize: [8, 8, 1], tileK: 32 } });
    expect(gpu.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
  });

  it('reads a file without kind as mcu (users\' own files)', () => {
    const raw = rawTarget('cortex-m4');
    delete raw.kind;
    const t = parseAnyTarget(raw, 'mine.json');
    expect(t.kind).toBe('mcu');
    expect(parseTarget(raw, 'mine.json').features.dsp).toBe(true);
  });

  it('names the file and the field of a bad value in every kind', () => {
    const mcu = rawTarget('cortex-m55');
    ((mcu.costModel as Record<string, unknown>).dispatch as Record<string, unknown>).addLutMinElements = 0;
    fieldError(() => parseAnyTarget(mcu, 'm.json'), 'm.json', 'costModel.dispatch.addLutMinElements');

    const wasm = rawFixture(WASM);
    (wasm.features as Record<string, unknown>).simd128 = 'yes';
    fieldError(() => parseAnyTarget(wasm, 'w.json'), 'w.json', 'features.simd128');
    const relaxed = rawFixture(WASM);
    relaxed.features = { simd128: false, relaxedSimd: true, bulkMemory: true, threads: false };
    expect(fieldError(() => parseAnyTarget(relaxed, 'w.json'), 'w.json', 'features.relaxedSimd').message).toContain('needs features.simd128');
    const wasmCost = rawFixture(WASM);
    (wasmCost.costModel as Record<string, unknown>).unit = 'cycles';
    fieldError(() => parseAnyTarget(wasmCost, 'w.json'), 'w.json', 'costModel.unit');

    const gpu = rawFixture(WEBGPU);
    (gpu.tiling as Record<string, unknown>).workgroupSize = [16, 32, 1];
    expect(fieldError(() => parseAnyTarget(gpu, 'g.json'), 'g.json', 'tiling.workgroupSize').message).toContain('512 invocations');
    const gpuLimit = rawFixture(WEBGPU);
    delete (gpuLimit.limits as Record<string, unknown>).maxComputeWorkgroupStorageSize;
    expect(fieldError(() => parseAnyTarget(gpuLimit, 'g.json'), 'g.json', 'limits.maxComputeWorkgroupStorageSize').message).toContain('is missing');
    const gpuK = rawFixture(WEBGPU);
    (gpuK.tiling as Record<string, unknown>).tileK = 30;
    fieldError(() => parseAnyTarget(gpuK, 'g.json'), 'g.json', 'tiling.tileK');
  });

  it('checks the dispatch cost model against the ISA', () => {
    const m0 = rawTarget('cortex-m0plus');
    const m4 = rawTarget('cortex-m4');
    const m4Dispatch = (m4.costModel as Record<string, unknown>).dispatch as Record<string, unknown>;
    ((m0.costModel as Record<string, unknown>).dispatch as Record<string, unknown>).convRows = m4Dispatch.convRows;
    expect(fieldError(() => parseTarget(m0, 'x.json'), 'x.json', 'costModel.dispatch.convRows.model').message).toContain('use null');
    const typo = rawTarget('cortex-m4');
    const rows = ((typo.costModel as Record<string, unknown>).dispatch as Record<string, unknown>).convRows as Record<string, Record<string, unknown>>;
    rows.rows.rowz = 1;
    fieldError(() => parseTarget(typo, 'x.json'), 'x.json', 'costModel.dispatch.convRows.rows.rowz');
    const noDispatch = rawTarget('cortex-m4');
    delete (noDispatch.costModel as Record<string, unknown>).dispatch;
    expect(fieldError(() => parseTarget(noDispatch, 'x.json'), 'x.json', 'costModel.dispatch').message).toContain('is missing');
  });

  it('refuses an unknown kind', () => {
    const raw = rawTarget('cortex-m4');
    raw.kind = 'fpga';
    expect(fieldError(() => parseAnyTarget(raw, 'x.json'), 'x.json', 'kind').message).toContain("must be one of 'mcu', 'wasm', 'webgpu'");
  });

  it('refuses a target of another kind where an mcu target is needed', () => {
    const e = errorOf(() => loadTarget(WASM));
    expect(e.message).toBe("target 'wasm-simd' is of kind wasm; the C backend compiles for kind mcu targets");
    expect(e.where.file).toBe(WASM);
    expect(errorOf(() => loadTargetOfKind('webgpu', 'cortex-m4')).message).toContain('is of kind mcu; the WGSL backend compiles for kind webgpu targets');
  });

  it('qgc compile checks the options of a target\'s kind before reading the model', async () => {
    const r = await cli('compile', 'no-such-model.onnx', '--target', WEBGPU, '--embed', '-o', join(mkdtempSync(join(tmpdir(), 'qgc-kind-')), 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--embed is an option of wasm targets');
  });

  it('lists targets by kind; the shipped ones are mcu, wasm and webgpu', () => {
    expect(listTargets(undefined, 'mcu')).toEqual(CORTEX_M);
    expect(listTargets(undefined, 'wasm')).toEqual(['wasm', 'wasm-scalar']);
    expect(listTargets(undefined, 'webgpu')).toEqual(['webgpu']);
    expect(listTargets(FIXTURES, 'wasm')).toEqual(['wasm-simd']);
    expect(listTargets(FIXTURES, 'webgpu')).toEqual(['webgpu-dp4a']);
  });

  it('qgc verify defaults its boards from board.verifyByDefault', () => {
    expect(CORTEX_M.filter((n) => loadTarget(n).board.verifyByDefault)).toEqual(['cortex-m4', 'cortex-m55']);
    const folder = (name: string) => ({ target: loadTarget(name) }) as CompiledFolder;
    expect(defaultTargets(folder('cortex-m0plus'))).toEqual(['host', 'cortex-m0plus', 'cortex-m4', 'cortex-m55']);
    expect(defaultTargets(folder('cortex-m55'))).toEqual(['host', 'cortex-m55', 'cortex-m4']);
    const raw = rawTarget('cortex-m33');
    const board = raw.board as Record<string, unknown>;
    board.qemuMachine = null;
    board.instructionsPerTick = null;
    board.verifyByDefault = true;
    fieldError(() => parseTarget(raw, 'x.json'), 'x.json', 'board.verifyByDefault');
  });
});

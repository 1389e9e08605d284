/** The CLI's first-use edges, through the real entry point: `qgc --version`; errors that name
 * the flags of the command the user ran; the name and the output folder checked before the
 * model is calibrated; an `-o` where no folder can be made (under /proc) refused at once;
 * `--force` keeping the files qgc did not write and replacing those it writes; `--measure`
 * adding the stack and code size measured on the target; the summary table's alignment. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, type CReport } from '../src/backends/c/report.js';
import { cli } from './support/cli.js';
import { ARM_GCC, CMSIS_NN, QEMU, needs } from './support/tools.js';
import { tempFolders } from './support/tmp.js';

const tmp = tempFolders('qgc-cli-first-use-');
const MODEL = 'examples/fashion-mnist/model.onnx';
const CALIB = 'examples/fashion-mnist/calib.npy';

describe('qgc --version', () => {
  it('prints package.json\'s version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${pkg.version}\n`);
    }
  });
});

describe('errors name the flags of the command that was run', () => {
  it('compile without --calib is told about --calib, not --int', async () => {
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '-o', join(tmp(), 'out'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error QGC1201: compiling a float model needs calibration data \(--calib\)\. Add --calib calib\.npy/);
    expect(r.err).not.toContain('--int');
  });

  it('run --int without --calib still names --int', async () => {
    const r = await cli('run', MODEL, '--int', '--input', 'examples/fashion-mnist/test_x.npy');
    expect(r.err).toMatch(/--int on a float model needs calibration data/);
  });
});

describe('mistakes in the name or the output folder fail before calibration', () => {
  // A calibration file that does not exist: had calibration started, that would be the error.
  const missingCalib = 'examples/fashion-mnist/no-such-calib.npy';

  it('(with a good name and folder, that missing file is the error)', async () => {
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', missingCalib, '-o', join(tmp(), 'out'));
    expect(r.err).toMatch(/cannot read calibration data/);
  });

  it('a bad --name', async () => {
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', missingCalib, '--name', '9net', '-o', join(tmp(), 'out'));
    expect(r.err).toMatch(/^error QGC1201: '9net' is not a valid network name/);
  });

  it('an output folder holding other files', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', missingCalib, '-o', dir);
    expect(r.err).toMatch(/^error QGC1005: .*the output folder holds files qgc did not write \(notes\.txt\)/);
  });

  it('an output path under a file', async () => {
    const file = join(tmp(), 'file.txt');
    writeFileSync(file, 'x');
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', missingCalib, '-o', join(file, 'out'));
    expect(r.err).toMatch(/^error QGC1005: .*cannot create the output folder in .*file\.txt \(ENOTDIR\)/);
  });

  it('an output path under /proc, where mkdir cannot make progress, fails at once instead of spinning', async (ctx) => {
    if (!existsSync('/proc/self')) ctx.skip(); // Linux only
    for (const calib of [missingCalib, CALIB]) {
      const t0 = performance.now();
      const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', calib, '-o', '/proc/qgc-test/out');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error QGC1005: \/proc\/qgc-test\/out: cannot create the output folder in \/proc \(E[A-Z]+\)\. Pass -o with a folder under a writable one\./);
      expect(performance.now() - t0).toBeLessThan(5_000);
    }
  });
});

describe('--force', () => {
  it('keeps the files qgc did not write and replaces those named like its own', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'net.h'), '/* an old header */');
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--kernels', 'portable', '--calib', CALIB, '--force', '-o', dir);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'net.h'), 'utf8')).toContain('#define NET_ARENA_SIZE');
    expect(readdirSync(dir)).toContain('src');
    const help = await cli('compile', '--help');
    expect(help.out.replace(/\s+/g, ' ')).toContain('--force write into a folder that holds files qgc did not write: they are kept, except files named like one qgc writes, which are replaced');
  }, 60_000);
});

describe('the compile report', () => {
  it('--measure adds the stack high-water mark and code size measured under QEMU, and verify still finds the sources as generated', async (ctx) => {
    needs(ctx, ARM_GCC, QEMU, CMSIS_NN);
    const dir = join(tmp(), 'out');
    const r = await cli('compile', MODEL, '--target', 'cortex-m4', '--calib', CALIB, '--measure', '-o', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^measured on cortex-m4 \(QEMU mps2-an386, cmsis-nn\): stack [\d,]+ B, code [\d,]+ B network \+ [\d,]+ B CMSIS-NN, flash [\d,]+ B in all \(weights included\), [\d,]+ instructions per inference$/m);
    const m = (JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as CReport).measured!;
    expect(m.stackBytes).toBeGreaterThan(64);
    expect(m.stackBytes).toBeLessThan(8192);
    expect(m.network.codeBytes).toBeGreaterThan(500);
    expect(m.cmsisNn.codeBytes).toBeGreaterThan(1000);
    // The network's constant data holds its weights (the report's count) and little else.
    const report = JSON.parse(readFileSync(join(dir, 'net_report.json'), 'utf8')) as CReport;
    expect(m.network.constBytes).toBeGreaterThanOrEqual(report.totals.weightsFlashBytes);
    expect(m.network.constBytes).toBeLessThan(report.totals.weightsFlashBytes + 4096);
    const v = await cli('verify', dir, '--inputs', 'examples/fashion-mnist/test_x.npy', '--limit', '1', '--targets', 'host');
    expect(v.out).toContain('sources: as qgc generates them');
    const wasm = await cli('compile', MODEL, '--target', 'wasm', '--calib', CALIB, '--measure', '-o', join(tmp(), 'w'));
    expect(wasm.err).toMatch(/--measure is an option of C \(mcu\) targets/);
  }, 120_000);

  it('the summary table stays aligned with long op and kernel names', () => {
    const layer = (op: string, kernel: string) => ({ step: 1, node: 'n', op, kernel, inputShapes: [], outputShape: [], macs: 12345, flashBytes: 10, outputBytes: 4, scratchBytes: 0, liveBytes: 8, inPlace: false });
    const report = {
      name: 'net', target: 'cortex-m4', kernels: 'cmsis-nn', isa: 'dsp', files: [],
      layers: [layer('QConv', 'qgc_gather_rows_s8+arm_nn_mat_mult_nt_t_s8_and_a_much_longer_name'), layer('QAveragePoolWithALongName', 'k'), layer('QFullyConnected', 'arm_fully_connected_wrapper_s8')],
      totals: { macs: 0, weightsFlashBytes: 0, arenaBytes: 0, arenaLowerBound: 0, layoutCopies: 0, boundaryTransposes: { input: false, output: false } },
      memoryPlan: { strategy: '', peakStep: 0, buffers: [] },
    } as CReport;
    const rows = formatReport(report).split('\n').slice(1, 5);
    const ends = rows.map((l) => l.indexOf('MACs') >= 0 ? l.indexOf('MACs') + 4 : l.indexOf('12345') + 5);
    expect(new Set(ends).size, rows.join('\n')).toBe(1);
  });
});

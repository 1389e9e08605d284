/** The CLI's first-use edges, through the real entry point: `qgc --version`; errors that name
 * the flags of the command the user ran; the name and the output folder checked before the
 * model is calibrated; an `-o` where no folder can be made (under /proc) refused at once;
 * `--force` keeping the files qgc did not write and replacing those it writes. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
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

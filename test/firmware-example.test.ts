/** examples/firmware-qemu: the commands of its README (qgc compile of two networks, cmake
 * configure and build with the arm-none-eabi toolchain file, qemu-system-arm), run as they are
 * in a copy of the example, must print for every compiled-in image and both networks (linked
 * into one image, sharing one external arena) the logits of the integer interpreter, bit for
 * bit; every global symbol of a network's objects starts with its name. */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int8GraphFor } from '../src/cli/quantize.js';
import { readNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { cmsisNnRoot } from '../src/verify/cmsis-nn.js';
import { reference, samplesOf } from '../src/verify/reference.js';
import { ARM_GCC as ARM, CMAKE, CMSIS_NN as CMSIS, QEMU, needs } from './support/tools.js';

const ROOT = resolve('.');
const EXAMPLE = join(ROOT, 'examples', 'firmware-qemu');
/** The two networks of the example: its README compiles them under these names. */
const MODELS = [{ name: 'net', folder: 'fashion-mnist' }, { name: 'res', folder: 'fashion-mnist-residual' }];

let root: string | undefined;
afterAll(() => {
  if (root && !process.env.QGC_KEEP_TMP) rmSync(root, { recursive: true, force: true });
});

/** The first ```sh block after "## Build and run" in the README. */
function readmeCommands(): string[] {
  const text = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
  const m = /## Build and run[\s\S]*?```sh\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('README.md has no sh block under "## Build and run"');
  return m[1].trim().split('\n');
}

/** Index of the largest value (the first one on ties), as the firmware picks it. */
function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

describe('examples/firmware-qemu', () => {
  it('images.c holds the first test images bit for bit, with their labels', () => {
    const text = readFileSync(join(EXAMPLE, 'images.c'), 'utf8');
    const body = text.slice(text.indexOf('images[IMAGE_COUNT][IMAGE_SIZE] = {'), text.indexOf('const unsigned char labels'));
    const values = Float32Array.from([...body.replace(/\/\*.*?\*\//g, '').matchAll(/(-?[0-9][0-9.e+-]*)f/g)].map((v) => Number(v[1])));
    const count = Number(/#define IMAGE_COUNT (\d+)/.exec(readFileSync(join(EXAMPLE, 'images.h'), 'utf8'))![1]);
    const x = readNpy('examples/fashion-mnist/test_x.npy').data as Float32Array;
    expect(values.length).toBe(count * 784);
    expect(Buffer.from(values.buffer).equals(Buffer.from(x.buffer, x.byteOffset, count * 784 * 4))).toBe(true);
    const labels = /labels\[IMAGE_COUNT\] = \{ ([\d, ]+) \}/.exec(text)![1].split(', ').map(Number);
    expect(labels).toEqual(Array.from(readNpy('examples/fashion-mnist/test_y.npy').data as BigInt64Array, Number).slice(0, count));
  });

  it('the README commands build one firmware with two networks, and QEMU prints the interpreter\'s logits for both', (ctx) => {
    needs(ctx, CMAKE, ARM, QEMU, CMSIS);
    // A copy laid out like the repository: examples/firmware-qemu beside the model folders,
    // the qgc package (targets/, templates/) two folders up. `qgc` runs qgc from source.
    root = mkdtempSync(join(tmpdir(), 'qgc-firmware-'));
    const work = join(root, 'examples', 'firmware-qemu');
    cpSync(EXAMPLE, work, { recursive: true, filter: (src) => !src.startsWith(join(EXAMPLE, 'build')) });
    for (const m of MODELS) symlinkSync(join(ROOT, 'examples', m.folder), join(root, 'examples', m.folder));
    for (const d of ['targets', 'templates']) symlinkSync(join(ROOT, d), join(root, d));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'qgc'), `#!/bin/sh\nexec "${join(ROOT, 'node_modules', '.bin', 'tsx')}" "${join(ROOT, 'scripts', 'qgc-dev.ts')}" "$@"\n`);
    chmodSync(join(bin, 'qgc'), 0o755);

    const commands = readmeCommands();
    expect(commands.map((c) => c.split(' ')[0])).toEqual(['qgc', 'qgc', 'cmake', 'cmake', 'qemu-system-arm']);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CMSIS_NN_ROOT: cmsisNnRoot() };
    let stdout = '';
    for (const c of commands) {
      stdout = execFileSync('sh', ['-c', c], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    }
    console.log(stdout);

    const labels = Array.from(readNpy('examples/fashion-mnist/test_y.npy').data as BigInt64Array, Number);
    for (const m of MODELS) {
      const lines = [...stdout.matchAll(new RegExp(`^image (\\d+) ${m.name}: predicted (\\d+) \\(.*?\\), label (\\d+) .*, logits ([0-9a-f]+)$`, 'gm'))]
        .map((x) => ({ image: Number(x[1]), predicted: Number(x[2]), label: Number(x[3]), logits: x[4] }));
      const { graph: imported } = loadModel(`examples/${m.folder}/model.onnx`);
      const { graph } = int8GraphFor(imported, { calib: [`examples/${m.folder}/calib.npy`] });
      const ref = reference(graph, samplesOf(graph, readNpy('examples/fashion-mnist/test_x.npy'), 8));
      expect(lines.map((l) => l.image), m.name).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(lines.map((l) => l.logits), m.name).toEqual(ref.outF!.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('hex')));
      expect(lines.map((l) => l.predicted), m.name).toEqual(ref.out8.map(argmax));
      expect(lines.map((l) => l.label), m.name).toEqual(labels.slice(0, 8));
      expect(stdout).toMatch(new RegExp(`^${m.name}: \\d of 8 correct$`, 'm'));
      // Linked side by side: every global symbol the network's own objects define is <name>_*.
      const objects = join(work, 'build', 'CMakeFiles', `${m.name}.dir`);
      const objs = readdirSync(objects, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.obj')).map((f) => join(objects, f));
      expect(objs.length, m.name).toBe(2);
      const globals = execFileSync('arm-none-eabi-nm', ['-g', '--defined-only', '-j', ...objs], { encoding: 'utf8' }).split('\n').filter((l) => /^\w+$/.test(l));
      expect(globals.length).toBeGreaterThan(10);
      expect(globals.filter((g) => !g.startsWith(`${m.name}_`)), m.name).toEqual([]);
    }
  }, 600_000);
});

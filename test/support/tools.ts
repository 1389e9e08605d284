/** The one way a test asks for a system tool or data package. Each requirement says what it is
 * and how to install it. A test calls `needs(ctx, ...reqs)` first: locally a missing requirement
 * skips the test (vitest's `ctx.skip` with the reason, so the report says *skipped* and why,
 * never a green pass); in CI (CI=true) it fails the test. A whole suite that cannot run without a
 * tool is declared with `describeNeeding`, which puts one such test in its place.
 *
 * QGC_TEST_HIDE_TOOLS=qemu-system-arm,CMSIS_NN_ROOT makes the named requirements (a command
 * name, or a requirement's id) look missing, to check what a machine without them reports. */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { cmsisNnRoot } from '../../src/verify/cmsis-nn.js';
import { DAWN_INSTALL, SWIFTSHADER_ICD } from '../../src/verify/dawn.js';
import { INSTALL, which } from '../../src/verify/exec.js';

/** True when the CI environment variable says so (CI=true or CI=1). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

/** The requirement ids QGC_TEST_HIDE_TOOLS names. */
export function hiddenTools(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.QGC_TEST_HIDE_TOOLS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

export interface Requirement {
  /** Short name QGC_TEST_HIDE_TOOLS matches: the command, or e.g. 'libonnx-testdata'. */
  id: string;
  /** What is missing, e.g. 'ONNX conformance data'. */
  what: string;
  /** How to get it, e.g. 'apt-get install libonnx-testdata'. */
  install: string;
  present: boolean;
}

function hidden(id: string, present: boolean): boolean {
  return present && !hiddenTools().has(id);
}

/** A file or folder that must exist. */
export function pathExists(what: string, path: string, install: string, id: string = what): Requirement {
  return { id, what: `${what} (${path})`, install, present: hidden(id, existsSync(path)) };
}

/** A command that must be on PATH. */
export function commandExists(cmd: string, install: string): Requirement {
  return { id: cmd, what: `command '${cmd}'`, install, present: hidden(cmd, which(cmd) !== null) };
}

/** Any other probe (run once, when the requirement is made). */
export function probe(id: string, what: string, install: string, present: () => boolean): Requirement {
  return { id, what, install, present: hidden(id, present()) };
}

/** The message for the missing requirements, or undefined when all are present. */
export function missingMessage(reqs: readonly Requirement[]): string | undefined {
  const missing = reqs.filter((r) => !r.present);
  if (missing.length === 0) return undefined;
  return missing.map((r) => `${r.what} is missing (${r.install})`).join('; ');
}

/** What a test does about missing requirements: nothing (all present), skip, or fail. */
export type Verdict = { kind: 'run' } | { kind: 'skip' | 'fail'; message: string };

/** The decision `needs` acts on (separate so it can be tested without a test context). */
export function verdict(reqs: readonly Requirement[], ci: boolean = inCi()): Verdict {
  const msg = missingMessage(reqs);
  if (msg === undefined) return { kind: 'run' };
  return ci ? { kind: 'fail', message: `required test tool missing in CI: ${msg}` } : { kind: 'skip', message: `needs ${msg}` };
}

/** What `needs` uses of vitest's test context (its `skip`). */
export interface Skipper {
  skip(note: string): never;
}

/** Returns when every requirement is met; otherwise skips the test with the reason, or, in CI,
 * throws (the test fails). Call it first in the test. */
export function needs(ctx: Skipper, ...reqs: Requirement[]): void {
  const v = verdict(reqs);
  if (v.kind === 'fail') throw new Error(v.message);
  if (v.kind === 'skip') ctx.skip(v.message);
}

/** `describe(name, body)` when every requirement is met; otherwise one test in the suite's place
 * that skips (or fails in CI) with the reason. The body (and its hooks) run only with the tools. */
export function describeNeeding(reqs: readonly Requirement[], name: string, body: () => void): void {
  if (missingMessage(reqs) === undefined) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it('has the tools it needs', (ctx) => needs(ctx, ...reqs));
  });
}

// The requirements tests share (one definition each).
export const HOST_CC = commandExists(process.env.CC || 'cc', INSTALL.hostCc);
export const GCC = commandExists('gcc', INSTALL.hostCc);
export const ARM_GCC = commandExists('arm-none-eabi-gcc', INSTALL.armGcc);
export const QEMU = commandExists('qemu-system-arm', INSTALL.qemu);
export const CMAKE = commandExists('cmake', 'apt-get install cmake');
/** Debian's Chromium, which playwright-core drives for the browser tests (no downloaded browser). */
export const CHROMIUM_PATH = process.env.QGC_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM = pathExists('Chromium', CHROMIUM_PATH, 'apt-get install chromium', 'chromium');
export const MAKE = commandExists('make', 'apt-get install make');
export const CMSIS_NN = pathExists('CMSIS-NN source', join(cmsisNnRoot(), 'Include', 'arm_nnfunctions.h'),
  'point CMSIS_NN_ROOT at a CMSIS-NN checkout (Include/ and Source/)', 'CMSIS_NN_ROOT');
export const ONNX_TESTDATA = pathExists('ONNX conformance data', process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data/node',
  'apt-get install libonnx-testdata', 'libonnx-testdata');
export const FASHION_MNIST = pathExists('Fashion-MNIST', '/usr/share/datasets/fashion-mnist', 'apt-get install dataset-fashion-mnist', 'dataset-fashion-mnist');
/** Debian's python with the onnx module (onnx.checker). */
export const PYTHON_ONNX = probe('python3-onnx', "/usr/bin/python3's onnx module", 'apt-get install python3-onnx',
  () => spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0);
/** Dawn for Node (the `webgpu` package) and a Vulkan driver for it: SwiftShader from Debian's
 * chromium unless VK_ICD_FILENAMES names another (src/verify/dawn.ts sets the environment). */
export const DAWN = probe('webgpu', 'Dawn (the webgpu npm package) with a Vulkan driver (SwiftShader from chromium)', DAWN_INSTALL, () => {
  const icd = process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD;
  return existsSync(join('node_modules', 'webgpu', 'index.js')) && (icd === '' || existsSync(icd));
});
/** TensorFlow Lite's interpreter (tensorflow-cpu 2.21 in the git-ignored venv .ci/run makes), for
 * the single-op comparisons of test/support/tflite.ts. The probe looks the module up without
 * importing TensorFlow (seconds). */
export const TFLITE_PYTHON = process.env.QGC_TFLITE_PYTHON ?? '.venv-tf/bin/python';
export const TFLITE = probe('tensorflow', `tensorflow-cpu 2.21 in ${TFLITE_PYTHON}`,
  "bash .ci/run makes it (python3 -m venv .venv-tf && .venv-tf/bin/pip install 'tensorflow-cpu==2.21.*')",
  () => existsSync(TFLITE_PYTHON) && spawnSync(TFLITE_PYTHON, ['-c', "import importlib.util, sys; sys.exit(importlib.util.find_spec('tensorflow') is None)"], { stdio: 'ignore' }).status === 0);

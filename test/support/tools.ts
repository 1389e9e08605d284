/** Tests that need a system tool or data package call `needs(...)`: locally a missing
 * tool skips the test with a loud message; in CI (CI=true) it fails the test. */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export interface Requirement {
  /** What is missing, e.g. 'ONNX conformance data'. */
  what: string;
  /** How to get it, e.g. 'apt-get install libonnx-testdata'. */
  install: string;
  present: boolean;
}

export function pathExists(what: string, path: string, install: string): Requirement {
  return { what: `${what} (${path})`, install, present: existsSync(path) };
}

export function commandExists(cmd: string, install: string): Requirement {
  let present = true;
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    present = false;
  }
  return { what: `command '${cmd}'`, install, present };
}

/** Returns true when every requirement is met. Otherwise throws in CI, or warns and returns false. */
export function needs(...reqs: Requirement[]): boolean {
  const missing = reqs.filter((r) => !r.present);
  if (missing.length === 0) return true;
  const msg = missing.map((r) => `${r.what} is missing: ${r.install}`).join('; ');
  if (IN_CI) throw new Error(`required test tool missing in CI: ${msg}`);
  console.warn(`\n*** SKIPPED: ${msg} ***\n`);
  return false;
}

export const ONNX_TESTDATA = pathExists('ONNX conformance data', '/usr/share/libonnx-testdata/data/node', 'apt-get install libonnx-testdata');
export const FASHION_MNIST = pathExists('Fashion-MNIST', '/usr/share/datasets/fashion-mnist', 'apt-get install dataset-fashion-mnist');

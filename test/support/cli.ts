import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `qgc ...args` in-process through the real entry point, capturing stdout and stderr. */
export async function cli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(['node', 'qgc', ...args], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

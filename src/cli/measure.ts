/**
 * `qgc compile --measure`: what a compiled C network costs on its target, measured rather than
 * estimated. The folder is built by `qgc verify`'s machinery for the target (arm-none-eabi-gcc,
 * qgc's runtime, CMSIS-NN when it calls it), run once under QEMU on an all-zero input (checked
 * bit-exact against the interpreter like any verify run), and the linker map gives the code and
 * constant data of the network's own files and of CMSIS-NN; the painted stack gives the
 * high-water mark of one inference. The figures go into `<name>_report.json` as `measured`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CReport, Measured } from '../backends/c/report.js';
import { CompileError, ErrorCode } from '../errors.js';
import { allocate } from '../ir/dtype.js';
import type { Value } from '../interp/types.js';
import { flashBytes, mapSizes, type SectionBytes } from '../verify/map-size.js';
import { readCompiledFolder } from '../verify/folder.js';
import { verifyFolder } from '../verify/verify.js';

/** Builds and runs the folder for its target; throws a CompileError (VerifyError) without the tools. */
export async function measureFolder(dir: string, name: string): Promise<Measured> {
  const folder = readCompiledFolder(dir, name);
  const zeros = new Map<string, Value>(folder.graph.inputs.map((input) => {
    const t = folder.graph.tensors.get(input)!;
    const shape = [1, ...t.shape.slice(1)];
    return [input, { dtype: t.dtype, shape, data: allocate(t.dtype, shape.reduce((a, b) => a * b, 1)) }];
  }));
  const buildDir = mkdtempSync(join(tmpdir(), 'qgc-measure-'));
  try {
    const r = await verifyFolder({ dir, name, inputs: zeros, targets: [folder.target.name], limit: 1, buildDir, checkScratch: false, locate: false });
    const t = r.targets[0];
    if (!r.ok || t.map === undefined || t.stackBytes === undefined || t.instructions === undefined) {
      throw new CompileError(ErrorCode.Internal, `measuring on ${t.description} failed: ${t.message ?? 'no figures'}`, { file: dir }, 'Run qgc verify on the folder to see why.');
    }
    const own = new Set([`${name}`, `${name}_weights`, 'qgc_kernels', 'qgc_data']);
    const groups = mapSizes(readFileSync(t.map, 'utf8'), (file) => {
      if (/libcmsis-nn\.a\(/.test(file)) return 'cmsis-nn';
      const m = /[/\\]\d{3}_(\w+)\.o$/.exec(file);
      return m && own.has(m[1]) ? 'network' : undefined;
    });
    const none: SectionBytes = { text: 0, rodata: 0, data: 0, bss: 0 };
    const net = groups.get('network') ?? none;
    const cmsis = groups.get('cmsis-nn') ?? none;
    return {
      where: t.description, stackBytes: t.stackBytes,
      network: { codeBytes: net.text, constBytes: net.rodata }, cmsisNn: { codeBytes: cmsis.text, constBytes: cmsis.rodata },
      flashBytes: flashBytes(net) + flashBytes(cmsis), instructions: t.instructions.mean,
    };
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** The report's summary line of the measured figures. */
export function formatMeasured(m: Measured): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `measured on ${m.where}: stack ${n(m.stackBytes)} B, code ${n(m.network.codeBytes)} B network + ${n(m.cmsisNn.codeBytes)} B CMSIS-NN, ` +
    `flash ${n(m.flashBytes)} B in all (weights included), ${n(m.instructions)} instructions per inference\n`;
}

/** The report with `measured` added. */
export function withMeasured(report: CReport, m: Measured): CReport {
  return { ...report, measured: m };
}

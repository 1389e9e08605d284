/**
 * `qgc verify out/ --inputs test.npy [--targets host,cortex-m4,cortex-m55] [--limit N]`: builds
 * the C that `qgc compile` wrote, runs it on the host (ASan + UBSan) and on Cortex-M boards
 * under QEMU, and compares every output byte with the integer interpreter. Prints one row per
 * target; any difference ends in one VerifyError line naming the first differing element (and
 * layer) and exit status 2.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { CompileError, ErrorCode } from '../errors.js';
import { listTargets, loadTarget } from '../targets/target.js';
import { VerifyError, VerifyErrorCode } from '../verify/errors.js';
import { describeLayer, FLOAT_TOLERANCE, type TraceResult } from '../verify/trace.js';
import { mismatchLine, verifyFolder, type TargetResult, type VerifyResult } from '../verify/verify.js';
import { isWasmFolder, verifyWasmFolder, type WasmVerifyResult } from '../verify/wasm.js';
import { isWebgpuFolder, verifyWebgpuFolder, type WebgpuVerifyResult } from '../verify/webgpu.js';
import { collect } from './options.js';

/** Where `qgc verify` writes: the table on `out`, progress on `err`. */
export interface VerifyIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface VerifyCliOptions {
  inputs: string[];
  targets?: string;
  limit?: string;
  name?: string;
  keep?: string;
  timeout: string;
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');

function instructions(t: TargetResult): string {
  const i = t.instructions;
  if (!i) return '-';
  return i.min === i.max ? num(i.min) : `${num(i.min)}-${num(i.max)} (mean ${num(i.mean)})`;
}

/** The per-target table. */
export function formatVerify(r: VerifyResult, inputs: string): string {
  const f = r.folder;
  const samples = Math.max(...r.targets.map((t) => t.samples));
  const lines = [`qgc verify: ${f.name} (compiled for ${f.target.name}, ${f.kernels}) on ${samples} sample${samples === 1 ? '' : 's'} of ${inputs}`];
  lines.push(r.drift === undefined
    ? `sources: not compared: qgc cannot generate C from ${f.name}_schedule.json now (${r.regenerateError ?? 'unknown error'})`
    : r.drift.length === 0
      ? `sources: as qgc generates them from ${f.name}_schedule.json`
      : `sources: ${r.drift.map((d) => (d.line === 0 ? `${d.file} missing` : `${d.file} differs from what qgc generates from ${f.name}_schedule.json (line ${d.line})`)).join('; ')}`);
  const rows = [['target', 'code', 'samples', 'bytes compared', 'result', 'instructions/inference', 'stack B', 'text', 'data', 'bss', 'build+run s']];
  for (const t of r.targets) {
    rows.push([
      t.description, t.code, String(t.samples), num(t.bytes), t.mismatch || t.floatTrace?.kind === 'layer' ? 'MISMATCH' : 'bit-exact', instructions(t),
      t.stackBytes === undefined ? '-' : num(t.stackBytes), t.size ? num(t.size.text) : '-', t.size ? num(t.size.data) : '-', t.size ? num(t.size.bss) : '-',
      ((t.buildMs + t.runMs) / 1000).toFixed(1),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c >= 2 && c !== 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
  if (r.targets.some((t) => t.code === 'regenerated')) {
    lines.push(`regenerated: CMSIS-NN for that core's ISA takes other buffers than ${f.target.name}'s, so the C qgc generates for it from ${f.name}_schedule.json was run`);
  }
  if (r.targets.some((t) => t.instructions)) lines.push('instructions: executed by QEMU (-icount shift=0), SysTick ticks times the board\'s instructions per tick; stack: high-water mark of one inference');
  for (const t of r.targets.filter((x) => x.floatTrace)) lines.push(`float steps on ${t.where}: ${floatLine(t.floatTrace!)}`);
  for (const t of r.targets.filter((x) => x.mismatch || x.floatTrace?.kind === 'layer')) lines.push(`mismatch on ${mismatchLine(t)}`);
  return lines.join('\n') + '\n';
}

/** What the trace of a folder with float steps found, in one line. */
function floatLine(t: TraceResult): string {
  if (t.kind === 'unavailable') return `not compared (${t.why})`;
  if (t.kind === 'layer') return `differ (${describeLayer(t.layer)})`;
  return `${t.float.steps} compared on sample 0, largest difference ${t.float.maxRelError.toPrecision(2)} of a tensor's range (tolerance ${FLOAT_TOLERANCE}); ` +
    `the other ${t.steps - t.float.steps} steps bit-exact`;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CompileError(ErrorCode.BadInput, `${flag} '${value}' is not a positive whole number`, {}, `Use e.g. ${flag} 16.`);
  return n;
}

/** The `--targets` help, from the target files: which have a QEMU board, which run by default. */
function targetsHelp(): string {
  const mcu = listTargets(undefined, 'mcu').map((n) => loadTarget(n));
  const boards = mcu.filter((t) => t.board.qemuMachine !== null).map((t) => t.name);
  const byDefault = mcu.filter((t) => t.board.verifyByDefault).map((t) => t.name);
  return `comma-separated: host and/or targets with a QEMU board (${boards.join(', ')}); default: host, the folder's target${byDefault.map((n) => `, ${n}`).join('')} (board.verifyByDefault)`;
}

/** The table of a Wasm folder: one row per module, the columns of the C table. */
export function formatWasmVerify(r: WasmVerifyResult, inputs: string): string {
  const f = r.folder;
  const samples = Math.max(...r.modules.map((m) => m.samples));
  const lines = [`qgc verify: ${f.name} (compiled for ${f.report.target}, wasm) on ${samples} sample${samples === 1 ? '' : 's'} of ${inputs}`];
  lines.push(`modules: ${r.modules.map((m) => `${m.file} (${num(m.moduleBytes)} B)`).join(', ')}, run through ${f.name}.js`);
  const rows = [['target', 'code', 'samples', 'bytes compared', 'result', 'median µs/inference', 'build+run s']];
  for (const m of r.modules) {
    rows.push([m.description, 'folder', String(m.samples), num(m.bytes), m.mismatch ? 'MISMATCH' : 'bit-exact', m.medianUs.toFixed(1), (m.runMs / 1000).toFixed(1)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c >= 2 && c !== 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
  for (const m of r.modules.filter((x) => x.mismatch)) lines.push(`mismatch on ${m.description}: ${m.message ?? 'outputs differ'}`);
  return lines.join('\n') + '\n';
}

/** The table of a WebGPU folder: one row per dot-product path. */
export function formatWebgpuVerify(r: WebgpuVerifyResult, inputs: string): string {
  const f = r.folder;
  const samples = Math.max(0, ...r.paths.map((p) => p.samples));
  const lines = [`qgc verify: ${f.name} (compiled for ${f.report.target}, webgpu) on ${samples} sample${samples === 1 ? '' : 's'} of ${inputs}`];
  lines.push(`shaders: ${Object.values(f.report.shaders).map((s) => (s.packed ? `${s.file} + ${s.packed}` : s.file)).join(', ')}, run through ${f.name}.js on ${r.adapter}`);
  const rows = [['target', 'code', 'samples', 'bytes compared', 'result', 'median µs/run', 'µs/sample in runBatch', 'run s']];
  for (const p of r.paths) {
    rows.push([`webgpu ${p.path}`, 'folder', String(p.samples), num(p.bytes), p.mismatch ? 'MISMATCH' : 'bit-exact', p.medianUs.toFixed(0), p.batchUsPerSample.toFixed(0), (p.runMs / 1000).toFixed(1)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c >= 2 && c !== 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
  for (const s of r.skipped) lines.push(`not run: webgpu ${s.path}: ${s.reason}`);
  for (const p of r.paths.filter((x) => x.mismatch)) lines.push(`mismatch on ${p.description}: ${p.message ?? 'outputs differ'}`);
  return lines.join('\n') + '\n';
}

/** Adds the `verify` command to the qgc program. */
export function registerVerify(program: Command, io: VerifyIo): Command {
  return program
    .command('verify')
    .description('build the C in a qgc compile folder, run it on the host (ASan + UBSan) and under QEMU (or, for a wasm folder, run both modules in Node; for a webgpu folder, run the shaders on Dawn with both dot products), and compare every output byte with the integer interpreter')
    .argument('<dir>', 'the folder written by qgc compile -o')
    .addOption(new Option('--inputs <file.npy>', 'float32 inputs, samples stacked along the first axis; NAME=file.npy per input for a model with several (repeatable)').argParser(collect).makeOptionMandatory())
    .option('--targets <list>', targetsHelp())
    .option('--limit <n>', 'verify only the first n samples')
    .option('--name <name>', 'the network, when the folder holds several')
    .option('--keep <dir>', 'keep the builds (sources, objects, ELF files, inputs) in this folder')
    .option('--timeout <seconds>', 'time limit of each run', '300')
    .action(async (dir: string, o: VerifyCliOptions) => {
      const targets = o.targets?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (isWasmFolder(dir, o.name)) {
        if (targets) throw new CompileError(ErrorCode.BadInput, '--targets chooses C targets; a wasm folder is verified in Node (both modules)', { file: dir }, 'Drop --targets.');
        const w = await verifyWasmFolder({ dir, name: o.name, inputs: o.inputs, limit: positive(o.limit, '--limit'), onProgress: (line) => io.err(`${line}\n`) });
        io.out(formatWasmVerify(w, o.inputs.map((spec) => basename(spec)).join(', ')));
        const bad = w.modules.find((m) => m.mismatch);
        if (bad) throw new VerifyError(VerifyErrorCode.Mismatch, `${bad.description}: ${bad.message ?? 'outputs differ'}`, 'The folder\'s modules differ from the interpreter: compile the model again; if they still differ, this is a qgc bug.');
        return;
      }
      if (isWebgpuFolder(dir, o.name)) {
        if (targets) throw new CompileError(ErrorCode.BadInput, '--targets chooses C targets; a webgpu folder is verified on Dawn (both dot-product paths)', { file: dir }, 'Drop --targets.');
        const w = await verifyWebgpuFolder({ dir, name: o.name, inputs: o.inputs, limit: positive(o.limit, '--limit'), onProgress: (line) => io.err(`${line}\n`) });
        io.out(formatWebgpuVerify(w, o.inputs.map((spec) => basename(spec)).join(', ')));
        const bad = w.paths.find((p) => p.mismatch);
        if (bad) throw new VerifyError(VerifyErrorCode.Mismatch, `${bad.description}: ${bad.message ?? 'outputs differ'}`, 'The folder\'s shaders differ from the interpreter: compile the model again; if they still differ, this is a qgc bug.');
        return;
      }
      const r = await verifyFolder({
        dir, name: o.name, inputs: o.inputs, targets, limit: positive(o.limit, '--limit'), buildDir: o.keep,
        timeoutMs: (positive(o.timeout, '--timeout') ?? 300) * 1000, onProgress: (line) => io.err(`${line}\n`),
      });
      io.out(formatVerify(r, o.inputs.map((spec) => basename(spec)).join(', ')));
      const bad = r.targets.find((t) => t.mismatch || t.floatTrace?.kind === 'layer');
      if (bad) {
        const hint = r.drift && r.drift.length > 0
          ? `${r.drift[0].file} is not what qgc generates from ${r.folder.name}_schedule.json: compile the model again.`
          : 'The sources are what qgc generates: this is a qgc bug; please report it with the folder and inputs.';
        throw new VerifyError(VerifyErrorCode.Mismatch, mismatchLine(bad), hint);
      }
    });
}

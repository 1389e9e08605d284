/**
 * `qgc compile model.onnx --target cortex-m4 [--calib calib.npy] [--kernels cmsis-nn|portable]
 * [--name net] [--force] [--embed] -o out/`: a float model is quantized in memory on the
 * calibration data, a QDQ/QOperator model is lowered as it is; the quantized graph goes to the
 * backend of the target's kind (mcu: C; wasm: WebAssembly; webgpu: WGSL), which writes its files and
 * `<name>_report.json`, and the report is printed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import { compileC, type KernelsOption } from '../backends/c/emit.js';
import { requireNetName } from '../backends/c/identifiers.js';
import { checkOutputDir } from '../backends/c/output-dir.js';
import { formatReport } from '../backends/c/report.js';
import { formatWasmReport } from '../backends/wasm/report.js';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { loadModel } from '../onnx/load.js';
import { openCalibration } from '../quant/calib-data.js';
import { loadAnyTarget, type AnyTarget, type TargetKind, type TargetOf } from '../targets/target.js';
import { requireStaticDims } from './data-shapes.js';
import { collect, parseInputShapes } from './options.js';
import type { ProgressStream } from './progress.js';
import { formatMeasured, measureFolder, withMeasured } from './measure.js';
import { bitsOption, int8GraphFor, roundingOption, type CalibCliOptions } from './quantize.js';

/** Where `qgc compile` writes: the report on `out`, warnings on `err`. */
export interface CompileIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Progress bar stream for calibration (default: `err`, which is never a TTY). */
  progress?: ProgressStream;
}

interface CompileCliOptions extends CalibCliOptions {
  target: string;
  kernels: KernelsOption;
  name: string;
  force?: boolean;
  output: string;
  inputShape: string[];
  embed?: boolean;
  measure?: boolean;
  strictBudget?: boolean;
}

/** What a backend gets from the command line: the options and whether --kernels was given. */
interface BackendRun<K extends TargetKind> {
  target: TargetOf<K>;
  graph: Graph;
  o: CompileCliOptions;
  kernelsGiven: boolean;
  modelName: string;
  /** The ONNX bytes and the options that shaped the graph, for the C identity macros. */
  source: { modelBytes: Uint8Array; options: Record<string, unknown> };
  io: CompileIo;
}

/** The backend of each target kind: `check` refuses options it has no use for (before the model
 * is loaded), `run` compiles, writes the folder and returns the printed report. */
interface Backend<K extends TargetKind> {
  check(target: TargetOf<K>, o: CompileCliOptions, kernelsGiven: boolean): void;
  run(r: BackendRun<K>): string | Promise<string>;
}

const BACKENDS: { readonly [K in TargetKind]: Backend<K> } = {
  mcu: {
    check: (_t, o) => {
      if (o.embed) throw new CompileError(ErrorCode.BadInput, '--embed is an option of wasm targets', {}, 'Drop --embed for a C target.');
    },
    run: async ({ target, graph, o, modelName, source, io }) => {
      const { report } = compileC(graph, {
        target, kernels: o.kernels, name: o.name, outDir: o.output, force: o.force === true, modelName, qdq: true, source,
        strictBudget: o.strictBudget === true, warn: (line) => io.err(`warning: ${line}\n`),
      });
      if (!o.measure) return formatReport(report);
      const measured = await measureFolder(o.output, o.name);
      writeFileSync(join(o.output, `${o.name}_report.json`), JSON.stringify(withMeasured(report, measured), null, 2) + '\n');
      return formatReport(report) + formatMeasured(measured);
    },
  },
  wasm: {
    check: (t, o, kernelsGiven) => {
      if (o.measure) throw new CompileError(ErrorCode.BadInput, '--measure is an option of C (mcu) targets', {}, `Drop --measure for --target ${t.name}; qgc verify times the modules.`);
      if (o.strictBudget) throw new CompileError(ErrorCode.BadInput, '--strict-budget checks the memory of a C target\'s part; wasm targets have none', {}, `Drop --strict-budget for --target ${t.name}.`);
      if (kernelsGiven) throw new CompileError(ErrorCode.BadInput, '--kernels chooses the kernel provider of a C target; wasm targets have one', {}, `Drop --kernels for --target ${t.name}.`);
    },
    // binaryen (several MB of JS) loads only when a Wasm module is built.
    run: async ({ target, graph, o, modelName }) => {
      const { compileWasm } = await import('../backends/wasm/emit.js');
      return formatWasmReport(compileWasm(graph, { target, name: o.name, outDir: o.output, force: o.force === true, modelName, embed: o.embed === true }).report);
    },
  },
  webgpu: {
    check: (t, o, kernelsGiven) => {
      if (kernelsGiven) throw new CompileError(ErrorCode.BadInput, '--kernels chooses the kernel provider of a C target; webgpu targets have one', {}, `Drop --kernels for --target ${t.name}.`);
      if (o.embed) throw new CompileError(ErrorCode.BadInput, '--embed is an option of wasm targets', {}, `Drop --embed for --target ${t.name}.`);
      if (o.measure) throw new CompileError(ErrorCode.BadInput, '--measure is an option of C (mcu) targets', {}, `Drop --measure for --target ${t.name}; qgc verify times the shaders.`);
      if (o.strictBudget) throw new CompileError(ErrorCode.BadInput, '--strict-budget checks the memory of a C target\'s part; webgpu targets have none', {}, `Drop --strict-budget for --target ${t.name}.`);
    },
    run: async ({ target, graph, o, modelName }) => {
      const { compileWebgpu } = await import('../backends/webgpu/emit.js');
      const { formatWebgpuReport } = await import('../backends/webgpu/report.js');
      return formatWebgpuReport(compileWebgpu(graph, { target, name: o.name, outDir: o.output, force: o.force === true, modelName, qdq: true }).report);
    },
  },
};

function backendOf<K extends TargetKind>(target: TargetOf<K>): Backend<K> {
  return BACKENDS[target.kind] as unknown as Backend<K>;
}

/** Adds the `compile` command to the qgc program. */
export function registerCompile(program: Command, io: CompileIo): Command {
  return program
    .command('compile')
    .description('compile a model for a target: C for a Cortex-M target (<name>.h/.c, <name>_weights.c, CMake and Make glue), WebAssembly for a wasm target (<name>.wasm, <name>.scalar.wasm, the <name>.js loader), or WGSL for a webgpu target (<name>.<family>.wgsl shaders, <name>.weights.bin, the <name>.js loader); and a report')
    .argument('<model>', 'path to a .onnx file: a float model (with --calib) or an already quantized QDQ model')
    .requiredOption('--target <target>', 'target name from targets/ (cortex-m4, cortex-m55, ..., wasm, wasm-scalar, webgpu) or a target .json file')
    .requiredOption('-o, --output <dir>', 'output folder (new, empty, or written by qgc before; see --force)')
    .addOption(new Option('--kernels <provider>', 'kernel provider of a C target').choices(['cmsis-nn', 'portable']).default('cmsis-nn'))
    .option('--embed', 'wasm targets: inline the modules as base64 in <name>.js (for bundlers)')
    .option('--measure', 'C targets: build the folder for the target with arm-none-eabi-gcc, run it once under QEMU, and add the stack high-water mark, code size and instructions to the report')
    .option('--strict-budget', "C targets: fail (QGC1220) instead of warning when the weights exceed the part's flash or the arena + stack its SRAM")
    .option('--name <name>', 'C prefix and file base name of the network', 'net')
    .option('--force', 'write into a folder that holds files qgc did not write: they are kept, except files named like one qgc writes, which are replaced')
    .addOption(new Option('--calib <path>', 'calibration data for a float model: a .npy file (float32 samples along axis 0), a TensorProto .pb, or a folder of them; NAME=path per input (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--calib-method <method>', 'how activation ranges are chosen from the calibration histograms').choices(['minmax', 'percentile', 'mse']).default('minmax'))
    .option('--percentile <p>', 'share of values kept by --calib-method percentile', '99.99')
    .option('--per-tensor', 'one weight scale per tensor instead of one per output channel')
    .addOption(new Option('--float-nodes <names>', 'keep these nodes (comma-separated names, as qgc inspect prints them) in float between int8 layers (repeatable)').argParser(collect).default([]))
    .option('--int8-only', 'refuse ops without an int8 kernel instead of running them in float')
    .addOption(bitsOption())
    .option('--threads <n>', 'worker threads for calibration (default: every core for a large network, else 1); the result is the same for any number')
    .addOption(roundingOption())
    .addOption(new Option('--input-shape <name=dims>', 'set an input shape, e.g. input=1x1x28x28 (repeatable); a symbolic batch dim is 1, other symbolic dims must be set').argParser(collect).default([]))
    .action(async (model: string, o: CompileCliOptions, cmd: Command) => {
      const target: AnyTarget = loadAnyTarget(o.target); // a bad target fails before the (slow) calibration
      const kernelsGiven = cmd.getOptionValueSource('kernels') === 'cli';
      const backend = backendOf(target);
      backend.check(target, o, kernelsGiven);
      // The name and the folder too: a mistake there should not wait for the calibration.
      requireNetName(o.name);
      checkOutputDir(o.output, o.force === true);
      const explicit = parseInputShapes(o.inputShape);
      const { graph: imported } = loadModel(model, { shapesFor: (proto) => requireStaticDims(proto, explicit) });
      const { graph, warnings } = int8GraphFor(imported, o, io.progress ?? { write: io.err }, { target }, 'compile');
      for (const w of warnings) io.err(`warning: ${w}\n`);
      const source = { modelBytes: readFileSync(model), options: shapingOptions(imported, o) };
      io.out(await backend.run({ target, graph, o, kernelsGiven, modelName: basename(model), source, io }));
    });
}

/** The options besides target, kernels and name that decide the compiled graph, for the model
 * hash: calibration (method, percentile, weight scales, the SHA-256 of every data file per
 * input) and the input shapes. */
function shapingOptions(imported: Graph, o: CompileCliOptions): Record<string, unknown> {
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const calib = o.calib.length === 0 ? {} : Object.fromEntries([...openCalibration(imported, o.calib).files].map(([input, files]) => [input, files.map(sha256)]));
  return { calib, calibMethod: o.calibMethod ?? 'minmax', percentile: String(o.percentile ?? ''), perTensor: o.perTensor === true, inputShape: [...o.inputShape].sort() };
}

/**
 * `qgc compile model.onnx --target cortex-m4 [--calib calib.npy] [--kernels cmsis-nn|portable]
 * [--name net] [--force] [--embed] -o out/`: a float model is quantized in memory on the
 * calibration data, a QDQ/QOperator model is lowered as it is; the quantized graph goes to the
 * backend of the target's kind (mcu: C; wasm: WebAssembly), which writes its files and
 * `<name>_report.json`, and the report is printed.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { compileC, type KernelsOption } from '../backends/c/emit.js';
import { formatReport } from '../backends/c/report.js';
import { formatWasmReport } from '../backends/wasm/report.js';
import { CompileError, ErrorCode } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { loadModel } from '../onnx/load.js';
import { loadAnyTarget, type AnyTarget, type TargetKind, type TargetOf } from '../targets/target.js';
import { requireStaticDims } from './data-shapes.js';
import { collect, parseInputShapes } from './options.js';
import type { ProgressStream } from './progress.js';
import { int8GraphFor, type CalibCliOptions } from './quantize.js';

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
}

/** What a backend gets from the command line: the options and whether --kernels was given. */
interface BackendRun<K extends TargetKind> {
  target: TargetOf<K>;
  graph: Graph;
  o: CompileCliOptions;
  kernelsGiven: boolean;
  modelName: string;
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
    run: ({ target, graph, o, modelName }) =>
      formatReport(compileC(graph, { target, kernels: o.kernels, name: o.name, outDir: o.output, force: o.force === true, modelName, qdq: true }).report),
  },
  wasm: {
    check: (t, _o, kernelsGiven) => {
      if (kernelsGiven) throw new CompileError(ErrorCode.BadInput, '--kernels chooses the kernel provider of a C target; wasm targets have one', {}, `Drop --kernels for --target ${t.name}.`);
    },
    // binaryen (several MB of JS) loads only when a Wasm module is built.
    run: async ({ target, graph, o, modelName }) => {
      const { compileWasm } = await import('../backends/wasm/emit.js');
      return formatWasmReport(compileWasm(graph, { target, name: o.name, outDir: o.output, force: o.force === true, modelName, embed: o.embed === true }).report);
    },
  },
  webgpu: {
    check: (t) => {
      throw new CompileError(ErrorCode.BadInput,
        `target ${t.name} is of kind webgpu: the C backend compiles for kind mcu targets and the Wasm backend for kind wasm targets; kind webgpu has no backend yet`,
        { file: t.file }, 'Use a Cortex-M or wasm target.');
    },
    run: () => '',
  },
};

function backendOf<K extends TargetKind>(target: TargetOf<K>): Backend<K> {
  return BACKENDS[target.kind] as unknown as Backend<K>;
}

/** Adds the `compile` command to the qgc program. */
export function registerCompile(program: Command, io: CompileIo): Command {
  return program
    .command('compile')
    .description('compile a model for a target: C for a Cortex-M target (<name>.h/.c, <name>_weights.c, CMake and Make glue), or WebAssembly for a wasm target (<name>.wasm, <name>.scalar.wasm, the <name>.js loader); and a report')
    .argument('<model>', 'path to a .onnx file: a float model (with --calib) or an already quantized QDQ model')
    .requiredOption('--target <target>', 'target name from targets/ (cortex-m4, cortex-m55, ..., wasm, wasm-scalar) or a target .json file')
    .requiredOption('-o, --output <dir>', 'output folder (new, empty, or written by qgc before; see --force)')
    .addOption(new Option('--kernels <provider>', 'kernel provider of a C target').choices(['cmsis-nn', 'portable']).default('cmsis-nn'))
    .option('--embed', 'wasm targets: inline the modules as base64 in <name>.js (for bundlers)')
    .option('--name <name>', 'C prefix and file base name of the network', 'net')
    .option('--force', 'write into a folder that holds other files (they are kept)')
    .addOption(new Option('--calib <path>', 'calibration data for a float model: a .npy file (float32 samples along axis 0), a TensorProto .pb, or a folder of them; NAME=path per input (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--calib-method <method>', 'how activation ranges are chosen from the calibration histograms').choices(['minmax', 'percentile', 'mse']).default('minmax'))
    .option('--percentile <p>', 'share of values kept by --calib-method percentile', '99.99')
    .option('--per-tensor', 'one weight scale per tensor instead of one per output channel')
    .addOption(new Option('--float-nodes <names>', 'keep these nodes (comma-separated names, as qgc inspect prints them) in float between int8 layers (repeatable)').argParser(collect).default([]))
    .option('--int8-only', 'refuse ops without an int8 kernel instead of running them in float')
    .addOption(new Option('--input-shape <name=dims>', 'set an input shape, e.g. input=1x1x28x28 (repeatable); a symbolic batch dim is 1, other symbolic dims must be set').argParser(collect).default([]))
    .action(async (model: string, o: CompileCliOptions, cmd: Command) => {
      const target: AnyTarget = loadAnyTarget(o.target); // a bad target fails before the (slow) calibration
      const kernelsGiven = cmd.getOptionValueSource('kernels') === 'cli';
      const backend = backendOf(target);
      backend.check(target, o, kernelsGiven);
      const explicit = parseInputShapes(o.inputShape);
      const { graph: imported } = loadModel(model, { shapesFor: (proto) => requireStaticDims(proto, explicit) });
      const { graph, warnings } = int8GraphFor(imported, o, io.progress ?? { write: io.err }, { target });
      for (const w of warnings) io.err(`warning: ${w}\n`);
      io.out(await backend.run({ target, graph, o, kernelsGiven, modelName: basename(model) }));
    });
}

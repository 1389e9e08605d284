/**
 * `qgc compile model.onnx --target cortex-m4 [--calib calib.npy] [--kernels cmsis-nn|portable]
 * [--name net] [--force] -o out/`: a float model is quantized in memory on the calibration data,
 * a QDQ/QOperator model is lowered as it is; the quantized graph goes to the C backend, which
 * writes the network's C, its build glue and `<name>_report.json`, and the report is printed.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { compileC, type KernelsOption } from '../backends/c/emit.js';
import { formatReport } from '../backends/c/report.js';
import { loadModel } from '../onnx/load.js';
import { loadTarget } from '../targets/target.js';
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
}

/** Adds the `compile` command to the qgc program. */
export function registerCompile(program: Command, io: CompileIo): Command {
  return program
    .command('compile')
    .description('compile a model to C for a Cortex-M target: <name>.h/.c, <name>_weights.c, CMake and Make glue, a report')
    .argument('<model>', 'path to a .onnx file: a float model (with --calib) or an already quantized QDQ model')
    .requiredOption('--target <target>', 'target name from targets/ (cortex-m4, cortex-m55, ...) or a target .json file')
    .requiredOption('-o, --output <dir>', 'output folder (new, empty, or written by qgc before; see --force)')
    .addOption(new Option('--kernels <provider>', 'kernel provider').choices(['cmsis-nn', 'portable']).default('cmsis-nn'))
    .option('--name <name>', 'C prefix and file base name of the network', 'net')
    .option('--force', 'write into a folder that holds other files (they are kept)')
    .addOption(new Option('--calib <path>', 'calibration data for a float model: a .npy file (float32 samples along axis 0), a TensorProto .pb, or a folder of them; NAME=path per input (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--calib-method <method>', 'how activation ranges are chosen from the calibration histograms').choices(['minmax', 'percentile', 'mse']).default('minmax'))
    .option('--percentile <p>', 'share of values kept by --calib-method percentile', '99.99')
    .option('--per-tensor', 'one weight scale per tensor instead of one per output channel')
    .addOption(new Option('--input-shape <name=dims>', 'set an input shape, e.g. input=1x1x28x28 (repeatable); a symbolic batch dim is 1, other symbolic dims must be set').argParser(collect).default([]))
    .action((model: string, o: CompileCliOptions) => {
      const target = loadTarget(o.target); // a bad target fails before the (slow) calibration
      const explicit = parseInputShapes(o.inputShape);
      const { graph: imported } = loadModel(model, { shapesFor: (proto) => requireStaticDims(proto, explicit) });
      const { graph, warnings } = int8GraphFor(imported, o, io.progress ?? { write: io.err }, { target });
      for (const w of warnings) io.err(`warning: ${w}\n`);
      const { report } = compileC(graph, { target, kernels: o.kernels, name: o.name, outDir: o.output, force: o.force === true, modelName: basename(model), qdq: true });
      io.out(formatReport(report));
    });
}

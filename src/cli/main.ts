/** The `qgc` command line. Every user error prints one line and exits with code 2. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CompileError, ErrorCode } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import type { ModelProto } from '../onnx/proto.js';
import { registerCompile } from './compile.js';
import { formatInspect, inspectGraph } from './inspect.js';
import { shapesFromData } from './data-shapes.js';
import { collect, parseInputShapes } from './options.js';
import type { ProgressStream } from './progress.js';
import { bitsOption, formatQuantizedLayers, inspectQuantized, int8GraphFor, quantizeToFile, roundingOption, type CalibCliOptions } from './quantize.js';
import { readFeeds, runModel, summarize, writeOutputs } from './run.js';
import { registerVerify } from './verify.js';
import { terminalSafe, terminalSafeLines } from './terminal-text.js';

export const EXIT_USER_ERROR = 2;

/** The version in qgc's package.json (the same relative path from src/ and dist/). */
function qgcVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
/** Internal errors (qgc bugs) exit with the same code: scripts need only check for non-zero. */
export const EXIT_INTERNAL_ERROR = 2;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function inputShapeOption(): Option {
  return new Option('--input-shape <name=dims>', 'set an input shape, e.g. input=1x1x28x28 (repeatable); otherwise symbolic dims come from the data given, and a symbolic batch is 1')
    .argParser(collect)
    .default([]);
}

/** --calib, --calib-method, --percentile, --per-tensor, --bits, --threads, --float-nodes and --int8-only,
 * shared by quantize, run and inspect. */
function calibOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--calib <path>', 'calibration data: a .npy file (float32 samples along axis 0), a TensorProto .pb, or a folder of them; NAME=path per input for several inputs (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--calib-method <method>', 'how activation ranges are chosen from the calibration histograms').choices(['minmax', 'percentile', 'mse']).default('minmax'))
    .option('--percentile <p>', 'share of values kept by --calib-method percentile', '99.99')
    .option('--per-tensor', 'one weight scale per tensor instead of one per output channel')
    .addOption(bitsOption())
    .option('--threads <n>', 'worker threads for calibration (default: every core for a large network, else 1); the result is the same for any number')
    .addOption(new Option('--float-nodes <names>', 'keep these nodes (comma-separated names) in float between int8 layers (repeatable)').argParser(collect).default([]))
    .option('--int8-only', 'refuse ops without an int8 kernel instead of running them in float');
}

export function buildProgram(io: Io): Command {
  // The progress bar draws only on a real terminal; tests' captured stderr never is one.
  const stream: ProgressStream = io === defaultIo ? process.stderr : { write: io.err };
  // Symbolic dims not set by --input-shape are taken from the data files' shapes (data-shapes.ts).
  const bindFrom = (inputShape: readonly string[], specs: readonly string[]) => {
    const explicit = parseInputShapes(inputShape);
    return (proto: ModelProto) => shapesFromData(proto, explicit, specs, (line) => io.err(terminalSafe(line.trimEnd()) + '\n'));
  };
  const warn = (warnings: readonly string[]) => warnings.forEach((w) => io.err(`warning: ${terminalSafe(w)}\n`));
  const program = new Command('qgc')
    .description('Ahead-of-time compiler for quantized neural networks (ONNX in; C, Wasm, WGSL out).')
    .version(qgcVersion(), '-V, --version', 'print the qgc version')
    .option('--debug', 'print stack traces of errors')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  calibOptions(program
    .command('inspect')
    .description('list ops, tensors, shapes, parameters and MACs of an ONNX model')
    .argument('<model>', 'path to a .onnx file')
    .addOption(inputShapeOption())
    .addOption(new Option('--input <[name=]file.npy>', 'input data whose shape sets the model\'s symbolic dims (repeatable; name= for models with several inputs)').argParser(collect).default([]))
    .option('--graph', 'also print the IR graph as text')
    .option('--json', 'print the report as JSON')
    .option('--quantized', 'list the int8 layers instead: scales, zero points, bit-widths and (float models, with --calib) SQNR against float'))
    .action((model: string, o: CalibCliOptions & { inputShape: string[]; input: string[]; graph?: boolean; json?: boolean; quantized?: boolean }) => {
      const { graph } = loadModel(model, { shapesFor: bindFrom(o.inputShape, o.input.length > 0 ? o.input : o.calib) });
      if (o.quantized) {
        const r = inspectQuantized(graph, o, stream);
        io.out(o.json ? JSON.stringify(r.layers, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n' : formatQuantizedLayers(r.layers, r.note));
        return;
      }
      if (o.calib.length > 0) throw new CompileError(ErrorCode.BadInput, '--calib is only used with --quantized', {}, 'Add --quantized to list the int8 layers.');
      const report = inspectGraph(graph);
      io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report, graph, o.graph === true));
    });

  calibOptions(program
    .command('run')
    .description('run an ONNX model on .npy inputs with the reference interpreter')
    .argument('<model>', 'path to a .onnx file')
    .addOption(new Option('--input <[name=]file.npy>', 'input data (repeatable; name= needed for models with several inputs). A leading batch larger than the model\'s runs sample by sample').argParser(collect).default([]))
    .addOption(new Option('--output <[name=]file.npy>', 'write an output to a .npy file (repeatable)').argParser(collect).default([]))
    .addOption(inputShapeOption())
    .option('--int', 'run the integer (int8) interpreter: on a QDQ/QOperator model as it is, on a float model after quantizing it with --calib'))
    .action((model: string, o: CalibCliOptions & { input: string[]; output: string[]; inputShape: string[]; int?: boolean }) => {
      if (o.input.length === 0) throw new CompileError(ErrorCode.BadInput, 'no --input given', {}, 'Pass --input file.npy.');
      let { graph } = loadModel(model, { shapesFor: bindFrom(o.inputShape, o.input) });
      if (o.int) {
        const q = int8GraphFor(graph, o, stream);
        warn(q.warnings);
        graph = q.graph;
      } else if (o.calib.length > 0) {
        throw new CompileError(ErrorCode.BadInput, '--calib is only used with --int', {}, 'Add --int to quantize the model and run it in int8.');
      }
      const results = runModel(graph, readFeeds(graph, o.input));
      writeOutputs(graph, results, o.output);
      io.out(summarize(results));
    });

  calibOptions(program
    .command('quantize')
    .description('quantize a float ONNX model to int8 with calibration data and write it as QDQ ONNX')
    .argument('<model>', 'path to a float .onnx file')
    .requiredOption('-o, --output <file>', 'the .onnx file to write (written only when everything succeeded)')
    .addOption(roundingOption())
    .addOption(inputShapeOption()))
    .action((model: string, o: CalibCliOptions & { output: string; inputShape: string[] }) => {
      if (o.calib.length === 0) throw new CompileError(ErrorCode.BadInput, 'no --calib given', {}, 'Pass --calib calib.npy (float32 samples along axis 0).');
      const { graph } = loadModel(model, { shapesFor: bindFrom(o.inputShape, o.calib) });
      const r = quantizeToFile(graph, o, o.output, stream);
      warn(r.warnings);
      io.out(r.summary);
    });

  registerCompile(program, { out: io.out, err: io.err, progress: stream });
  registerVerify(program, io);

  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return e.exitCode === 0 ? 0 : EXIT_USER_ERROR;
    }
    // VerifyError is a CompileError too. Names and paths in the text come from the user's files:
    // their control characters are printed escaped.
    if (e instanceof CompileError) {
      io.err(terminalSafe(e.format()) + '\n');
      if (debug && e.stack) io.err(terminalSafeLines(e.stack) + '\n');
      return EXIT_USER_ERROR;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`internal error ${ErrorCode.Internal}: ${terminalSafe(err.message.split('\n')[0])} (this is a qgc bug; rerun with --debug for the stack and report it)\n`);
    if (debug && err.stack) io.err(terminalSafeLines(err.stack) + '\n');
    return EXIT_INTERNAL_ERROR;
  }
}

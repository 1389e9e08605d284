/** The `qgc` command line. Every user error prints one line and exits with code 2. */
import { Command, CommanderError, Option } from 'commander';
import { CompileError, ErrorCode } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import { formatInspect, inspectGraph } from './inspect.js';
import { collect, parseInputShapes } from './options.js';
import { readFeeds, runModel, summarize, writeOutputs } from './run.js';

export const EXIT_USER_ERROR = 2;
/** Internal errors (qgc bugs) exit with the same code: scripts need only check for non-zero. */
export const EXIT_INTERNAL_ERROR = 2;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function inputShapeOption(): Option {
  return new Option('--input-shape <name=dims>', 'set an input shape, e.g. input=1x1x28x28 (repeatable); symbolic dims default to 1')
    .argParser(collect)
    .default([]);
}

export function buildProgram(io: Io): Command {
  const program = new Command('qgc')
    .description('Ahead-of-time compiler for quantized neural networks (ONNX in; C, Wasm, WGSL out).')
    .option('--debug', 'print stack traces of errors')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('inspect')
    .description('list ops, tensors, shapes, parameters and MACs of an ONNX model')
    .argument('<model>', 'path to a .onnx file')
    .addOption(inputShapeOption())
    .option('--graph', 'also print the IR graph as text')
    .option('--json', 'print the report as JSON')
    .action((model: string, o: { inputShape: string[]; graph?: boolean; json?: boolean }) => {
      const { graph } = loadModel(model, { inputShapes: parseInputShapes(o.inputShape) });
      const report = inspectGraph(graph);
      io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report, graph, o.graph === true));
    });

  program
    .command('run')
    .description('run an ONNX model on .npy inputs with the reference interpreter')
    .argument('<model>', 'path to a .onnx file')
    .addOption(new Option('--input <[name=]file.npy>', 'input data (repeatable; name= needed for models with several inputs). A leading batch larger than the model\'s runs sample by sample').argParser(collect).default([]))
    .addOption(new Option('--output <[name=]file.npy>', 'write an output to a .npy file (repeatable)').argParser(collect).default([]))
    .addOption(inputShapeOption())
    .action((model: string, o: { input: string[]; output: string[]; inputShape: string[] }) => {
      if (o.input.length === 0) throw new CompileError(ErrorCode.BadInput, 'no --input given', {}, 'Pass --input file.npy.');
      const { graph } = loadModel(model, { inputShapes: parseInputShapes(o.inputShape) });
      const results = runModel(graph, readFeeds(graph, o.input));
      writeOutputs(graph, results, o.output);
      io.out(summarize(results));
    });

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
    if (e instanceof CompileError) {
      io.err(e.format() + '\n');
      if (debug && e.stack) io.err(e.stack + '\n');
      return EXIT_USER_ERROR;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`internal error ${ErrorCode.Internal}: ${err.message.split('\n')[0]} (this is a qgc bug; rerun with --debug for the stack and report it)\n`);
    if (debug && err.stack) io.err(err.stack + '\n');
    return EXIT_INTERNAL_ERROR;
  }
}

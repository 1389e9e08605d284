/** `qgc run`: runs a model on .npy inputs with the reference interpreter. */
import { CompileError, ErrorCode } from '../errors.js';
import { getNumber } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { runBatched } from '../interp/batch.js';
import type { Value } from '../interp/types.js';
import { readFeeds as readNamedFeeds } from '../io/feeds.js';
import { writeNpy } from '../io/npy.js';

/** Maps `--input` values (`file.npy` or `name=file.npy`) to graph inputs. */
export function readFeeds(graph: Graph, specs: readonly string[]): Map<string, Value> {
  return readNamedFeeds(graph.inputs, specs, '--input');
}

export function runModel(graph: Graph, feeds: ReadonlyMap<string, Value>): Map<string, Value> {
  return runBatched(graph, feeds);
}

/** Writes outputs: with one output `--output y.npy`; with several, `--output name=file.npy` each. */
export function writeOutputs(graph: Graph, results: ReadonlyMap<string, Value>, specs: readonly string[]): void {
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && graph.outputs.includes(spec.slice(0, eq));
    const name = named ? spec.slice(0, eq) : graph.outputs.length === 1 ? graph.outputs[0] : undefined;
    if (name === undefined) {
      throw new CompileError(ErrorCode.BadInput, `the model has ${graph.outputs.length} outputs; name the one to write`, {},
        `Use --output NAME=file.npy with one of: ${graph.outputs.join(', ')}.`);
    }
    writeNpy(named ? spec.slice(eq + 1) : spec, results.get(name)!);
  }
}

/** A short human summary of each output (shape, range, argmax of the first row). */
export function summarize(results: ReadonlyMap<string, Value>): string {
  const lines: string[] = [];
  for (const [name, v] of results) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < v.data.length; i++) {
      const x = getNumber(v.data, i);
      if (x < min) min = x;
      if (x > max) max = x;
    }
    let line = `${name}: ${v.dtype}[${v.shape.join('x')}] min ${fmt(min)} max ${fmt(max)}`;
    if (v.shape.length === 2 && v.shape[1] > 1) {
      const rows = v.shape[0];
      const cols = v.shape[1];
      const arg: number[] = [];
      for (let r = 0; r < Math.min(rows, 16); r++) {
        let best = 0;
        for (let c = 1; c < cols; c++) if (getNumber(v.data, r * cols + c) > getNumber(v.data, r * cols + best)) best = c;
        arg.push(best);
      }
      line += `\n  argmax per row: ${arg.join(' ')}${rows > 16 ? ' ...' : ''}`;
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

/** The fusion matcher (src/passes/fusion.ts) on small graphs: declarative rows, the
 * single-consumer and graph-output conditions, predicates, `via`, one fusion per producer per
 * run and the fixpoint for chains; and the rows the passes and lowerQdq use. */
import { describe, expect, it } from 'vitest';
import type { Graph, Node, Tensor } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { activationFusion } from '../src/passes/fuse-activation.js';
import { fuseBias } from '../src/passes/fuse-bias.js';
import { fuseToFixpoint, fusionRow, runFusions } from '../src/passes/fusion.js';
import { tinyGraph } from './support/tiny-graphs.js';

const t = (name: string, shape: number[], data?: Float32Array): Tensor => ({ name, dtype: 'float32', shape, ...(data ? { data } : {}) });
const conv = (out: string): Node => ({ name: 'conv', op: 'Conv', inputs: ['x', 'w'], outputs: [out], attrs: { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 } });
const relu = (name: string, x: string, y: string): Node => ({ name, op: 'Relu', inputs: [x], outputs: [y], attrs: {} });
const clip = (name: string, x: string, y: string, max: number): Node => ({ name, op: 'Clip', inputs: [x], outputs: [y], attrs: { min: -Infinity, max } });

/** x → Conv → a → Relu → b → Clip(6) → y, with `extra` nodes and outputs. */
function chain(extra: Node[] = [], outputs = ['y']): Graph {
  const shape = [1, 2, 2, 2];
  return tinyGraph([t('x', shape), t('w', [2, 2, 1, 1], Float32Array.of(1, 0, 0, 1)), t('a', shape), t('b', shape), t('y', shape), t('z', shape)],
    [conv('a'), relu('relu', 'a', 'b'), clip('clip', 'b', 'y', 6), ...extra], ['x'], outputs);
}

const clampRow = activationFusion(['Conv', 'Relu']);

describe('fusion matcher', () => {
  it('Conv → Relu ⇒ Conv{clamp}: the producer takes the consumer\'s output, the consumer and its input tensor go', () => {
    const { graph, changed } = runFusions(chain(), [activationFusion(['Conv'])]);
    expect(changed).toBe(true);
    expect(graph.nodes.map((n) => `${n.op}:${n.outputs[0]}`)).toEqual(['Conv:b', 'Clip:y']);
    expect(graph.nodes[0].clamp).toEqual({ min: 0, max: Infinity });
    expect(graph.tensors.has('a')).toBe(false);
  });

  it('fuses one pair per producer per run; the fixpoint folds a chain into one clamp', () => {
    const once = runFusions(chain(), [activationFusion(['Conv'])]).graph;
    expect(once.nodes.map((n) => n.op)).toEqual(['Conv', 'Clip']);
    const all = fuseToFixpoint(chain(), [activationFusion(['Conv'])]);
    expect(all.nodes.map((n) => n.op)).toEqual(['Conv']);
    expect(all.nodes[0].clamp).toEqual({ min: 0, max: 6 });
    expect(all.nodes[0].outputs).toEqual(['y']);
  });

  it('leaves a producer whose output has a second consumer or is a graph output', () => {
    const shared = chain([relu('relu2', 'a', 'z')], ['y', 'z']);
    expect(runFusions(shared, [activationFusion(['Conv'])]).changed).toBe(false);
    const exposed = chain([], ['y', 'a']);
    expect(runFusions(exposed, [activationFusion(['Conv'])]).changed).toBe(false);
  });

  it('matches only the listed producer ops, and a rewrite returning undefined leaves the pair', () => {
    expect(printGraph(runFusions(chain(), [activationFusion(['Gemm'])]).graph)).toBe(printGraph(chain()));
    const dynamicClip = chain();
    dynamicClip.nodes[2] = { ...dynamicClip.nodes[2], inputs: ['b', 'x'] } as Node; // min computed at run time
    const r = runFusions(dynamicClip, [clampRow]).graph;
    expect(r.nodes.map((n) => n.op)).toEqual(['Conv', 'Clip']);
  });

  it('checks the predicate and reads the input `via` names', () => {
    const seen: number[] = [];
    const row = fusionRow({
      name: 'probe',
      producer: ['Conv'] as const,
      consumer: ['Add'] as const,
      via: 'any',
      when: (m) => (seen.push(m.input), m.input === 1),
      rewrite: (m) => ({ ...m.producer, name: 'fused' }),
    });
    const shape = [1, 2, 2, 2];
    const g = tinyGraph([t('x', shape), t('w', [2, 2, 1, 1], Float32Array.of(1, 0, 0, 1)), t('a', shape), t('k', shape, new Float32Array(8)), t('y', shape)],
      [conv('a'), { name: 'add', op: 'Add', inputs: ['k', 'a'], outputs: ['y'], attrs: {} }], ['x'], ['y']);
    const r = runFusions(g, [row]).graph;
    expect(seen).toEqual([1]); // input 0 ('k') has no producer, so the predicate never sees it
    expect(r.nodes.map((n) => `${n.name}:${n.outputs[0]}`)).toEqual(['fused:y']);
    expect(runFusions(g, [{ ...row, via: 'first' }]).changed).toBe(false);
  });

  it('Conv → Add(per-channel const) ⇒ Conv{bias} (fuse-bias row)', () => {
    const shape = [1, 2, 2, 2];
    const g = tinyGraph([t('x', shape), t('w', [2, 2, 1, 1], Float32Array.of(1, 0, 0, 1)), t('a', shape), t('k', [1, 2, 1, 1], Float32Array.of(0.5, -1)), t('y', shape)],
      [conv('a'), { name: 'add', op: 'Add', inputs: ['a', 'k'], outputs: ['y'], attrs: {} }], ['x'], ['y']);
    const r = fuseBias.run(g, {});
    expect(r.nodes.map((n) => `${n.op}(${n.inputs.join(',')}):${n.outputs[0]}`)).toEqual(['Conv(x,w,conv_bias):y']);
    expect(Array.from(r.tensors.get('conv_bias')!.data as Float32Array)).toEqual([0.5, -1]);
  });
});

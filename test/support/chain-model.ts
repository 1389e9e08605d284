/** A generated chain of `blocks` residual blocks, five ONNX nodes each (two Identity nodes of
 * the shared weight and bias, as torch emits for shared parameters; 1x1 Conv; Relu; Add of the
 * block's input), on a [1, 4, 4, 4] input: a long graph of small tensors, to time how compile
 * scales with nodes. */
import type { Graph } from '../../src/ir/graph.js';
import { loadModelBytes } from '../../src/onnx/load.js';
import { encode, init } from './qdq-models.js';
import { valueInfo } from '../../src/onnx/export-proto.js';

const C = 4;

export function chainModel(blocks: number): Uint8Array {
  const w = new Float32Array(C * C);
  for (let i = 0; i < w.length; i++) w[i] = (((i * 37) % 11) - 5) / 8000; // small, so 2,500 residual adds stay finite
  const nodes: object[] = [];
  let x = 'input';
  for (let b = 0; b < blocks; b++) {
    nodes.push({ name: `id${b}`, opType: 'Identity', input: ['w'], output: [`w${b}`] });
    nodes.push({ name: `idb${b}`, opType: 'Identity', input: ['bias'], output: [`b${b}`] });
    nodes.push({ name: `conv${b}`, opType: 'Conv', input: [x, `w${b}`, `b${b}`], output: [`c${b}`], attribute: [] });
    nodes.push({ name: `relu${b}`, opType: 'Relu', input: [`c${b}`], output: [`r${b}`] });
    nodes.push({ name: `add${b}`, opType: 'Add', input: [`r${b}`, x], output: [`x${b}`] });
    x = `x${b}`;
  }
  nodes.push({ name: 'out', opType: 'Identity', input: [x], output: ['output'] });
  return encode(nodes, [init('w', 'float32', [C, C, 1, 1], w), init('bias', 'float32', [C], new Float32Array([0.001, -0.002, 0.003, 0]))],
    [valueInfo('input', 'float32', [1, C, 4, 4])], [valueInfo('output', 'float32', [1, C, 4, 4])]);
}

export const chainGraph = (blocks: number): Graph => loadModelBytes(chainModel(blocks)).graph;

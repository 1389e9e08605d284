/** The IR graph as JSON (src/ir/serialize.ts): the quantized graphs of the examples, a QDQ model
 * and every hand-made backend graph come back exactly (printed IR, data, interpreter output, and
 * the same JSON text again); values JSON has no literal for survive; and malformed documents are
 * refused with a CompileError naming the file, the JSON path and what is wrong. */
import { describe, expect, it } from 'vitest';
import { int8GraphFor } from '../src/cli/quantize.js';
import { CompileError, ErrorCode } from '../src/errors.js';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { graphFromJson, graphToJson } from '../src/ir/serialize.js';
import { readNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { reference, samplesOf } from '../src/verify/reference.js';
import { ALL_CASES, cnn } from './support/c-graphs.js';
import { availableExamples } from './support/examples.js';

const FILE = 'out/net_schedule.json';

/** Writes `g` as JSON text, reads it back, and checks it is the same graph. */
function roundTrip(g: Graph): Graph {
  const text = JSON.stringify(graphToJson(g));
  const back = graphFromJson(JSON.parse(text), FILE);
  expect(printGraph(back)).toBe(printGraph(g));
  expect(back).toStrictEqual(g);
  expect(JSON.stringify(graphToJson(back)), 'the same text again').toBe(text);
  return back;
}

describe('graphToJson / graphFromJson round trip', () => {
  for (const ex of availableExamples()) {
    it(`${ex.name}: the quantized graph, its data, and the interpreter's int8 output`, () => {
      const { graph } = int8GraphFor(loadModel(ex.model).graph, { calib: [`${ex.dir}/calib.npy`] });
      const back = roundTrip(graph);
      const x = readNpy(`${ex.dir}/test_x.npy`);
      const want = reference(graph, samplesOf(graph, x, 8));
      const got = reference(back, samplesOf(back, x, 8));
      expect(got.out8).toEqual(want.out8);
      expect(got.outF).toEqual(want.outF);
    }, 120_000);
  }

  it('a QDQ model with uint8 activations (test/data/qdq-uint8.onnx), lowered', () => {
    roundTrip(lowerQdq(loadModel('test/data/qdq-uint8.onnx').graph));
  });

  it('every hand-made backend graph (test/support/c-graphs.ts)', () => {
    for (const c of ALL_CASES) roundTrip(c().graph);
  });

  it('float graphs with values JSON has no literal for, 64-bit and 16-bit data, and omitted inputs', () => {
    const g: Graph = {
      name: 'special "names" \u00e9', opset: 13, inputs: ['x'], outputs: ['z'],
      tensors: new Map([
        ['x', { name: 'x', dtype: 'float32', shape: [2, 3] }],
        ['lo', { name: 'lo', dtype: 'float16', shape: [], data: new Float32Array([-0]) }],
        ['i64', { name: 'i64', dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) }],
        ['u64', { name: 'u64', dtype: 'uint64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) }],
        ['b', { name: 'b', dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
        ['y', { name: 'y', dtype: 'float32', shape: [2, 3] }],
        ['z', { name: 'z', dtype: 'float32', shape: [2, 3] }],
        ['w', { name: 'w', dtype: 'int8', shape: [3, 1], data: new Int8Array([-128, 0, 127]), quant: { scale: new Float32Array([0.5, 1e-30, 3]), zeroPoint: new Int32Array([0, 0, 0]), axis: 0, bits: 8 } }],
      ]),
      nodes: [
        { name: 'clip', op: 'Clip', inputs: ['x', 'lo', ''], outputs: ['y'], attrs: { min: -Infinity, max: Infinity }, clamp: { min: 0, max: Infinity } },
        { name: 'leaky', op: 'LeakyRelu', inputs: ['y'], outputs: ['z'], attrs: { alpha: NaN } },
      ],
    };
    const back = roundTrip(g);
    expect(Object.is((back.tensors.get('lo')!.data as Float32Array)[0], -0)).toBe(true);
    const text = JSON.stringify(graphToJson(g));
    expect(text).toContain('"clamp":{"min":0,"max":"Infinity"}');
    expect(text).toContain('"attrs":{"min":"-Infinity","max":"Infinity"}');
    // Little-endian bytes: int16 0x0102 is 02 01.
    const one: Graph = { name: 'n', opset: 13, inputs: [], outputs: ['c'], tensors: new Map([['c', { name: 'c', dtype: 'int16', shape: [1], data: new Int16Array([0x0102]) }]]), nodes: [] };
    expect(graphToJson(one).tensors[0].data).toEqual({ type: 'int16', base64: Buffer.from([2, 1]).toString('base64') });
  });

  it('writes the same text for the same graph, attributes in the order the node holds them; other attributes are a qgc bug', () => {
    expect(JSON.stringify(graphToJson(cnn().graph))).toBe(JSON.stringify(graphToJson(cnn().graph)));
    const g = cnn().graph;
    const conv = g.nodes.find((n) => n.op === 'QConv')!;
    conv.attrs = Object.fromEntries(Object.entries(conv.attrs).reverse()) as typeof conv.attrs;
    const json = graphToJson(g);
    expect(Object.keys(json.nodes[1].attrs)).toEqual(Object.keys(conv.attrs));
    expect(Object.keys(graphFromJson(json, FILE).nodes[1].attrs)).toEqual(Object.keys(conv.attrs));
    expect(Object.keys(json.tensors[0])).toEqual(['name', 'dtype', 'shape']);
    expect(Object.keys(json)).toEqual(['name', 'opset', 'inputs', 'outputs', 'tensors', 'nodes']);
    (conv.attrs as unknown as Record<string, unknown>).bias = 1;
    expect(() => graphToJson(g)).toThrow(/internal: the attributes do not match the op's fields \(unexpected 'bias'\)/);
  });
});

/** A malformed copy of the cnn graph's JSON: `edit` changes the parsed document in place. */
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BAD: [string, (d: Doc) => void, RegExp][] = [
  ['not an object', (d) => { for (const k of Object.keys(d)) delete d[k]; d.x = 1; }, /^graph: the field 'name' is missing/],
  ['a missing field', (d) => { delete d.opset; }, /^graph: the field 'opset' is missing/],
  ['an extra field', (d) => { d.version = 2; }, /^graph: unknown field 'version'/],
  ['a name that is not a string', (d) => { d.name = 7; }, /^graph\.name: expected a string, found 7/],
  ['a fractional opset', (d) => { d.opset = 13.5; }, /^graph\.opset: expected a whole number, found 13\.5/],
  ['tensors that are not an array', (d) => { d.tensors = {}; }, /^graph\.tensors: expected an array, found an object/],
  ['an unknown dtype', (d) => { d.tensors[0].dtype = 'complex64'; }, /^graph\.tensors\[0\]\.dtype: the string "complex64" is not one of float32, /],
  ['a negative dimension', (d) => { d.tensors[0].shape[1] = -3; }, /^graph\.tensors\[0\]\.shape\[1\]: expected a whole number >= 0, found -3/],
  ['a non-finite dimension', (d) => { d.tensors[0].shape[1] = 'Infinity'; }, /^graph\.tensors\[0\]\.shape\[1\]: expected a whole number, found the string "Infinity"/],
  ['a duplicate tensor', (d) => { d.tensors.push(d.tensors[0]); }, /^graph\.tensors\[\d+\]\.name: a second tensor named 'input0'/],
  ['data of the wrong length', (d) => { d.tensors.find((t: Doc) => t.data).data.base64 = Buffer.alloc(3).toString('base64'); }, /^graph\.tensors\[\d+\]\.data: 3 elements, but the shape \[4, 3, 3, 3\] holds 108/],
  ['data of the wrong type', (d) => { const t = d.tensors.find((x: Doc) => x.data); t.data.type = 'uint8'; }, /^graph\.tensors\[\d+\]\.data\.type: uint8 data, but a int8 tensor is stored as int8/],
  ['an unknown array type', (d) => { d.tensors.find((t: Doc) => t.data).data.type = 'float128'; }, /^graph\.tensors\[\d+\]\.data\.type: the string "float128" is not one of float32, /],
  ['bytes that are not whole elements', (d) => { const t = d.tensors.find((x: Doc) => x.data && x.dtype === 'int32'); t.data.base64 = Buffer.alloc(6).toString('base64'); }, /^graph\.tensors\[\d+\]\.data\.base64: 6 bytes are not a whole number of int32 elements/],
  ['base64 that is not base64', (d) => { d.tensors.find((t: Doc) => t.data).data.base64 = 'ab$cd==='; }, /^graph\.tensors\[\d+\]\.data\.base64: not valid base64/],
  ['a zero point per scale missing', (d) => { d.tensors.find((t: Doc) => t.quant).quant.zeroPoint.base64 = ''; }, /^graph\.tensors\[\d+\]\.quant\.zeroPoint: 0 zero points for 1 scales/],
  ['per-channel scales without an axis', (d) => { const q = d.tensors[1].quant; q.scale.base64 = Buffer.alloc(16).toString('base64'); q.zeroPoint.base64 = q.scale.base64; }, /^graph\.tensors\[\d+\]\.quant\.scale: 4 scales, but no axis/],
  ['a quantization axis outside the shape', (d) => { d.tensors[1].quant.axis = 9; }, /^graph\.tensors\[\d+\]\.quant\.axis: axis 9 is outside the tensor's 4 dimensions/],
  ['an unknown op', (d) => { d.nodes[1].op = 'QGelu'; }, /^graph\.nodes\[1\]\.op: unknown op 'QGelu'/],
  ['an op that is a prototype property', (d) => { d.nodes[1].op = 'toString'; }, /^graph\.nodes\[1\]\.op: unknown op 'toString'/],
  ['a node without a name', (d) => { d.nodes[0].name = ''; }, /^graph\.nodes\[0\]\.name: a node needs a name/],
  ['a duplicate node name', (d) => { d.nodes[2].name = d.nodes[1].name; }, /^graph\.nodes\[2\]\.name: a second node named /],
  ['a node input that names no tensor', (d) => { d.nodes[1].inputs[0] = 'nowhere'; }, /^graph\.nodes\[1\]\.inputs\[0\]: 'nowhere' names no tensor/],
  ['a node output that names no tensor', (d) => { d.nodes[1].outputs[0] = 'nowhere'; }, /^graph\.nodes\[1\]\.outputs\[0\]: 'nowhere' names no tensor/],
  ['nodes out of order', (d) => { [d.nodes[1], d.nodes[2]] = [d.nodes[2], d.nodes[1]]; }, /^graph\.nodes\[1\]\.inputs\[0\]: '.*' is read before any node writes it/],
  ['a tensor written twice', (d) => { d.nodes[2].outputs[0] = d.nodes[1].outputs[0]; }, /^graph\.nodes\[2\]\.outputs\[0\]: '.*' is already a graph input, a constant or another node's output/],
  ['a graph output nobody writes', (d) => { d.nodes.pop(); }, /^graph\.outputs\[0\]: no node writes the graph output /],
  ['a graph input that names no tensor', (d) => { d.inputs[0] = 'nowhere'; }, /^graph\.inputs\[0\]: 'nowhere' names no tensor/],
  ['a missing attribute', (d) => { delete d.nodes[1].attrs.group; }, /^graph\.nodes\[1\]\.attrs: the field 'group' is missing/],
  ['an extra attribute', (d) => { d.nodes[1].attrs.bias = 1; }, /^graph\.nodes\[1\]\.attrs: unknown field 'bias'/],
  ['a non-finite integer attribute', (d) => { d.nodes[1].attrs.actMax = 'Infinity'; }, /^graph\.nodes\[1\]\.attrs\.actMax: expected a whole number, found the string "Infinity"/],
  ['an integer attribute too large to be exact', (d) => { d.nodes[1].attrs.outputZeroPoint = 2 ** 60; }, /^graph\.nodes\[1\]\.attrs\.outputZeroPoint: expected a whole number, found /],
  ['a fractional window', (d) => { d.nodes[1].attrs.kernel[0] = 2.5; }, /^graph\.nodes\[1\]\.attrs\.kernel\[0\]: expected a whole number, found 2\.5/],
  ['a multiplier that is a plain array', (d) => { d.nodes[1].attrs.multiplier = [1, 2]; }, /^graph\.nodes\[1\]\.attrs\.multiplier: expected an object, found an array/],
  ['a shift of the wrong array type', (d) => { d.nodes[1].attrs.shift.type = 'int8'; }, /^graph\.nodes\[1\]\.attrs\.shift\.type: the string "int8" is not one of int32/],
  ['a boolean that is a number', (d) => { d.nodes[2].attrs.ceilMode = 0; }, /^graph\.nodes\[2\]\.attrs\.ceilMode: expected true or false, found 0/],
  ['a float that is a word', (d) => { d.nodes[0].attrs.scale = 'big'; }, /^graph\.nodes\[0\]\.attrs\.scale: expected a number, found the string "big"/],
  ['a field inherited from Object.prototype is not a field', (d) => { delete d.nodes[0].attrs.scale; d.nodes[0].attrs = JSON.parse(JSON.stringify(d.nodes[0].attrs).replace('{', '{"__proto__":{"scale":1},')); }, /^graph\.nodes\[0\]\.attrs: (the field 'scale' is missing|unknown field '__proto__')/],
  ['a clamp without max', (d) => { d.nodes[1].clamp = { min: 0 }; }, /^graph\.nodes\[1\]\.clamp: the field 'max' is missing/],
];

describe('graphFromJson refuses malformed documents', () => {
  it(`has ${BAD.length} cases (at least 20)`, () => expect(BAD.length).toBeGreaterThanOrEqual(20));
  for (const [what, edit, message] of BAD) {
    it(what, () => {
      const doc = JSON.parse(JSON.stringify(graphToJson(cnn().graph))) as Doc;
      edit(doc);
      let err: unknown;
      try {
        graphFromJson(doc, FILE);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CompileError);
      const e = err as CompileError;
      expect(e.code).toBe(ErrorCode.BadInput);
      expect(e.message).toMatch(message);
      expect(e.where.file).toBe(FILE);
      expect(e.hint).toMatch(/recompile with qgc compile/);
      if (/^graph\.nodes\[(\d+)\]\.(?!name)/.test(e.message)) expect(e.where.node, 'names the node').toBe(doc.nodes[Number(/\[(\d+)\]/.exec(e.message)![1])].name);
    });
  }

  it('refuses something that is not an object at all', () => {
    expect(() => graphFromJson([], FILE)).toThrow(/^graph: expected an object, found an array/);
    expect(() => graphFromJson(null, FILE)).toThrow(/^graph: expected an object, found null/);
  });
});

/** Opsets 1 to 28: models at the oldest and newest opsets import; what a newer opset changed and
 * qgc does not implement is refused naming the opset and the attribute; the version table
 * (src/onnx/opsets.ts) covers every claimed op and agrees with onnx 1.23.1's schemas. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ErrorCode } from '../src/errors.js';
import type { DType } from '../src/ir/dtype.js';
import { runGraph } from '../src/interp/run.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { importers } from '../src/onnx/ops/index.js';
import { MAX_OPSET, OP_FACTS, schemaVersion } from '../src/onnx/opsets.js';
import { onnx } from '../src/onnx/proto.js';
import { onnxCodeOf } from '../src/onnx/tensor.js';
import { errorOf } from './support/errors.js';
import { needs, probe } from './support/tools.js';

const A = onnx.AttributeProto.AttributeType;
const vi = (name: string, dtype: DType | number, shape: number[]) => ({
  name,
  type: { tensorType: { elemType: typeof dtype === 'number' ? dtype : onnxCodeOf(dtype), shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
});
const f32 = (name: string, dims: number[], values: number[]) => ({ name, dataType: 1, dims, floatData: values });
const f16 = (name: string, dims: number[], halfBits: number[]) => ({ name, dataType: 10, dims, int32Data: halfBits });
const u8 = (name: string, dims: number[], values: number[]) => ({ name, dataType: 2, dims, int32Data: values });

function model(opset: number, nodes: object[], inputs: object[], inits: object[], outputs: object[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: opset >= 21 ? 10 : 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: inits },
  }).finish();
}

/** Conv → Relu → MaxPool → Flatten → Gemm → Softmax, legal at every opset from 7 on. */
function cnn(opset: number): Uint8Array {
  const w = f32('w', [2, 1, 3, 3], Array.from({ length: 18 }, (_, i) => ((i % 5) - 2) / 4));
  const g = f32('g', [3, 8], Array.from({ length: 24 }, (_, i) => ((i % 7) - 3) / 8));
  const b = f32('b', [3], [0.1, -0.2, 0.3]); // Gemm's C is required before opset 11
  return model(opset, [
    { opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'kernel_shape', type: A.INTS, ints: [3, 3] }] },
    { opType: 'Relu', input: ['c'], output: ['r'] },
    { opType: 'MaxPool', input: ['r'], output: ['p'], attribute: [{ name: 'kernel_shape', type: A.INTS, ints: [2, 2] }, { name: 'strides', type: A.INTS, ints: [2, 2] }] },
    { opType: 'Flatten', input: ['p'], output: ['f'] },
    { opType: 'Gemm', input: ['f', 'g', 'b'], output: ['m'], attribute: [{ name: 'transB', type: A.INT, i: 1 }] },
    { opType: 'Softmax', input: ['m'], output: ['y'] },
  ], [vi('x', 'float32', [1, 1, 6, 6])], [w, g, b], [vi('y', 'float32', [1, 3])]);
}

describe('opsets 1 to 28', () => {
  it('the same CNN imports at opset 7 and at opset 28, and computes the same', () => {
    const x = new Float32Array(36).map((_, i) => Math.sin(i));
    const run = (opset: number) => {
      const { graph } = loadModelBytes(cnn(opset));
      expect(graph.opset).toBe(opset);
      return [...runGraph(graph, new Map([['x', { dtype: 'float32', shape: [1, 1, 6, 6], data: x }]])).get('y')!.data as Float32Array];
    };
    const at7 = run(7);
    expect(at7.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(run(28)).toEqual(at7);
    expect(run(22)).toEqual(at7);
  });

  it('refuses opsets outside 1..28', () => {
    const e = errorOf(() => loadModelBytes(cnn(29)));
    expect(e.code).toBe(ErrorCode.UnsupportedOpset);
    expect(e.message).toContain(`opset 29 is outside the supported range 1..${MAX_OPSET}`);
  });

  const quant = (opset: number, attrs: object[], scale: object, outType: DType) =>
    model(opset, [{ name: 'q', opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'], attribute: attrs }],
      [vi('x', 'float32', [3])], [scale, u8('z', [], [128])], [vi('y', outType, [3])]);
  const dequant = (opset: number, attrs: object[], scale: object, outType: DType) =>
    model(opset, [{ name: 'dq', opType: 'DequantizeLinear', input: ['x', 's', 'z'], output: ['y'], attribute: attrs }],
      [vi('x', 'uint8', [3])], [scale, u8('z', [], [128])], [vi('y', outType, [3])]);
  const HALF_0_5 = 0x3800;

  it("QuantizeLinear-23 'precision': the scale's own type is implemented, another precision is refused naming opset and attribute", () => {
    const s = f32('s', [], [0.5]);
    for (const precision of [0, 1]) {
      const { graph } = loadModelBytes(quant(23, [{ name: 'precision', type: A.INT, i: precision }], s, 'uint8'));
      const y = runGraph(graph, new Map([['x', { dtype: 'float32', shape: [3], data: new Float32Array([-1, 0.25, 100]) }]])).get('y')!;
      expect([...(y.data as Uint8Array)]).toEqual([126, 128, 255]);
    }
    const e = errorOf(() => loadModelBytes(quant(23, [{ name: 'precision', type: A.INT, i: 10 }], s, 'uint8')));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toBe("attribute 'precision' = 10 (QuantizeLinear, opset 23) is not implemented; qgc implements 0 (unset) or y_scale's own type");
    expect(e.where.node).toBe('q');
    // Before opset 23 ONNX does not define it.
    const old = errorOf(() => loadModelBytes(quant(21, [{ name: 'precision', type: A.INT, i: 1 }], s, 'uint8')));
    expect(old.message).toBe("attribute 'precision' is not defined for QuantizeLinear at opset 21 (ONNX adds it in opset 23)");
  });

  it("DequantizeLinear-23 'output_dtype': the scale's type is implemented, float32 from a float16 scale is refused", () => {
    const { graph } = loadModelBytes(dequant(23, [{ name: 'output_dtype', type: A.INT, i: 1 }], f32('s', [], [0.5]), 'float32'));
    const y = runGraph(graph, new Map([['x', { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 130]) }]])).get('y')!;
    expect([...(y.data as Float32Array)]).toEqual([-64, 0, 1]);
    const half = loadModelBytes(dequant(25, [{ name: 'output_dtype', type: A.INT, i: 10 }], f16('s', [], [HALF_0_5]), 'float16'));
    expect(half.graph.tensors.get('y')!.dtype).toBe('float16');
    const e = errorOf(() => loadModelBytes(dequant(28, [{ name: 'output_dtype', type: A.INT, i: 1 }], f16('s', [], [HALF_0_5]), 'float32')));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toBe("attribute 'output_dtype' = 1 (DequantizeLinear, opset 28) is not implemented; qgc implements 0 (unset) or x_scale's own type");
    const old = errorOf(() => loadModelBytes(dequant(21, [{ name: 'output_dtype', type: A.INT, i: 1 }], f32('s', [], [0.5]), 'float32')));
    expect(old.message).toContain('is not defined for DequantizeLinear at opset 21 (ONNX adds it in opset 23)');
  });

  it("Cast-24 'round_mode' (float8e8m0 only): every valid value imports, others are refused; before 24 it is undefined", () => {
    const cast = (opset: number, mode: string) => model(opset, [{ name: 'c', opType: 'Cast', input: ['x'], output: ['y'], attribute: [
      { name: 'to', type: A.INT, i: 6 }, { name: 'round_mode', type: A.STRING, s: new TextEncoder().encode(mode) }] }],
    [vi('x', 'float32', [2])], [], [vi('y', 'int32', [2])]);
    for (const mode of ['up', 'down', 'nearest']) expect(loadModelBytes(cast(24, mode)).graph.nodes[0].op).toBe('Cast');
    expect(errorOf(() => loadModelBytes(cast(28, 'sideways'))).message)
      .toBe("attribute 'round_mode' = 'sideways' (Cast, opset 28) is not implemented; qgc implements 'up', 'down' or 'nearest'");
    expect(errorOf(() => loadModelBytes(cast(23, 'up'))).message).toContain("'round_mode' is not defined for Cast at opset 23 (ONNX adds it in opset 24)");
  });

  it('an attribute before the opset that adds it, and an op before its first version, are refused naming the opset', () => {
    const shape = model(13, [{ opType: 'Shape', input: ['x'], output: ['y'], attribute: [{ name: 'start', type: A.INT, i: 1 }] }],
      [vi('x', 'float32', [1, 2])], [], [vi('y', 'int64', [1])]);
    const e = errorOf(() => loadModelBytes(shape));
    expect(e.code).toBe(ErrorCode.BadAttribute);
    expect(e.message).toBe("attribute 'start' is not defined for Shape at opset 13 (ONNX adds it in opset 15)");
    const hs = model(13, [{ opType: 'HardSwish', input: ['x'], output: ['y'] }], [vi('x', 'float32', [2])], [], [vi('y', 'float32', [2])]);
    const h = errorOf(() => loadModelBytes(hs));
    expect(h.code).toBe(ErrorCode.UnsupportedOpset);
    expect(h.message).toBe('HardSwish is not defined at opset 13 (ONNX adds it in opset 14)');
  });

  it('element types of opsets 23 to 28 are refused by name and opset', () => {
    const m = model(25, [{ opType: 'Identity', input: ['x'], output: ['y'] }], [vi('x', 26, [4])], [], [vi('y', 26, [4])]);
    const e = errorOf(() => loadModelBytes(m));
    expect(e.code).toBe(ErrorCode.UnsupportedDType);
    expect(e.message).toBe('element type INT2 (ONNX opset 25) is not supported');
  });

  it('schemaVersion picks the newest schema at or below the opset', () => {
    expect(schemaVersion('Conv', 21)).toBe(11);
    expect(schemaVersion('Conv', 28)).toBe(22);
    expect(schemaVersion('QuantizeLinear', 9)).toBeUndefined();
    expect(schemaVersion('QuantizeLinear', 24)).toBe(24);
  });
});

describe('the opset table', () => {
  it('has a row for every op qgc imports', () => {
    // A new importer needs its row (versions from onnx.defs, and what it refuses of each) in src/onnx/opsets.ts.
    expect([...importers.keys()].filter((op) => !(op in OP_FACTS)).sort()).toEqual([]);
  });

  const VENV_PY = '.venv-onnx/bin/python';
  const ONNX_123 = probe('onnx-1.23-venv', 'onnx 1.23.1 in .venv-onnx', 'python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx==1.23.1',
    () => existsSync(VENV_PY) && spawnSync(VENV_PY, ['-c', 'import onnx, sys; sys.exit(onnx.__version__ != "1.23.1")']).status === 0);

  it("lists exactly onnx 1.23.1's schema versions of each op", (ctx) => {
    needs(ctx, ONNX_123);
    const script = [
      'import json, sys, onnx.defs as d',
      'ops = json.load(sys.stdin)',
      'out = {op: sorted({s.since_version for s in d.get_all_schemas_with_history() if s.name == op and s.domain == "" and s.since_version <= 28}) for op in ops}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(VENV_PY, ['-c', script], { input: JSON.stringify(Object.keys(OP_FACTS)), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as Record<string, number[]>;
    const got = Object.fromEntries(Object.entries(OP_FACTS).map(([op, f]) => [op, [...f.versions]]));
    expect(got).toEqual(want);
  });
});

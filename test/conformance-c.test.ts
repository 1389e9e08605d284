/** The quantized ONNX conformance cases that map onto qgc's int8 device contract, compiled to C
 * and run on the host (ASan + UBSan) and on QEMU Cortex-M4 and M55 with both kernel providers:
 * bit-exact with the integer interpreter, and within one step of ONNX's expected output (the
 * contract rounds with CMSIS-NN's fixed-point requantization; ONNX rounds in float). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, Tensor } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import { readFileChecked } from '../src/onnx/load.js';
import { importModel } from '../src/onnx/import.js';
import { decodeModel, decodeTensor } from '../src/onnx/proto.js';
import { tensorFromProto } from '../src/onnx/tensor.js';
import { lowerQdq } from '../src/passes/lower-qdq.js';
import { compileAndRun, firstDifference, type Expected } from './support/c-harness.js';
import { NODE_TEST_ROOT } from './support/conformance.js';
import { ARM_GCC as ARM, CMSIS_NN as CMSIS, GCC, ONNX_TESTDATA, QEMU, needs } from './support/tools.js';


function pb(dir: string, file: string, name: string): Tensor {
  return tensorFromProto(decodeTensor(readFileChecked(join(dir, file))), name);
}

/** The case's graph with every input but the first bound to its test values, lowered to int8
 * ops; the data input and expected output as int8 (uint8 shifted by -128, as the lowering does). */
function loadCase(name: string): { graph: Graph; expected: Expected; onnx: Int8Array[] } {
  const dir = join(NODE_TEST_ROOT, name);
  const model = decodeModel(readFileChecked(join(dir, 'model.onnx')));
  const inputs = (model.graph?.input ?? []).map((v) => v.name ?? '');
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  const bind = new Map(inputs.slice(1).map((n, i) => [n, pb(join(dir, sets[0]), `input_${i + 1}.pb`, n)] as const));
  const graph = lowerQdq(importModel(model, { bindInputs: bind }));
  const toInt8 = (t: Tensor) => Int8Array.from(t.data as Uint8Array | Int8Array, (v) => (t.dtype === 'uint8' ? v - 128 : v));
  const in8 = sets.map((s) => toInt8(pb(join(dir, s), 'input_0.pb', inputs[0])));
  const onnx = sets.map((s) => toInt8(pb(join(dir, s), 'output_0.pb', 'y')));
  const shape = graph.tensors.get(graph.inputs[0])!.shape;
  const out8 = in8.map((x) => runGraph(graph, new Map([[graph.inputs[0], { dtype: 'int8', shape, data: x }]])).get(graph.outputs[0])!.data as Int8Array);
  return { graph, onnx, expected: { in8, out8, inF: [], outF: [] } };
}

describe('quantized ONNX conformance cases through the C backend', () => {
  const CASES = ['test_qlinearconv'];
  for (const name of CASES) {
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      it(`${name}, ${kernels}: bit-exact on host, QEMU cortex-m4 and cortex-m55`, async (ctx) => {
        needs(ctx, ONNX_TESTDATA, GCC, ARM, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS] : []));
        const { graph, expected, onnx } = loadCase(name);
        // The interpreter itself is within one step of ONNX's expected output.
        expected.out8.forEach((o, k) => o.forEach((v, i) => expect(Math.abs(v - onnx[k][i])).toBeLessThanOrEqual(1)));
        for (const where of ['host', 'cortex-m4', 'cortex-m55']) {
          const r = await compileAndRun({ graph, kernels, where, target: where === 'host' ? 'cortex-m4' : where, expected });
          const diffs = r.outputs.map((o, k) => firstDifference(o, new Uint8Array(expected.out8[k].buffer, expected.out8[k].byteOffset, expected.out8[k].byteLength))).filter(Boolean);
          expect(diffs, `${kernels} on ${where}`).toEqual([]);
        }
      }, 300_000);
    }
  }
});

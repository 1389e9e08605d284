/** QMul, broadcasting QAdd (Sub included) and QBatchMatMul in emitted C and Wasm against the integer interpreter:
 * hand-made graphs that reach every path of the kernels — squeeze-excite (x * avgpool(x) over
 * NHWC), products and sums with constants of per-channel, per-position, scalar and full shape
 * (the last stored in the output's byte order), a difference, operands after a Transpose view and
 * after a fully connected layer (row-major), equal-shape products large enough for CMSIS-NN's
 * DSP and MVE loops and their tails; matrix products of two activations (broadcast batches,
 * ranks 3 and 4, an attention q @ k^T through a transposed view); int8 Slice (negative steps),
 * DepthToSpace (DCR, CRD) and SpaceToDepth between convs (NHWC ↔ row-major copies) — each with random seeds, all in one program per provider
 * and place: the host with sanitizers (cortex-m4 and cortex-m55 builds), QEMU Cortex-M4 and
 * Cortex-M55, both providers; and the Wasm backend's SIMD and scalar modules. Which kernel each step calls is pinned too (arm_elementwise_mul_s8
 * and arm_elementwise_add_s8 on equal shapes, the portable broadcast kernels otherwise). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileC } from '../src/backends/c/emit.js';
import { compileWasm } from '../src/backends/wasm/emit.js';
import type { Graph } from '../src/ir/graph.js';
import { compileAndRunBatch } from './support/c-batch.js';
import { expectedBytes, firstDifference, interpret, randomSamples, type Expected } from './support/c-harness.js';
import { QGraphBuilder, type Act } from './support/qgraph.js';
import { tempFolders } from './support/tmp.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';

interface Case {
  name: string;
  graph: Graph;
  expected: Expected;
}

type Make = (b: QGraphBuilder) => { x: Act; y: Act };

const conv = (b: QGraphBuilder, x: Act, outC: number) => b.conv(x, { outC, k: [3, 3], pads: [1, 1, 1, 1], bias: true, outScale: x.scale * 3 });

const SHAPES: Record<string, Make> = {
  'squeeze-excite x * avgpool(x)': (b) => {
    const x = b.input([1, 8, 5, 5]);
    const y = conv(b, x, 8);
    const s = b.pool('QAveragePool', y, [5, 5], [1, 1]);
    return { x, y: b.mul(y, s) };
  },
  'mul by a per-channel constant after a conv (NHWC)': (b) => {
    const x = b.input([1, 6, 4, 3]);
    return { x, y: b.mul(conv(b, x, 6), b.constOperand([1, 6, 1, 1]), { relu: true }) };
  },
  'mul by a full-shape constant after a conv (stored NHWC)': (b) => {
    const x = b.input([1, 5, 3, 4]);
    return { x, y: b.mul(conv(b, x, 5), b.constOperand([1, 5, 3, 4])) };
  },
  'add a per-position constant [H, W]': (b) => {
    const x = b.input([1, 3, 4, 5]);
    return { x, y: b.addBroadcast(conv(b, x, 3), b.constOperand([4, 5]), { outScale: 0.1 }) };
  },
  'sub a scalar constant': (b) => {
    const x = b.input([1, 4, 3, 3]);
    return { x, y: b.addBroadcast(conv(b, x, 4), b.constOperand([]), { sub: true, outScale: 0.08, relu: true }) };
  },
  'sub a computed [1, 1, H, W] (one-channel conv)': (b) => {
    const x = b.input([1, 4, 5, 3]);
    const a = conv(b, x, 4);
    return { x, y: b.addBroadcast(a, conv(b, x, 1), { sub: true, outScale: 0.1 }) };
  },
  'mul of a transposed view by a constant [C, 1]': (b) => {
    const x = b.input([1, 3, 4, 5]);
    const t = b.transpose(conv(b, x, 3), [0, 2, 1, 3]);
    return { x, y: b.mul(t, b.constOperand([3, 1])) };
  },
  'mul after a fully connected layer, [2, 12] * [2, 1]': (b) => {
    const x = b.input([2, 10]);
    const f = b.fc(x, 12);
    const g = b.fc(x, 1);
    return { x, y: b.mul(f, g) };
  },
  'mul of equal shapes, 16 x 7 x 7 (vector loops and tails)': (b) => {
    const x = b.input([1, 4, 7, 7]);
    return { x, y: b.mul(conv(b, x, 16), conv(b, x, 16)) };
  },
  'sub of equal shapes (negative multiplier in arm_elementwise_add_s8)': (b) => {
    const x = b.input([1, 8, 6, 5]);
    return { x, y: b.addBroadcast(conv(b, x, 8), conv(b, x, 8), { sub: true, outScale: 0.1 }) };
  },
  'batch matmul [1, 3, 4] x [1, 4, 5] of two FC outputs': (b) => {
    const x = b.input([1, 12]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 12), [1, 3, 4]), b.reshape(b.fc(x, 20), [1, 4, 5])) };
  },
  'batch matmul [2, 3, 4] x [1, 4, 5] (broadcast batch)': (b) => {
    const x = b.input([1, 24]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 24), [2, 3, 4]), b.reshape(b.fc(x, 20), [1, 4, 5])) };
  },
  'attention scores q @ k^T (a transposed view, copied row-major)': (b) => {
    const x = b.input([1, 24]);
    const q = b.reshape(b.fc(x, 24), [1, 4, 6]);
    const k = b.reshape(b.fc(x, 24), [1, 4, 6]);
    return { x, y: b.batchMatMul(q, b.transpose(k, [0, 2, 1])) };
  },
  'batch matmul [2, 1, 3, 4] x [3, 4, 2] (rank 4 by rank 3)': (b) => {
    const x = b.input([1, 24]);
    return { x, y: b.batchMatMul(b.reshape(b.fc(x, 24), [2, 1, 3, 4]), b.reshape(b.fc(x, 24), [3, 4, 2])) };
  },
  'slice (steps 2 and -1) of a conv output, then a conv': (b) => {
    const x = b.input([1, 4, 7, 6]);
    const s = b.slice(conv(b, x, 4), [0, 3, 1, 5], [1, -1, 2, -1], [1, 3, 3, 6]);
    return { x, y: conv(b, s, 3) };
  },
  'depth to space (DCR and CRD) and space to depth around convs': (b) => {
    const x = b.input([1, 3, 4, 4]);
    const d = b.block('DepthToSpace', conv(b, x, 8), 2, b.rand() < 0.5 ? 'DCR' : 'CRD');
    return { x, y: b.block('SpaceToDepth', conv(b, d, 2), 2, 'DCR') };
  },
  'add and mul of equal shapes with a constant, 3 x 5 x 7': (b) => {
    const x = b.input([1, 3, 5, 7]);
    const a = b.addBroadcast(conv(b, x, 3), b.constOperand([1, 3, 5, 7]), { outScale: 0.1 });
    return { x, y: b.mul(a, conv(b, x, 3)) };
  },
};

const SEEDS = [1, 2];

function cases(): Case[] {
  return Object.entries(SHAPES).flatMap(([name, make]) => SEEDS.map((seed) => {
    const b = new QGraphBuilder(seed * 7919 + name.length);
    const { x, y } = make(b);
    const graph = b.build(y);
    return { name: `${name} (seed ${seed})`, graph, expected: interpret(graph, randomSamples(b.rand, x.shape, 2)) };
  }));
}

const CASES = cases();
const tempDir = tempFolders('qgc-binary-');

async function check(kernels: 'portable' | 'cmsis-nn', target: string, where: 'host' | string): Promise<string[]> {
  const results = await compileAndRunBatch(CASES, { kernels, target, where });
  return results.flatMap((r, i) => {
    if ('error' in r) return [`${CASES[i].name}: ${r.error}`];
    return r.outputs.flatMap((o, k) => {
      const d = firstDifference(o, expectedBytes(CASES[i].expected, k, false));
      return d ? [`${CASES[i].name}, sample ${k}: ${d}`] : [];
    });
  });
}

/** The kernels a graph's steps call (from the C report). */
function kernelsOf(graph: Graph, kernels: 'portable' | 'cmsis-nn', target: string, ...ops: string[]): string[] {
  const r = compileC(graph, { target, kernels, name: 'net', outDir: tempDir() });
  const keep = ops.length ? [...ops, 'LayoutCopy'] : ['QMul', 'QAdd'];
  return r.report.layers.filter((s) => keep.includes(s.op)).map((s) => `${s.op}:${s.kernel}`);
}

describe('QMul, broadcasting QAdd, QBatchMatMul and int8 copies in C and Wasm', () => {
  it('chooses arm_elementwise_*_s8 on equal shapes and the portable broadcast kernels otherwise', () => {
    const of = (name: string, kernels: 'portable' | 'cmsis-nn') => kernelsOf(CASES.find((c) => c.name.startsWith(name))!.graph, kernels, 'cortex-m55');
    expect(of('squeeze-excite', 'cmsis-nn')).toEqual(['QMul:qgc_mul_broadcast_s8']);
    expect(of('squeeze-excite', 'portable')).toEqual(['QMul:qgc_mul_broadcast_s8']);
    expect(of('mul by a full-shape constant', 'cmsis-nn')).toEqual(['QMul:arm_elementwise_mul_s8']);
    expect(of('add and mul of equal shapes', 'cmsis-nn')).toEqual(['QAdd:arm_elementwise_add_s8', 'QMul:arm_elementwise_mul_s8']);
    expect(of('add and mul of equal shapes', 'portable')).toEqual(['QAdd:qgc_add_s8', 'QMul:qgc_mul_s8']);
    expect(of('sub a scalar', 'cmsis-nn')).toEqual(['QAdd:qgc_add_broadcast_s8']);
    expect(of('sub of equal shapes', 'cmsis-nn')).toEqual(['QAdd:arm_elementwise_add_s8']);
    const mm = (name: string) => kernelsOf(CASES.find((c) => c.name.startsWith(name))!.graph, 'cmsis-nn', 'cortex-m4', 'QBatchMatMul');
    expect(mm('attention scores')).toEqual(['LayoutCopy:qgc_copy_s8', 'QBatchMatMul:qgc_batch_matmul_s8']);
  });

  it(`${CASES.length} graphs on Wasm, SIMD and scalar modules: bit-exact`, async () => {
    const bad: string[] = [];
    for (const c of CASES) {
      const dir = tempDir();
      compileWasm(c.graph, { target: 'wasm', name: 'net', outDir: dir });
      const loader = (await import(pathToFileURL(join(dir, 'net.js')).href)) as { createNet(source?: unknown): Promise<{ run(x: Int8Array): Int8Array }> };
      for (const file of ['net.wasm', 'net.scalar.wasm']) {
        const net = await loader.createNet(readFileSync(join(dir, file)));
        c.expected.in8.forEach((x, k) => {
          const y = net.run(x);
          const d = firstDifference(new Uint8Array(y.buffer, y.byteOffset, y.byteLength), expectedBytes(c.expected, k, false));
          if (d) bad.push(`${c.name}, ${file}, sample ${k}: ${d}`);
        });
      }
    }
    expect(bad, bad.join('\n')).toEqual([]);
  }, 120_000);

  for (const [kernels, target] of [['portable', 'cortex-m4'], ['cmsis-nn', 'cortex-m4'], ['cmsis-nn', 'cortex-m55']] as const) {
    it(`${CASES.length} graphs, ${kernels} on the host (${target} build, sanitizers): bit-exact`, async (ctx) => {
      needs(ctx, GCC, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
      const bad = await check(kernels, target, 'host');
      expect(bad, bad.join('\n')).toEqual([]);
    }, 300_000);
  }

  for (const target of ['cortex-m4', 'cortex-m55']) {
    for (const kernels of ['portable', 'cmsis-nn'] as const) {
      it(`${CASES.length} graphs, ${kernels} on QEMU ${target}: bit-exact`, async (ctx) => {
        needs(ctx, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
        const bad = await check(kernels, target, target);
        expect(bad, bad.join('\n')).toEqual([]);
      }, 300_000);
    }
  }
});

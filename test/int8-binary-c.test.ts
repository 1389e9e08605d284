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
import { binaryCases } from './support/binary-graphs.js';
import { expectedBytes, firstDifference } from './support/c-harness.js';
import { tempFolders } from './support/tmp.js';
import { ARM_GCC, CMSIS_NN, GCC, QEMU, needs } from './support/tools.js';

const CASES = binaryCases();
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

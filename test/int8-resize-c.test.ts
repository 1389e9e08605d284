/** int8 Resize in emitted C and Wasm against the integer interpreter: nearest upsampling by 2 and
 * 3 (asymmetric/floor as PyTorch exports it, half_pixel/round_prefer_floor, align_corners, TF's
 * half-pixel centers), uneven factors per axis, a downsample by 2 — between convs, so the
 * NHWC ↔ row-major copies around the gather run too — each with random seeds, all in one program
 * per provider and place: the host with sanitizers, QEMU Cortex-M4 and Cortex-M55, both providers; and the Wasm
 * backend's SIMD and scalar modules. A nearest Resize whose index map is no strided walk is
 * refused with a CompileError naming the node. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileC } from '../src/backends/c/emit.js';
import { compileWasm } from '../src/backends/wasm/emit.js';
import { ErrorCode } from '../src/errors.js';
import type { Graph } from '../src/ir/graph.js';
import { compileAndRunBatch } from './support/c-batch.js';
import { expectedBytes, firstDifference, interpret, randomSamples, type Expected } from './support/c-harness.js';
import { errorOf } from './support/errors.js';
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
const up = (x: Act, f: number[]) => x.shape.map((d, i) => d * f[i]);

const SHAPES: Record<string, Make> = {
  'nearest 2x, asymmetric floor (PyTorch), between convs': (b) => {
    const x = b.input([1, 3, 4, 5]);
    const c = conv(b, x, 4);
    return { x, y: conv(b, b.resize(c, up(c, [1, 1, 2, 2]), { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }), 3) };
  },
  'nearest 3x, half_pixel round_prefer_floor': (b) => {
    const x = b.input([1, 2, 3, 4]);
    return { x, y: b.resize(conv(b, x, 3), [1, 3, 9, 12], { mode: 'nearest', coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' }) };
  },
  'nearest 2x by 3x, align_corners round_prefer_ceil (rows only)': (b) => {
    const x = b.input([2, 6, 2]);
    return { x, y: b.resize(b.fc(x, 3), [2, 12, 6], { mode: 'nearest', coordinateMode: 'align_corners', nearestMode: 'round_prefer_ceil' }) };
  },
  'nearest 2x, TF half-pixel centers (tf_half_pixel_for_nn, floor)': (b) => {
    const x = b.input([1, 4, 3, 3]);
    return { x, y: b.resize(conv(b, x, 4), [1, 4, 6, 6], { mode: 'nearest', coordinateMode: 'tf_half_pixel_for_nn', nearestMode: 'floor' }) };
  },
  'nearest downsample by 2 (asymmetric floor), then a conv': (b) => {
    const x = b.input([1, 3, 8, 6]);
    const c = conv(b, x, 5);
    return { x, y: conv(b, b.resize(c, [1, 5, 4, 3], { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }), 2) };
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
const tempDir = tempFolders('qgc-resize-');

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

describe('int8 Resize in C and Wasm', () => {
  it('nearest Resize is one qgc_copy_s8; an index map with no strided form is refused naming the node', () => {
    const r = compileC(CASES[0].graph, { target: 'cortex-m4', kernels: 'cmsis-nn', name: 'net', outDir: tempDir() });
    expect(r.report.layers.filter((s) => s.op === 'Resize').map((s) => s.kernel)).toEqual(['qgc_copy_s8']);
    const b = new QGraphBuilder(5);
    const x = b.input([1, 2, 5, 5]);
    const g = b.build(b.resize(x, [1, 2, 7, 7], { mode: 'nearest', coordinateMode: 'asymmetric', nearestMode: 'floor' }));
    const e = errorOf(() => compileC(g, { target: 'cortex-m4', kernels: 'portable', name: 'net', outDir: tempDir() }));
    expect(e.code).toBe(ErrorCode.UnsupportedOp);
    expect(e.message).toMatch(/Resize.*axis 2 from 5 to 7/);
    expect(e.where.op).toBe('Resize');
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

  for (const kernels of ['portable', 'cmsis-nn'] as const) {
    it(`${CASES.length} graphs, ${kernels} on the host (sanitizers): bit-exact`, async (ctx) => {
      needs(ctx, GCC, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
      const bad = await check(kernels, 'cortex-m4', 'host');
      expect(bad, bad.join('\n')).toEqual([]);
    }, 300_000);
    for (const target of ['cortex-m4', 'cortex-m55']) {
      it(`${CASES.length} graphs, ${kernels} on QEMU ${target}: bit-exact`, async (ctx) => {
        needs(ctx, ARM_GCC, QEMU, ...(kernels === 'cmsis-nn' ? [CMSIS_NN] : []));
        const bad = await check(kernels, target, target);
        expect(bad, bad.join('\n')).toEqual([]);
      }, 300_000);
    }
  }
});

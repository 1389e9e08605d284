/** Bad input: truncated and bit-flipped copies of real models must end in a CompileError
 * (or load, when the damage happens to be harmless), quickly, and absurd declared sizes
 * are refused before anything is allocated. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError, ErrorCode } from '../src/errors.js';
import { allocate } from '../src/ir/dtype.js';
import { elementCount } from '../src/ir/graph.js';
import { runGraph } from '../src/interp/run.js';
import { loadModelBytes } from '../src/onnx/load.js';
import { onnx } from '../src/onnx/proto.js';
import { needs, ONNX_TESTDATA } from './support/tools.js';
import { uniform as rng } from './support/random.js';

const NODE = '/usr/share/libonnx-testdata/data/node';
const SOURCES = [
  'examples/fashion-mnist/model.onnx',
  'examples/fashion-mnist-dwsep/model.onnx',
  'examples/fashion-mnist-residual/model.onnx',
  join(NODE, 'test_conv_with_strides_padding/model.onnx'),
  join(NODE, 'test_gemm_all_attributes/model.onnx'),
  join(NODE, 'test_batchnorm_example/model.onnx'),
  join(NODE, 'test_reshape_negative_dim/model.onnx'),
  join(NODE, 'test_qlinearconv/model.onnx'),
];


function mutants(bytes: Uint8Array, count: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      out.push(bytes.slice(0, Math.floor(r() * bytes.length)));
    } else if (i % 3 === 1) {
      // One flipped bit anywhere: often harmless (a weight changes), sometimes structural.
      const m = bytes.slice();
      m[Math.floor(r() * m.length)] ^= 1 << Math.floor(r() * 8);
      out.push(m);
    } else {
      const m = bytes.slice();
      const flips = 1 + Math.floor(r() * 8);
      // Bias flips towards the header, where structure (lengths, dims, types) lives.
      for (let f = 0; f < flips; f++) {
        const pos = r() < 0.7 ? Math.floor(r() * Math.min(m.length, 4096)) : Math.floor(r() * m.length);
        m[pos] ^= 1 << Math.floor(r() * 8);
      }
      out.push(m);
    }
  }
  return out;
}

describe('loader robustness', () => {
  it('turns 1,000+ truncated and bit-flipped real models into CompileErrors, each within a second', (ctx) => {
    needs(ctx, ONNX_TESTDATA);
    const sources = SOURCES.filter((p) => existsSync(p));
    expect(sources.length).toBeGreaterThanOrEqual(5);
    const perSource = Math.ceil(1200 / sources.length);
    let errors = 0;
    let loaded = 0;
    let slowest = 0;
    sources.forEach((path, s) => {
      for (const m of mutants(new Uint8Array(readFileSync(path)), perSource, 1234 + s)) {
        const t0 = performance.now();
        try {
          const { graph } = loadModelBytes(m);
          loaded++;
          // A model that loads must also run (corrupted weights give odd numbers, never a crash).
          if (loaded % 10 === 0) {
            const feeds = new Map(graph.inputs.map((n) => {
              const t = graph.tensors.get(n)!;
              return [n, { dtype: t.dtype, shape: t.shape, data: allocate(t.dtype, elementCount(t.shape)) }] as const;
            }));
            try {
              runGraph(graph, feeds);
            } catch (e) {
              if (!(e instanceof CompileError)) throw new Error(`${path}: running a loaded mutant raised ${String(e)}`);
            }
          }
        } catch (e) {
          if (!(e instanceof CompileError)) throw new Error(`${path}: mutant raised ${String(e)}`);
          expect(e.format()).toMatch(/^error QGC\d{4}: /);
          errors++;
        }
        slowest = Math.max(slowest, performance.now() - t0);
      }
    });
    console.log(`fuzz: ${errors + loaded} mutants of ${sources.length} models: ${errors} CompileErrors, ${loaded} loaded; slowest ${slowest.toFixed(1)} ms`);
    expect(errors + loaded).toBeGreaterThanOrEqual(1000);
    expect(errors).toBeGreaterThan(400);
    expect(loaded).toBeGreaterThan(50);
    expect(slowest).toBeLessThan(1000);
  });

  function modelWith(dims: number[], inputDims?: number[]): Uint8Array {
    const w = onnx.TensorProto.create({ name: 'w', dataType: 1, dims, rawData: new Uint8Array(16) });
    const vi = (name: string, shape: number[]) =>
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'], name: 'add' }],
        initializer: [w],
        input: [vi('x', inputDims ?? [2, 2])],
        output: [vi('y', [2, 2])],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  it('refuses a 2^40 dimension before allocating anything', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const dims of [[2 ** 40], [2 ** 20, 2 ** 20], [2 ** 30, 2 ** 30, 2 ** 30]]) {
      const err = (() => {
        try {
          loadModelBytes(modelWith(dims));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(CompileError);
      expect((err as CompileError).code).toBe(ErrorCode.AbsurdSize);
      expect((err as CompileError).format()).toContain("tensor 'w'");
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses an absurd graph-input dimension', () => {
    expect(() => loadModelBytes(modelWith([2, 2], [2 ** 40, 2]))).toThrow(/more than|not a valid size/);
  });

  it('refuses raw data that does not match the declared shape', () => {
    expect(() => loadModelBytes(modelWith([3, 3]))).toThrow(/raw data has 16 bytes, but the shape needs 36/);
  });
});

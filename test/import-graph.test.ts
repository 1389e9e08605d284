/**
 * The import graph between top-level folders of src/ has no cycles.
 *
 * Every `import`, `import type`, `export ... from` and dynamic `import()` in src/**\/*.ts counts.
 * A node is a top-level folder of src/ (src/ir, src/quant, ...); a file directly in src/ (src/errors.ts)
 * is its own node. The allowed layering, lowest first (a folder imports only from folders before it):
 *
 *   errors, diagnostics, targets    the error type and its message table; targets reads only errors
 *   parallel                        the worker-thread pool (reads only errors)
 *   ir                              graph, ops, qops, dtype, intmath (the Q* arithmetic), rewrite helpers, cost
 *   interp                          kernels for IR ops (float and int8); knows nothing of ONNX
 *   onnx                            decode, import (folds constants with interp), export QDQ
 *   io                              .npy files (reads ONNX tensor helpers)
 *   quant                           calibration, scales, the int8 lowering table
 *   passes                          float passes, quantize, lowerQdq
 *   schedule                        quantized IR → target-independent schedule
 *   backends                        C (and later Wasm, WGSL)
 *   verify                          build, run and compare emitted code
 *   cli                             the qgc command
 *
 * The test checks acyclicity (the order above is one topological order of the graph it builds), and
 * that every relative import resolves to a file that exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');

/** Every .ts file under `dir`, as absolute paths. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The node of the graph a path under src/ belongs to: its top-level folder, or the file itself. */
function nodeOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.(js|ts)$/, '');
}

/** The module specifiers a source text imports (static, type-only, re-exports and dynamic imports). */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

interface FolderGraph {
  edges: Map<string, Map<string, string>>; // from → to → one file:specifier that makes the edge
  missing: string[]; // file: specifier that resolves to nothing
}

/** The folder graph of `files` (absolute path → text); `exists` says whether a resolved path exists. */
function folderGraph(files: ReadonlyMap<string, string>, exists: (p: string) => boolean): FolderGraph {
  const edges = new Map<string, Map<string, string>>();
  const missing: string[] = [];
  for (const [file, text] of files) {
    const from = nodeOf(file);
    for (const spec of importsOf(text)) {
      if (!spec.startsWith('.')) continue; // a package (node:fs, vitest, ...)
      const target = resolve(dirname(file), spec);
      const ts = target.replace(/\.js$/, '.ts');
      const where = `${relative(SRC, file)}: '${spec}'`;
      if (!target.startsWith(SRC + sep) || !(exists(ts) || exists(target))) {
        missing.push(where);
        continue;
      }
      const to = nodeOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, where);
    }
  }
  return { edges, missing };
}

/** One cycle of the graph as the edges that make it (`a → b (file: 'spec')`), or undefined. */
function findCycle(edges: FolderGraph['edges']): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of [...(edges.get(n)?.keys() ?? [])].sort()) {
      if (state.get(m) === 'open') {
        const loop = [...stack.slice(stack.indexOf(m)), m];
        return loop.slice(1).map((to, i) => `${loop[i]} → ${to} (${edges.get(loop[i])!.get(to)})`);
      }
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...edges.keys()].sort()) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** Why the graph is not acceptable, or [] when it is. */
function problems(files: ReadonlyMap<string, string>, exists: (p: string) => boolean): string[] {
  const g = folderGraph(files, exists);
  const out = g.missing.map((m) => `import of a file or folder that does not exist: ${m}`);
  const cycle = findCycle(g.edges);
  if (cycle) out.push(`import cycle between src/ folders: ${cycle.join(', ')}`);
  return out;
}

describe('import graph of src/', () => {
  it('has no cycle between top-level folders and no import of a missing file', () => {
    const files = new Map(tsFiles(SRC).map((f) => [f, readFileSync(f, 'utf8')]));
    expect(files.size).toBeGreaterThan(50);
    expect(problems(files, existsSync)).toEqual([]);
  });

  it('reads every kind of import, type imports included', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../ir/b.js';",
      'import {\n  c,\n  type D,\n} from "../quant/c.js";',
      "export { e } from '../interp/e.js';",
      "export type { F } from '../onnx/f.js';",
      "export * from '../io/g.js';",
      "const h = await import('../cli/h.js');",
      "import '../verify/side-effect.js';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.js', '../ir/b.js', '../quant/c.js', '../interp/e.js', '../onnx/f.js', '../io/g.js', '../cli/h.js', '../verify/side-effect.js']);
  });

  it('names a cycle, through type imports too', () => {
    const files = new Map([
      [join(SRC, 'ir/graph.ts'), "import type { Q } from '../quant/q.js';"],
      [join(SRC, 'quant/q.ts'), "import { g } from '../passes/p.js';"],
      [join(SRC, 'passes/p.ts'), "import type { G } from '../ir/graph.js';\nimport { CompileError } from '../errors.js';"],
      [join(SRC, 'errors.ts'), ''],
    ]);
    const all = new Set(files.keys());
    const found = problems(files, (p) => all.has(p));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^import cycle between src\/ folders: ir → quant \(ir\/graph\.ts: '\.\.\/quant\/q\.js'\), quant → passes .*, passes → ir /);
  });

  it('counts a file directly in src/ as its own node', () => {
    const files = new Map([
      [join(SRC, 'errors.ts'), "import { x } from './ir/x.js';"],
      [join(SRC, 'ir/x.ts'), "import { CompileError } from '../errors.js';"],
    ]);
    const all = new Set(files.keys());
    expect(problems(files, (p) => all.has(p))).toEqual([expect.stringMatching(/^import cycle between src\/ folders: errors → ir .*, ir → errors /)]);
  });

  it('fails on an import from a folder (or file) that does not exist', () => {
    const files = new Map([[join(SRC, 'passes/p.ts'), "import { s } from '../shedule/plan.js';\nimport { t } from './missing.js';"]]);
    const all = new Set(files.keys());
    expect(problems(files, (p) => all.has(p))).toEqual([
      "import of a file or folder that does not exist: passes/p.ts: '../shedule/plan.js'",
      "import of a file or folder that does not exist: passes/p.ts: './missing.js'",
    ]);
  });
});

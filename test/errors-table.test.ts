/** The diagnostics table (src/diagnostics.ts) is complete, in use, stable, and what errors print. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnostics, diagnosticRanges } from '../src/diagnostics.js';
import { CompileError, ErrorCode, diagnosticFor } from '../src/errors.js';
import { VerifyError, VerifyErrorCode } from '../src/verify/errors.js';

const srcDir = new URL('../src/', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

// The files that define the codes; every other file in src/ is where they are used.
const definitions = new Set(['diagnostics.ts', 'errors.ts', 'verify/errors.ts']);
const users = tsFiles(srcDir).filter((f) => !definitions.has(relative(srcDir, f).split('\\').join('/')));

/** Names used as `ErrorCode.X` or `VerifyErrorCode.X` in src/, with a file that uses each. */
function namesUsed(): Map<string, string> {
  const used = new Map<string, string>();
  for (const f of users) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\b(?:Verify)?ErrorCode\.([A-Za-z_$][\w$]*)/g)) {
      if (!used.has(m[1])) used.set(m[1], relative(srcDir, f));
    }
  }
  return used;
}

describe('diagnostics table', () => {
  it('keeps every code users see today (codes never change)', () => {
    expect(ErrorCode).toEqual({
      FileRead: 'QGC1001', MalformedModel: 'QGC1002', AbsurdSize: 'QGC1003', ExternalData: 'QGC1004',
      FileWrite: 'QGC1005', UnsupportedOp: 'QGC1101', UnsupportedOpset: 'QGC1102', BadAttribute: 'QGC1103',
      ShapeMismatch: 'QGC1104', UnsupportedDType: 'QGC1105', BadGraph: 'QGC1106', InvalidModel: 'QGC1110', BadInput: 'QGC1201', OverBudget: 'QGC1220',
      ToolMissing: 'QGC4001', CmsisNnMissing: 'QGC4002', BuildFailed: 'QGC4003', DoesNotFit: 'QGC4004',
      Timeout: 'QGC4005', RunFailed: 'QGC4006', Mismatch: 'QGC4007', Internal: 'QGC9000',
    });
  });

  it('gives every code a unique number, a title, a cause and an action', () => {
    const codes = Object.values(diagnostics).map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, d] of Object.entries(diagnostics)) {
      expect(d.code, name).toMatch(/^QGC\d{4}$/);
      for (const text of [d.title, d.cause, d.action]) {
        expect(text, `${name}: one sentence or more, ending with a full stop`).toMatch(/^(?:[A-Z`']|qgc\b).*[.]$/s);
        expect(text, `${name}: no line breaks`).not.toMatch(/\n/);
      }
      expect(d.title.length, `${name}: the title is one short line`).toBeLessThanOrEqual(80);
      expect(Number(d.code.slice(3)), `${name}: inside a documented range`).toBeGreaterThanOrEqual(diagnosticRanges[0].from);
      expect(diagnosticFor(d.code)).toBe(d);
    }
  });

  it('has a row for every code used in src/, and no row that src/ does not use', () => {
    const used = namesUsed();
    const table = new Set(Object.keys(diagnostics));
    const missing = [...used].filter(([n]) => !table.has(n)).map(([n, f]) => `${n} (used in ${f})`);
    expect(missing, 'codes used in src/ but missing from src/diagnostics.ts').toEqual([]);
    const unused = [...table].filter((n) => !used.has(n));
    expect(unused, 'rows of src/diagnostics.ts no file in src/ uses: remove them or use them').toEqual([]);
  });

  it('has no code written as a bare string in src/ that the table lacks', () => {
    const known = new Set<string>(Object.values(ErrorCode));
    const bare = users.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/QGC\d{4}/g)]
      .map((m) => m[0]).filter((c) => !known.has(c)).map((c) => `${c} in ${relative(srcDir, f)}`));
    expect(bare).toEqual([]);
  });

  it('gives the verifier its codes under the same names', () => {
    for (const [name, code] of Object.entries(VerifyErrorCode)) {
      expect(ErrorCode[name as keyof typeof ErrorCode], name).toBe(code);
      expect(code).toMatch(/^QGC4\d{3}$/);
    }
  });
});

describe('CompileError and VerifyError', () => {
  it('print the table\'s action when thrown without a hint, and the given hint otherwise', () => {
    const bare = new CompileError(ErrorCode.BadGraph, "tensor 'x' is used but never produced", { node: 'n', op: 'Add' });
    expect(bare.hint).toBe(diagnostics.BadGraph.action);
    expect(bare.format()).toBe(
      `error QGC1106: node 'n' (Add): tensor 'x' is used but never produced. ${diagnostics.BadGraph.action}`);
    const hinted = new CompileError(ErrorCode.BadGraph, 'cycle', {}, 'Break the cycle.');
    expect(hinted.format()).toBe('error QGC1106: cycle. Break the cycle.');
  });

  it('keep the one-line format: location, message and hint, line breaks folded', () => {
    const e = new CompileError(ErrorCode.ShapeMismatch, 'shapes differ:\n  [1, 2] vs [3]', { file: 'm.onnx', node: 'a', op: 'Add', tensor: 't' }, 'Fix it.');
    expect(e.format()).toBe("error QGC1104: m.onnx, node 'a' (Add), tensor 't': shapes differ: [1, 2] vs [3]. Fix it.");
  });

  it('VerifyError is a CompileError whose one line leaves out the tool output', () => {
    const e = new VerifyError(VerifyErrorCode.BuildFailed, 'net.c failed to compile for the host', undefined, 'net.c:1: error: x\nnet.c:2: error: y');
    expect(e).toBeInstanceOf(CompileError);
    expect(e).toBeInstanceOf(VerifyError);
    expect(e.name).toBe('VerifyError');
    expect(e.code).toBe('QGC4003');
    expect(e.output).toBe('net.c:1: error: x\nnet.c:2: error: y');
    expect(e.message).toBe('net.c failed to compile for the host\nnet.c:1: error: x\nnet.c:2: error: y');
    expect(e.format()).toBe(`error QGC4003: net.c failed to compile for the host. ${diagnostics.BuildFailed.action}`);
    expect(new VerifyError(VerifyErrorCode.ToolMissing, "'cc' was not found on PATH", 'Install it: apt-get install gcc.').format())
      .toBe("error QGC4001: 'cc' was not found on PATH. Install it: apt-get install gcc.");
  });
});

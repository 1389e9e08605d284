/** Error lines show control characters and bidi overrides from names and paths escaped, never raw. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeLines } from '../src/cli/terminal-text.js';
import { cli } from './support/cli.js';

// Anything a terminal would act on rather than print.
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex

describe('terminal-safe error text', () => {
  it('escapes C0, DEL, C1 and bidi overrides, and nothing else', () => {
    expect(terminalSafe('a\u001b[2Jb\u0000c\rd\u202ee')).toBe('a\\x1b[2Jb\\x00c\\x0dd\\u202ee');
    expect(terminalSafe('\t\n\u007f\u0080\u009b\u0085')).toBe('\\x09\\x0a\\x7f\\x80\\x9b\\x85');
    expect(terminalSafe('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe('\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069');
    const plain = "node 'conv_1' (Conv): caf\u00e9 \u4e2d\u6587 \u00a0[1, 2] \\path\u2029 \u{1f600}";
    expect(terminalSafe(plain)).toBe(plain);
    expect(terminalSafeLines('a\u001b\nb\r\n')).toBe('a\\x1b\nb\\x0d\n');
  });

  it('shows invalid UTF-8 (decoded as U+FFFD) escaped, and cuts a 5,000-character name with an ellipsis', () => {
    expect(terminalSafe("tensor 'a\ufffdb'")).toBe("tensor 'a\\ufffdb'");
    const line = terminalSafe(`error QGC1101: node '${'n'.repeat(5000)}' (Hardmax): op Hardmax is not supported`);
    expect(line.length).toBeLessThan(300);
    expect(line).toMatch(/^error QGC1101: node 'n{79}…\(4882 more\)…n{39}' \(Hardmax\): op Hardmax is not supported$/);
    // Anything up to 200 characters without a space stays whole.
    const path = `/models/${'x'.repeat(180)}.onnx`;
    expect(terminalSafe(path)).toBe(path);
  });

  it('prints a node name holding ESC[2J, NUL, CR and U+202E escaped in the one-line error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qgc-errors-'));
    const path = join(dir, 'evil\u202e.onnx');
    const { onnx } = await import('../src/onnx/proto.js');
    const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
    const name = 'x\u001b[2J\u0000y\rz\u202e';
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ name, opType: 'Hardmax', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
    });
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    for (const args of [['inspect', path], ['inspect', path, '--debug']]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).not.toMatch(RAW);
      const line = r.err.split('\n')[0];
      expect(line).toMatch(/^error QGC1101: /);
      expect(line).toContain("evil\\u202e.onnx, node 'x\\x1b[2J\\x00y\\x0dz\\u202e' (Hardmax): op Hardmax is not supported");
    }
  });
});

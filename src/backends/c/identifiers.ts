/**
 * Model names → safe C text. ONNX node and tensor names are arbitrary strings (quotes, `*\/`,
 * backslashes, newlines, non-ASCII letters, names that differ only in punctuation); every
 * identifier, comment and string literal qgc writes from them goes through this module.
 */
import { CompileError, ErrorCode } from '../../errors.js';

import { FreshNames } from '../../ir/names.js';

/** C99 keywords and names the emitted code or its headers use; a sanitized name never equals one. */
const RESERVED = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern',
  'float', 'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed',
  'sizeof', 'static', 'struct', 'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while',
  '_Bool', '_Complex', '_Imaginary', 'bool', 'true', 'false', 'NULL', 'main', 'arena',
]);

/** Longest identifier fragment kept from a name (C99 guarantees 63 significant characters
 * for internal identifiers; prefixes and suffixes are added to this). */
const MAX_FRAGMENT = 40;

/** Turns any string into `[A-Za-z_][A-Za-z0-9_]*`: accents are stripped (é → e), every other
 * character outside [A-Za-z0-9] becomes `_`, runs of `_` collapse, and leading/trailing `_` go
 * (so the result never starts with `_` + capital or `__`, which C reserves). May return ''. */
export function sanitizeFragment(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let s = ascii.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (s.length > MAX_FRAGMENT) s = s.slice(0, MAX_FRAGMENT).replace(/_+$/, '');
  return s;
}

/** Hands out unique C identifiers within one emitted program. */
export class IdentifierTable {
  private readonly used = new Set<string>();
  private readonly byKey = new Map<string, string>();
  private readonly fresh = new FreshNames((id) => this.used.has(id), 2);

  /** Marks names the templates write themselves so no generated identifier collides with them. */
  reserve(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** A unique identifier `prefix + sanitized(name)`; the same (prefix, name) always gets the
   * same identifier. Names that sanitize to the same text get `_2`, `_3`, ... in call order. */
  get(prefix: string, name: string): string {
    const key = `${prefix}\u0000${name}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    let base = prefix + (sanitizeFragment(name) || 'anon');
    if (base === '' || /^[0-9]/.test(base)) base = `t_${base}`;
    if (RESERVED.has(base)) base = `${base}_`;
    const id = this.fresh.pick(base);
    this.used.add(id);
    this.byKey.set(key, id);
    return id;
  }
}

/** Text that is safe inside a C block comment on one line: `*\/` and `/*` are broken apart,
 * `??` (trigraphs) split, backslashes doubled (no line splices), control characters and
 * non-ASCII characters written as `<U+XXXX>`, newlines as `\n`. */
export function commentText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += ' ';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20 || cp > 0x7e) out += `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`;
    else out += ch;
  }
  // Repeat until stable: breaking one pair can never create another, but be explicit.
  let prev = '';
  while (prev !== out) {
    prev = out;
    out = out.replace(/\*\//g, '* /').replace(/\/\*/g, '/ *').replace(/\?\?/g, '? ?');
  }
  return out;
}

/** A C string literal (with quotes) holding the UTF-8 bytes of `s`: printable ASCII as is,
 * everything else as three-digit octal escapes (which, unlike `\x`, never swallow a following
 * hex digit); `?` is escaped so no trigraph can form. */
export function cStringLiteral(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '?') out += '\\?';
    else if (b >= 0x20 && b <= 0x7e) out += ch;
    else out += '\\' + b.toString(8).padStart(3, '0');
  }
  return out + '"';
}

/** An upper-case macro prefix from the network name (`net` → `NET`). */
export function macroPrefix(cName: string): string {
  return cName.toUpperCase();
}

/** Checks a user-chosen network name: it becomes a C prefix and file names, so it must already
 * be a plain identifier. Returns an error message, or undefined when valid. */
export function checkNetName(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(name)) return `'${name}' is not a valid network name`;
  if (RESERVED.has(name) || name.startsWith('arm_') || name.startsWith('qgc_')) return `'${name}' is reserved`;
  return undefined;
}

/** Throws the error of checkNetName, if any, with what to do. */
export function requireNetName(name: string): void {
  const bad = checkNetName(name);
  if (bad) throw new CompileError(ErrorCode.BadInput, bad, {}, 'Use --name with an identifier of up to 32 characters (letters, digits, _), e.g. net.');
}

/** The macro infixes of a network's API inputs and outputs: `INPUT` / `OUTPUT` for a network
 * with one of each (`<NAME>_INPUT_SIZE`), else one per tensor named after it (`INPUT_A`,
 * `OUTPUT_LOGITS`, unique). */
export function apiTags(inputs: readonly string[], outputs: readonly string[]): { inputs: string[]; outputs: string[] } {
  if (inputs.length === 1 && outputs.length === 1) return { inputs: ['INPUT'], outputs: ['OUTPUT'] };
  const macros = new IdentifierTable();
  const tag = (kind: string, name: string) => macros.get(`${kind}_`, (sanitizeFragment(name) || 'anon').toUpperCase());
  return { inputs: inputs.map((n) => tag('INPUT', n)), outputs: outputs.map((n) => tag('OUTPUT', n)) };
}

/**
 * Makes text from models and paths safe to print on a terminal. A node name or file name can
 * hold escape sequences (ESC[2J clears the screen), carriage returns that overwrite what came
 * before, or bidi overrides that make a line read differently from what it says; printed raw,
 * they let a model file forge or hide the diagnostic about it.
 */

// C0 controls, DEL, C1 controls, and the bidi embeddings/overrides/isolates (matching control
// characters is the point here).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character and bidi override shown escaped (`\x1b`, `\u202e`); newlines included. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** Like terminalSafe, but keeps the line breaks of multi-line text (a stack trace). */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}

/**
 * Makes text from models and paths safe to print on a terminal. A node name or file name can
 * hold escape sequences (ESC[2J clears the screen), carriage returns that overwrite what came
 * before, or bidi overrides that make a line read differently from what it says; printed raw,
 * they let a model file forge or hide the diagnostic about it.
 */

// C0 controls, DEL, C1 controls, the bidi embeddings/overrides/isolates, and U+FFFD (what
// invalid UTF-8 in a model's strings decodes to) (matching control characters is the point here).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffd]/g;

/** Runs of this many characters without a space (a 5,000-character tensor name) are cut. */
const LONG_RUN = 200;

function escape(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** A run longer than LONG_RUN shown as its start and end around an ellipsis that counts what was cut. */
function shorten(run: string): string {
  return `${run.slice(0, 80)}…(${run.length - 120} more)…${run.slice(-40)}`;
}

/** `text` with every control character, bidi override and replacement character shown escaped
 * (`\x1b`, `\u202e`, `\ufffd`; newlines included), and runs of more than 200 characters
 * without a space cut with an ellipsis. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape).replace(new RegExp(`[^\\s]{${LONG_RUN + 1},}`, 'g'), shorten);
}

/** Like terminalSafe, but keeps the line breaks of multi-line text (a stack trace). */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}

/**
 * Control characters (a newline, ESC of a terminal escape sequence), the line and paragraph separators,
 * and every bidirectional control (Unicode's Bidi_Control: the embeddings, overrides and isolates, and the
 * LRM, RLM and ALM marks): shown escaped, so a name or description cannot forge a line, colours, or
 * reorder the text around it.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Bidi_Control}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` as one printable line, the one escaping every demo uses for what a file or a client gave it
 * (a bundle's folder name, a data source's description): a newline, carriage return and tab as `\n`,
 * `\r`, `\t`, any other control character or bidirectional control as `\u001b` (`\u200f`). This module imports
 * nothing, so a worker thread can take it (`@appliedml/demo-kit/printable`) without the service.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

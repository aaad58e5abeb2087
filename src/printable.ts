// Untrusted text made safe to show: what a server, a token's claims, Entra's descriptions or the
// user's own input put into a report can carry ESC, BEL, NUL, C1 controls or bidi overrides, which
// would move the cursor, retitle or clear the terminal, hide a FAIL line, or show text in another
// order than it runs. Renderers pass every such value through printable() where it enters the
// text; the renderer's own colours (chalk's SGR codes) are added after, so they stay.
//
// Shown instead, visibly: \xNN for C0, DEL and C1 (as the transcript already does), \uXXXX for the
// rest. A backslash is not escaped: `\x1b` sent as four characters reads the same, which is harmless.

/**
 * C0 (with \t, \n, \r), DEL, C1; the bidi controls (ALM, LRM, RLM, LRE…RLO, LRI…PDI); the line
 * and paragraph separators; U+FEFF; U+FFFE/U+FFFF (not characters: XML 1.0 refuses them); lone
 * surrogates (no character at all).
 */
const UNSAFE =
  /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE_BUT_NEWLINE =
  /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function shown(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text: nothing in it can act on a terminal, and it cannot start a new line. */
export function printable(text: string): string {
  return text.replace(UNSAFE, shown);
}

/**
 * Untrusted text that may span lines (an error description, a fix): as printable(), but `\n`
 * stays; `\r\n` becomes `\n` first (Entra's descriptions use it), and a lone `\r` is escaped.
 */
export function printableLines(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE_BUT_NEWLINE, shown);
}

/** True when printable() would change nothing: a value fit to be shown as it is. */
export function isPrintable(text: string): boolean {
  return printable(text) === text;
}

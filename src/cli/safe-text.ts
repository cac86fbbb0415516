// Text from the library (file names, tags, error messages that quote them) reaches a terminal. A name
// holding ESC could move the cursor, clear the screen or set the window title, a carriage return
// could overwrite what was printed, and bidi controls could reorder a line: every such character is
// shown escaped instead. Bytes of names that are not UTF-8 (stored as private-use escapes, see
// src/providers/path-bytes.ts) are shown as the `\xHH` they are.

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\u{10ff00}-\u{10ffff}]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\u001b': '\\e' };

export function safeText(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED[ch];
    if (named) return named;
    const code = ch.codePointAt(0)!;
    if (code >= 0x10ff00) return `\\x${(code - 0x10ff00).toString(16).toUpperCase().padStart(2, '0')}`;
    return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

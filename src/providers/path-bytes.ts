// File names are bytes, library paths are text. Most names are UTF-8, but old rips carry Latin-1
// names (`Beyonc\xe9 - Halo.mp3`) that no decoder turns into text without losing bytes, and the
// file could then never be opened again. So each byte of an invalid UTF-8 sequence becomes one
// private-use code point, U+10FF00 + byte (only bytes 0x80..0xFF can be invalid, so the escapes
// are U+10FF80..U+10FFFF, at the very end of Supplementary Private Use Area-B). A name that really
// contains one of those characters has its UTF-8 bytes escaped too, so no two byte strings share a
// text: `textToBytes(bytesToText(b))` is `b` for every `b`.

const ESCAPE_BASE = 0x10ff00;
const FIRST_ESCAPE = ESCAPE_BASE + 0x80;
const ESCAPES = /[\u{10FF80}-\u{10FFFF}]/u;
const ESCAPE_RUNS = /[\u{10FF80}-\u{10FFFF}]+/gu;
const LONE_SURROGATE = /\p{Cs}/u;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a file name's bytes: UTF-8 where the bytes are UTF-8, one escape per other byte. */
export function bytesToText(bytes: Uint8Array): string {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !ESCAPES.test(text)) return text;
  return decodeEscaping(bytes);
}

/** The bytes a text from `bytesToText` came from. Throws a RangeError on a text no name can have
 * (a lone surrogate): encoding it would silently name another file. */
export function textToBytes(text: string): Buffer {
  if (LONE_SURROGATE.test(text)) throw new RangeError(`not a file name: ${JSON.stringify(text)} holds a lone surrogate`);
  if (!ESCAPES.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (const match of text.matchAll(ESCAPE_RUNS)) {
    parts.push(Buffer.from(text.slice(from, match.index), 'utf8'));
    parts.push(Buffer.from(Array.from(match[0], (ch) => ch.codePointAt(0)! - ESCAPE_BASE)));
    from = match.index + match[0].length;
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

// Windows-1252's 0x80..0x9F; its five undefined bytes stay the Latin-1 control characters.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** A path for people: each escaped byte shown as the Windows-1252 character it most likely was
 * (such names come from Windows and old Latin-1 systems), so `Beyonc\xe9` reads `Beyoncé`. Not
 * reversible: keep the path itself for anything but display. */
export function displayName(text: string): string {
  if (!ESCAPES.test(text)) return text;
  return text.replace(ESCAPE_RUNS, (run) =>
    Array.from(run, (ch) => {
      const byte = ch.codePointAt(0)! - ESCAPE_BASE;
      return byte < 0xa0 ? CP1252_HIGH[byte - 0x80]! : String.fromCharCode(byte);
    }).join(''),
  );
}

/** Decodes UTF-8 one well-formed sequence at a time (Unicode's table 3-7); a byte that starts no
 * well-formed sequence, and every byte of a character in the escape range, becomes an escape. */
function decodeEscaping(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = wellFormedLength(bytes, i);
    if (length === 0) {
      out += String.fromCodePoint(ESCAPE_BASE + bytes[i]!);
      i += 1;
      continue;
    }
    const char = strictUtf8.decode(bytes.subarray(i, i + length));
    if (char.codePointAt(0)! >= FIRST_ESCAPE) {
      for (let k = i; k < i + length; k++) out += String.fromCodePoint(ESCAPE_BASE + bytes[k]!);
    } else {
      out += char;
    }
    i += length;
  }
  return out;
}

/** The length of the well-formed UTF-8 sequence at `i`, or 0 when none starts there. */
function wellFormedLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80; // no overlong forms
    const hi = b0 === 0xed ? 0x9f : 0xbf; // no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80; // no overlong forms
    const hi = b0 === 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

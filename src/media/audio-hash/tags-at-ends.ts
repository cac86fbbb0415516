// Tags that wrap audio rather than live inside a container: ID3v2 tags before it (several may be
// stacked), and at the end APEv1/APEv2, Lyrics3v2, ID3v1 (with Enhanced TAG+) and appended ID3v2.4.
// A retag rewrites these and nothing between them, so the audio is what lies in between.
import { truncated } from '../errors.ts';
import { ascii, type HeaderReader, u32le } from './header-reader.ts';

const syncsafe = (b: Uint8Array, at: number): number | undefined => {
  let n = 0;
  for (let i = at; i < at + 4; i++) {
    if (b[i]! & 0x80) return undefined;
    n = n * 128 + b[i]!;
  }
  return n;
};

/** The length of the ID3v2 tag whose 10-byte header (or footer, `3DI`) is at `at`, or undefined. */
function id3v2Length(b: Uint8Array, at: number, magic: 'ID3' | '3DI'): number | undefined {
  if (b.length < at + 10 || ascii(b, at, 3) !== magic) return undefined;
  const version = b[at + 3]!;
  if (version < 2 || version > 4 || b[at + 4] === 0xff) return undefined;
  const size = syncsafe(b, at + 6);
  if (size === undefined) return undefined;
  const footer = magic === '3DI' || (b[at + 5]! & 0x10) !== 0;
  return 10 + size + (footer ? 10 : 0);
}

/** Where the bytes after the ID3v2 tags at the start of the file begin (0 when there are none). */
export async function afterLeadingId3v2(io: HeaderReader): Promise<number> {
  let at = 0;
  for (let guard = 0; guard < 64; guard++) {
    const length = id3v2Length(await io.bytes(at, 10), 0, 'ID3');
    if (length === undefined) break;
    if (at + length > io.size) throw truncated(`its ID3v2 tag claims ${at + length} bytes, the file has ${io.size}`);
    at += length;
  }
  return at;
}

/** Where the tags at the end of [start, end) begin (`end` when there are none). */
export async function beforeTrailingTags(io: HeaderReader, start: number, end: number): Promise<number> {
  let at = end;
  for (let guard = 0; guard < 16; guard++) {
    const tag = await trailingTagStart(io, start, at);
    if (tag === undefined) break;
    at = tag;
  }
  return at;
}

async function trailingTagStart(io: HeaderReader, start: number, end: number): Promise<number | undefined> {
  const room = end - start;
  const tail = await io.before(end, Math.min(room, 256));
  const has = (length: number) => tail.length >= length;
  const at = (back: number) => tail.length - back; // index in `tail` of the byte `back` bytes before `end`

  // APEv1/APEv2: a 32-byte footer; its size counts the items and the footer, not the optional header.
  if (has(32) && ascii(tail, at(32), 8) === 'APETAGEX') {
    const version = u32le(tail, at(32) + 8);
    const size = u32le(tail, at(32) + 12);
    const flags = u32le(tail, at(32) + 20);
    const withHeader = version === 2000 && (flags & 0x80000000) !== 0;
    const tagStart = end - size - (withHeader ? 32 : 0);
    if ((version === 1000 || version === 2000) && size >= 32 && tagStart >= start) return tagStart;
    return undefined;
  }
  // Lyrics3v2: `LYRICSBEGIN` … then a 6-digit size (of everything from LYRICSBEGIN) and `LYRICS200`.
  if (has(15) && ascii(tail, at(9), 9) === 'LYRICS200') {
    const digits = ascii(tail, at(15), 6);
    const size = /^\d{6}$/.test(digits) ? Number(digits) : -1;
    const tagStart = end - 15 - size;
    if (size >= 11 && tagStart >= start && ascii(await io.bytes(tagStart, 11), 0, 11) === 'LYRICSBEGIN') return tagStart;
    return undefined;
  }
  // An ID3v2.4 tag appended at the end, found by its footer.
  if (has(10)) {
    const length = id3v2Length(tail, at(10), '3DI');
    if (length !== undefined && end - length >= start) return end - length;
  }
  // ID3v1 (128 bytes, `TAG`), preceded by Enhanced TAG+ (227 bytes, `TAG+`) when present. Looked for
  // last: `TAG` is also in the middle of an APE tag's `APETAGEX`, which the checks above recognise whole.
  if (has(128) && ascii(tail, at(128), 3) === 'TAG') {
    const plus = end - 128 - 227;
    if (plus >= start && ascii(await io.bytes(plus, 4), 0, 4) === 'TAG+') return plus;
    return end - 128;
  }
  return undefined;
}

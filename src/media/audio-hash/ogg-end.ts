// An Ogg file's end, judged from its last bytes alone: the last page must be whole and, when it ends
// the file, be its stream's end-of-stream page. A page is trusted as the last one only when the page
// before it ends exactly where it starts (a chain), so bytes that merely look like a page header in
// the audio prove nothing.
import { truncated } from '../errors.ts';

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const HEADER = 27;

interface PageAt {
  at: number;
  /** Offset just past the page, or undefined when its header or body runs past the bytes given. */
  end: number | undefined;
  eos: boolean;
  serial: number;
}

function pageAt(b: Uint8Array, at: number): PageAt | undefined {
  if (at + 5 > b.length || CAPTURE.some((c, k) => b[at + k] !== c) || b[at + 4] !== 0) return undefined;
  const serial = at + 18 <= b.length ? (b[at + 14]! | (b[at + 15]! << 8) | (b[at + 16]! << 16) | (b[at + 17]! << 24)) >>> 0 : 0;
  const eos = at + 6 <= b.length && (b[at + 5]! & 0x04) !== 0;
  if (at + HEADER > b.length) return { at, end: undefined, eos, serial };
  const segments = b[at + 26]!;
  if (at + HEADER + segments > b.length) return { at, end: undefined, eos, serial };
  let body = 0;
  for (let k = 0; k < segments; k++) body += b[at + HEADER + k]!;
  const end = at + HEADER + segments + body;
  return { at, end: end <= b.length ? end : undefined, eos, serial };
}

function lastPageBefore(b: Uint8Array, before: number): PageAt | undefined {
  for (let i = b.lastIndexOf(0x4f, before - 1); i >= 0; i = i > 0 ? b.lastIndexOf(0x4f, i - 1) : -1) {
    const page = pageAt(b, i);
    if (page) return page;
  }
  return undefined;
}

/** `tail`: the file's last bytes (the whole file's end). Throws TruncatedFileError for a cut file. */
export function checkOggEnd(tail: Uint8Array): void {
  const last = lastPageBefore(tail, tail.length);
  if (!last) return;
  const before = lastPageBefore(tail, last.at);
  if (!before || before.end !== last.at) return; // not a page of the chain: nothing to judge by
  if (last.end === undefined) throw truncated('its last Ogg page is incomplete');
  if (last.end === tail.length && !last.eos) throw truncated(`its Ogg stream ${last.serial} has no end-of-stream page`);
}

// RIFF (WAV) and IFF (AIFF) files: a container header, then chunks of a 4-letter id, a 32-bit
// size (little-endian in RIFF, big-endian in IFF) and a body padded to an even length.
import { ascii, type HeaderReader, isFourCC, u32be, u32le } from './header-reader.ts';

export interface Chunk {
  id: string;
  /** Offset of the chunk's 8-byte header. */
  at: number;
  /** The size its header states. */
  size: number;
}

/** The chunks between `from` and `to`, header by header; stops at bytes that are no chunk id. A chunk
 * may claim more than `to` holds: the caller judges it, and the walk ends after it. */
export async function* iffChunks(io: HeaderReader, from: number, to: number, littleEndian: boolean): AsyncGenerator<Chunk> {
  let at = from;
  while (at + 8 <= to) {
    const h = await io.bytes(at, 8);
    if (h.length < 8 || !isFourCC(h, 0)) return;
    const size = littleEndian ? u32le(h, 4) : u32be(h, 4);
    yield { id: ascii(h, 0, 4), at, size };
    at += 8 + size + (size & 1);
  }
}

// Small ranged reads for the walks over boxes, chunks and blocks: each fetch asks the provider for
// at least 1 KiB, so the next header nearby (the next chunk, the tag before the one just found at
// the end) is usually already here.
import type { RandomAccessReader } from '../../providers/types.ts';

const MIN_FETCH = 1024;

export class HeaderReader {
  readonly size: number;
  private readonly reader: RandomAccessReader;
  private cached = new Uint8Array(0);
  private cachedAt = 0;

  constructor(reader: RandomAccessReader) {
    this.reader = reader;
    this.size = reader.size;
  }

  /** Up to `length` bytes at `position` (fewer only at the end of the file). */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, position + length);
    if (position < 0 || end <= position) return new Uint8Array(0);
    if (position >= this.cachedAt && end <= this.cachedAt + this.cached.length) {
      return this.cached.subarray(position - this.cachedAt, end - this.cachedAt);
    }
    const fetchEnd = Math.min(this.size, Math.max(end, position + MIN_FETCH));
    await this.fetch(position, fetchEnd);
    return this.cached.subarray(0, Math.min(end - position, this.cached.length));
  }

  /** The last `length` bytes before `end` (fewer near the start of the file). */
  async before(end: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, end - length);
    if (start >= this.cachedAt && end <= this.cachedAt + this.cached.length) {
      return this.cached.subarray(start - this.cachedAt, end - this.cachedAt);
    }
    await this.fetch(Math.max(0, Math.min(start, end - MIN_FETCH)), end);
    return this.cached.subarray(start - this.cachedAt, end - this.cachedAt);
  }

  private async fetch(start: number, end: number): Promise<void> {
    const buffer = new Uint8Array(end - start);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await this.reader.read(buffer, filled, buffer.length - filled, start + filled);
      if (n === 0) break;
      filled += n;
    }
    this.cached = buffer.subarray(0, filled);
    this.cachedAt = start;
  }
}

export const ascii = (b: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...b.subarray(at, at + length));

export const u32be = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

export const u32le = (b: Uint8Array, at: number): number =>
  ((b[at + 3]! << 24) >>> 0) + (b[at + 2]! << 16) + (b[at + 1]! << 8) + b[at]!;

export const u64be = (b: Uint8Array, at: number): number => u32be(b, at) * 2 ** 32 + u32be(b, at + 4);

export const u64le = (b: Uint8Array, at: number): number => u32le(b, at + 4) * 2 ** 32 + u32le(b, at);

/** Four bytes that read as a box, chunk or tag name (printable ASCII, `©` allowed as in QuickTime). */
export function isFourCC(b: Uint8Array, at: number): boolean {
  if (at + 4 > b.length) return false;
  for (let i = at; i < at + 4; i++) {
    const c = b[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0xa9) return false;
  }
  return true;
}

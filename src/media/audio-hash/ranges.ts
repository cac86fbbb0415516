// The audio of most containers is one or a few byte ranges (an mdat payload, a data chunk, the MPEG
// frames between the tags): this filter hashes exactly those bytes and lets checks watch them.
import { createHash } from 'node:crypto';
import type { AudioFilter, Range, StreamCheck } from './types.ts';

export class RangeFilter implements AudioFilter {
  private readonly hash = createHash('sha256');
  private readonly ranges: readonly Range[];
  private readonly checks: readonly StreamCheck[];
  private next = 0; // index of the first range not wholly hashed
  private done = 0; // absolute offset up to which bytes were taken

  /** `ranges` in file order, not overlapping. */
  constructor(ranges: readonly Range[], checks: readonly StreamCheck[] = []) {
    this.ranges = ranges;
    this.checks = checks;
  }

  /** Where the audio ends (tags may follow). */
  get audioEnd(): number {
    return this.ranges.at(-1)?.[1] ?? 0;
  }

  update(window: Uint8Array, start: number): void {
    const end = start + window.length;
    while (this.next < this.ranges.length) {
      const [from, to] = this.ranges[this.next]!;
      const a = Math.max(from, this.done, start);
      const b = Math.min(to, end);
      if (a < b) this.hash.update(window.subarray(a - start, b - start));
      if (to > end) break;
      this.next += 1;
    }
    this.done = end;
    for (const check of this.checks) check.update(window, start);
  }

  finish(): string | undefined {
    for (const check of this.checks) check.finish();
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Keeps the last bytes of a range as they go by, for checks that read a format's end. */
export class TailKeeper {
  start: number;
  bytes: Uint8Array;
  private filled = 0;

  /** The last `length` bytes of [from, to). */
  constructor(from: number, to: number, length: number) {
    this.start = Math.max(from, to - length);
    this.bytes = new Uint8Array(to - this.start);
  }

  update(window: Uint8Array, start: number): void {
    if (this.filled === 0 && start > this.start && start < this.start + this.bytes.length) {
      // Only the file's end was read: keep what there is of the tail.
      this.bytes = this.bytes.subarray(start - this.start);
      this.start = start;
    }
    const want = this.start + this.filled;
    const end = start + window.length;
    if (end <= want || this.filled === this.bytes.length) return;
    const n = Math.min(end - want, this.bytes.length - this.filled);
    this.bytes.set(window.subarray(want - start, want - start + n), this.filled);
    this.filled += n;
  }

  /** The bytes kept, fewer than asked if the file ended early. */
  get kept(): Uint8Array {
    return this.bytes.subarray(0, this.filled);
  }
}

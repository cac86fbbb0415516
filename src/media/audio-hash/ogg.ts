// Ogg (Vorbis, Opus, Speex, FLAC, Theora): a streaming page parser that hashes packet payloads only,
// per logical stream, leaving out the comment packets (see ogg-stream.ts). A last page cut short, or
// a stream without its end-of-stream page, means the file was cut.
import { createHash } from 'node:crypto';
import { truncated } from '../errors.ts';
import { ascii, u32le } from './header-reader.ts';
import { LogicalStream } from './ogg-stream.ts';
import type { FormatModule } from './registry.ts';
import type { AudioFilter } from './types.ts';

const HEADER = 27;
const MAX_STREAMS = 1024;

interface Page {
  stream: LogicalStream;
  lacing: Uint8Array;
  segment: number;
  /** Bytes of the current segment still to come. */
  left: number;
  ends: boolean;
  eos: boolean;
}

export class OggFilter implements AudioFilter {
  private at = 0;
  private page: Page | undefined;
  /** A page header was found at `at`, but the file ended before all of it. */
  private cutHeader = false;
  private unusable = false;
  private readonly live = new Map<number, LogicalStream>();
  private readonly streams: LogicalStream[] = [];
  private readonly digests = new Map<LogicalStream, Buffer>();
  // A run of bytes of one stream to hash, [runFrom, runTo) in the current window.
  private run: LogicalStream | undefined;
  private runFrom = 0;
  private runTo = 0;
  private window: Uint8Array = new Uint8Array(0);

  update(window: Uint8Array, start: number): void {
    const end = start + window.length;
    this.window = window;
    while (this.at < end && !this.unusable) {
      if (this.page) this.body(window, start, end);
      else if (!this.header(window, start, end)) break;
    }
    this.flush();
  }

  finish(): string | undefined {
    if (this.page || this.cutHeader) throw truncated('its last Ogg page is incomplete');
    if (this.unusable || this.streams.length === 0) return undefined;
    const open = this.streams.find((s) => !s.ended);
    if (open) throw truncated(`its Ogg stream ${open.serial} has no end-of-stream page`);
    const digests = this.streams.map((s) => this.digests.get(s)!);
    const digest = digests.length === 1 ? digests[0]! : createHash('sha256').update(Buffer.concat(digests)).digest();
    return `sha256:${digest.toString('hex')}`;
  }

  /** Reads the page header at `at`, or skips to the next capture pattern; false to wait for bytes. */
  private header(window: Uint8Array, start: number, end: number): boolean {
    const i = this.at - start;
    this.cutHeader = false;
    if (end - this.at < HEADER) {
      this.cutHeader = end - this.at >= 4 && ascii(window, i, 4) === 'OggS';
      return false;
    }
    if (ascii(window, i, 4) !== 'OggS' || window[i + 4] !== 0) {
      // Not a page: bytes between pages (junk, a foreign tag) are skipped to the next capture pattern.
      const next = Buffer.from(window.buffer, window.byteOffset, window.length).indexOf('OggS', i + 1, 'latin1');
      this.at = next < 0 ? Math.max(this.at + 1, end - 3) : start + next;
      return true;
    }
    const flags = window[i + 5]!;
    const segments = window[i + 26]!;
    if (end - this.at < HEADER + segments) {
      this.cutHeader = true;
      return false;
    }
    const serial = u32le(window, i + 14);
    let stream = this.live.get(serial);
    if (!stream || flags & 0x02) {
      if (stream) this.close(stream);
      if (this.streams.length === MAX_STREAMS) {
        this.unusable = true;
        return false;
      }
      const created: LogicalStream = new LogicalStream(serial, () => {
        if (this.run === created) this.flush();
      });
      this.live.set(serial, created);
      this.streams.push(created);
      stream = created;
    }
    // A packet left open by the page before, yet this page does not continue it: a page was lost.
    if (stream.open && !(flags & 0x01)) stream.endPacket();
    this.page = {
      stream,
      lacing: window.slice(i + HEADER, i + HEADER + segments),
      segment: 0,
      left: 0,
      ends: false,
      eos: (flags & 0x04) !== 0,
    };
    this.at += HEADER + segments;
    return true;
  }

  /** Takes the page body's bytes, segment by segment, as far as the window goes. */
  private body(window: Uint8Array, start: number, end: number): void {
    const page = this.page!;
    const stream = page.stream;
    for (;;) {
      if (page.left === 0) {
        if (page.segment === page.lacing.length) break;
        const length = page.lacing[page.segment++]!;
        page.left = length;
        page.ends = length < 255;
        if (!stream.open) stream.startPacket();
        if (length === 0) {
          stream.endPacket();
          continue;
        }
      }
      if (this.at >= end) break;
      const from = this.at - start;
      const n = Math.min(page.left, end - this.at);
      const hashFrom = stream.take(window, from, from + n);
      if (hashFrom < from + n) this.hashRun(stream, hashFrom, from + n);
      this.at += n;
      page.left -= n;
      if (page.left === 0 && page.ends) stream.endPacket();
    }
    if (page.left === 0 && page.segment === page.lacing.length) {
      this.page = undefined;
      if (page.eos) this.close(stream);
    }
  }

  private hashRun(stream: LogicalStream, from: number, to: number): void {
    if (this.run === stream && this.runTo === from) {
      this.runTo = to;
      return;
    }
    this.flush();
    this.run = stream;
    this.runFrom = from;
    this.runTo = to;
  }

  /** Hashes the run held back (runs of one stream's bytes are hashed in one call each). */
  private flush(): void {
    const run = this.run;
    this.run = undefined;
    if (run && this.runTo > this.runFrom) run.update(this.window.subarray(this.runFrom, this.runTo));
  }

  private close(stream: LogicalStream): void {
    if (stream.ended) return;
    if (stream.open) stream.endPacket();
    stream.ended = true;
    this.digests.set(stream, stream.digest());
    this.live.delete(stream.serial);
  }
}

export const ogg: FormatModule = {
  name: 'ogg',
  matches: (head) => ascii(head, 0, 4) === 'OggS',
  plan: async () => ({ scope: 'stream', format: 'ogg', filter: new OggFilter() }),
};

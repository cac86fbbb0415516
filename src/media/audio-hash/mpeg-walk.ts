// Walks MPEG (or ADTS) frames header to header through the audio, as the hash pass streams it: a
// last frame that runs past the end of the audio, zeros where the frames should go on (a download
// whose space was reserved but never filled), or fewer frames or bytes than the first frame's
// Xing/Info/VBRI tag states, mean the file was cut. Only frames where one was due count (right
// after the tags, or where the frame before ended), so bytes that merely look like a header in the
// middle of other data never decide anything.
import { truncated } from '../errors.ts';
import { type FrameSyntax, STATED_LENGTH_BYTES, type StatedLength, statedLength } from './mpeg-frames.ts';
import type { StreamCheck } from './types.ts';

/** Zeros after the last frame beyond this are space reserved for audio that never came; no encoder
 * pads a stream with that many (the largest MPEG frame is under 3 KiB). */
const ZERO_FILL = 64 * 1024;

export class FrameWalk implements StreamCheck {
  private readonly syntax: FrameSyntax;
  private readonly start: number;
  private readonly end: number;
  private readonly fileSize: number;
  private at: number;
  /** The stream's frame kind, once two chained frames agree on it. */
  private kind: number | undefined;
  private previous: { end: number; kind: number } | undefined;
  /** The last frame found, and whether one was due where it was found. */
  private last: { end: number; due: boolean } | undefined;
  private run = 0;
  private frames = 0;
  private runStated: StatedLength | undefined;
  private stated: StatedLength | undefined;
  /** Whether any byte after the last frame so far was not zero. */
  private dataAfterLast = false;
  /** Whether bytes were skipped (only the audio's ends were read): frames can no longer be counted. */
  private sampled = false;

  /** Frames of [start, end) in a file of `fileSize` bytes. */
  constructor(syntax: FrameSyntax, start: number, end: number, fileSize: number) {
    this.syntax = syntax;
    this.start = start;
    this.at = start;
    this.end = end;
    this.fileSize = fileSize;
  }

  update(window: Uint8Array, start: number): void {
    if (start > this.at) {
      // A window past a gap: the walk finds the frames again from here on.
      this.closeRun();
      this.previous = undefined;
      this.at = start;
      this.sampled = true;
    }
    const windowEnd = start + window.length;
    const need = this.syntax.headerBytes;
    while (this.at < this.end && this.at + need <= windowEnd) {
      const i = this.at - start;
      const header = this.syntax.parse(window, i);
      if (!header || (this.kind !== undefined && header.kind !== this.kind)) {
        this.closeRun();
        const found = window.indexOf(0xff, i + 1);
        const next = found < 0 ? window.length : found;
        if (!this.dataAfterLast) this.dataAfterLast = window.subarray(i, Math.min(next, this.end - start)).some((b) => b !== 0);
        this.at = start + next;
        continue;
      }
      const follows = this.previous !== undefined && this.previous.end === this.at && this.previous.kind === header.kind;
      if (!follows && this.kind === undefined) {
        // The first frame of what may become the stream: its Xing/VBRI tag, read whole.
        const look = Math.min(header.length, STATED_LENGTH_BYTES, this.end - this.at);
        if (this.at + look > windowEnd) break;
        this.runStated = statedLength(window.subarray(0, i + look), i, header);
      }
      if (follows) {
        this.run += 1;
        if (this.kind === undefined) {
          this.kind = header.kind;
          this.stated = this.runStated;
        }
      } else {
        this.closeRun();
        this.run = 1;
      }
      this.previous = { end: this.at + header.length, kind: header.kind };
      this.last = { end: this.previous.end, due: follows || this.at === this.start };
      this.dataAfterLast = false;
      this.at = this.previous.end;
    }
  }

  finish(): void {
    this.closeRun();
    const last = this.last;
    if (last?.due && last.end > this.end) {
      throw truncated(`its last frame needs ${last.end - this.end} bytes more than the file holds`);
    }
    if (last?.due && this.kind !== undefined && !this.dataAfterLast && this.end - last.end >= ZERO_FILL) {
      throw truncated(`its last ${this.end - last.end} bytes of audio are zeros where frames should be`);
    }
    const stated = this.stated;
    if (stated?.bytes !== undefined && stated.bytes > this.fileSize) {
      throw truncated(`its ${stated.tag} header counts ${stated.bytes} bytes, the file has ${this.fileSize}`);
    }
    // Encoders disagree on whether the count includes the tag's own frame; a frame or two of slack,
    // and 1% for streams with a damaged frame or two, keep complete files from being judged cut.
    if (!this.sampled && stated?.frames !== undefined && this.frames + Math.max(2, stated.frames / 100) < stated.frames) {
      throw truncated(`its ${stated.tag} header counts ${stated.frames} frames, the file holds ${this.frames}`);
    }
  }

  private closeRun(): void {
    if (this.run >= 2) this.frames += this.run;
    this.run = 0;
  }
}

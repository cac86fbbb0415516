// What every container format's module hands the hash pass: how to hash the audio alone.
import type { AudioHashScope } from '../../contract/track.ts';

/**
 * Takes the file's bytes in order, in the one pass that also hashes the whole file. Each call's
 * `window` ends at the newest byte read and starts at absolute offset `start`; it repeats up to
 * `LOOKBACK` bytes from before, so a header cut in two by a read boundary is whole in the next
 * window. A filter keeps its own cursor and never takes a byte twice.
 */
export interface AudioFilter {
  update(window: Uint8Array, start: number): void;
  /** After the last byte: the audio hash (`sha256:<hex>`), or undefined when the bytes did not have
   * the structure the format promised (the whole file then stands for the audio). Throws
   * UnreadableFileError when the structure shows bytes are missing at the end. */
  finish(): string | undefined;
}

/** A check that watches the audio bytes go by (frame walks, the last frame) without hashing them. */
export interface StreamCheck {
  update(window: Uint8Array, start: number): void;
  /** Throws UnreadableFileError when the file is truncated. */
  finish(): void;
}

/** How a file's audio will be hashed: a filter over the pass, or the whole file. */
export type AudioPlan =
  | { scope: Extract<AudioHashScope, 'stream'>; format: string; filter: AudioFilter }
  | { scope: Extract<AudioHashScope, 'file'>; format: string };

/** The bytes a window repeats from before: more than any header a filter reads whole
 * (an Ogg page header is at most 282 bytes, an MPEG frame's Xing/VBRI fields lie within 64). */
export const LOOKBACK = 1024;

/** A half-open byte range [start, end) of the file. */
export type Range = readonly [start: number, end: number];

// Which module splits a file's audio from its tags, chosen by what the file is: its first bytes
// (after any ID3v2 tags) and the container music-metadata recognised. Formats without a module
// (ASF/WMA, APE, WavPack, Musepack, DSF, DSDIFF, Matroska, …) are hashed whole, and say so.
import { aiff } from './aiff.ts';
import { flac } from './flac.ts';
import type { HeaderReader } from './header-reader.ts';
import { mp4 } from './mp4.ts';
import { mpeg } from './mpeg.ts';
import { ogg } from './ogg.ts';
import { afterLeadingId3v2 } from './tags-at-ends.ts';
import type { AudioPlan } from './types.ts';
import { wav } from './wav.ts';

export interface FormatModule {
  readonly name: string;
  /** `head`: up to 16 bytes at `start`; `container`: music-metadata's `format.container`. */
  matches(head: Uint8Array, container: string | undefined): boolean;
  /** How to hash the audio of the file whose own bytes begin at `start` (after ID3v2 tags), from a
   * few small reads of its headers. Throws UnreadableFileError when they show the file is cut. */
  plan(io: HeaderReader, start: number, container: string | undefined): Promise<AudioPlan>;
}

/** First bytes decide before the container name: an MPEG stream is recognised by name only, as its
 * first bytes may be anything before the first frame. */
const FORMATS: readonly FormatModule[] = [flac, ogg, mp4, wav, aiff, mpeg];

export async function planAudioHash(io: HeaderReader, container: string | undefined): Promise<AudioPlan> {
  const start = await afterLeadingId3v2(io);
  const head = await io.bytes(start, 16);
  const format = FORMATS.find((f) => f.matches(head, container));
  if (!format) return { scope: 'file', format: container ?? 'unknown' };
  return format.plan(io, start, container);
}

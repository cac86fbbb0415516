// MP4 / M4A / M4B / QuickTime: a sequence of top-level boxes; the audio is the payload of the
// `mdat` boxes (tags, artwork and chapters live in `moov`, which a retag rewrites and moves).
import { truncated } from '../errors.ts';
import { ascii, type HeaderReader, isFourCC, u32be, u64be } from './header-reader.ts';
import { RangeFilter } from './ranges.ts';
import type { FormatModule } from './registry.ts';
import { beforeTrailingTags } from './tags-at-ends.ts';
import type { AudioPlan, Range } from './types.ts';

const FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp', 'uuid', 'junk']);
/** Boxes a file cannot play without: one of these cut short is a cut file. */
const VITAL = new Set(['mdat', 'moov', 'moof']);
const MAX_BOXES = 100_000;

export const mp4: FormatModule = {
  name: 'mp4',
  matches: (head) => head.length >= 8 && u32be(head, 0) >= 8 && FIRST_BOXES.has(ascii(head, 4, 4)),
  async plan(io: HeaderReader, start: number): Promise<AudioPlan> {
    const ranges: Range[] = [];
    let at = start;
    for (let boxes = 0; at + 8 <= io.size; boxes++) {
      if (boxes === MAX_BOXES) return { scope: 'file', format: 'mp4' };
      const h = await io.bytes(at, 16);
      let size = u32be(h, 0);
      let header = 8;
      if (!isFourCC(h, 4)) break; // bytes that are no box: the walk ends here (see below)
      const type = ascii(h, 4, 4);
      if (size === 1) {
        if (h.length < 16) break;
        size = u64be(h, 8);
        header = 16;
      } else if (size === 0) {
        size = io.size - at;
      }
      if (size < header) return { scope: 'file', format: 'mp4' };
      if (at + size > io.size) {
        if (VITAL.has(type)) {
          // Unless these "box" bytes are really a tag appended at the end (an ID3v1 `TAG…` reads as a box).
          if ((await beforeTrailingTags(io, at, io.size)) === at) break;
          throw truncated(`its ${type} box claims ${size} bytes, the file has ${io.size - at} from its start`);
        }
        break;
      }
      if (type === 'mdat') ranges.push([at + header, at + size]);
      at += size;
    }
    if (!ranges.some(([a, b]) => b > a)) return { scope: 'file', format: 'mp4' };
    return { scope: 'stream', format: 'mp4', filter: new RangeFilter(ranges) };
  },
};

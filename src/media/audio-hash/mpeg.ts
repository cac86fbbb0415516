// MPEG audio (MP3, MP2, MP1) and ADTS AAC: bare frames between the ID3v2 tags at the start and the
// ID3v1/APE/Lyrics3 tags at the end. The frames are walked as they stream by, to tell a cut file.
import type { HeaderReader } from './header-reader.ts';
import { ADTS, MPEG_AUDIO } from './mpeg-frames.ts';
import { FrameWalk } from './mpeg-walk.ts';
import { RangeFilter } from './ranges.ts';
import type { FormatModule } from './registry.ts';
import { beforeTrailingTags } from './tags-at-ends.ts';
import type { AudioPlan } from './types.ts';

/** music-metadata names these containers `MPEG` and `ADTS/MPEG-4` (or `ADTS/MPEG-2`). */
export const mpeg: FormatModule = {
  name: 'mpeg',
  matches: (_head, container) => container === 'MPEG' || (container?.startsWith('ADTS') ?? false),
  async plan(io: HeaderReader, start: number, container?: string): Promise<AudioPlan> {
    const end = await beforeTrailingTags(io, start, io.size);
    if (end <= start) return { scope: 'file', format: 'mpeg' };
    const syntax = container?.startsWith('ADTS') ? ADTS : MPEG_AUDIO;
    return { scope: 'stream', format: 'mpeg', filter: new RangeFilter([[start, end]], [new FrameWalk(syntax, start, end, io.size)]) };
  },
};

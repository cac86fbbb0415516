// Native FLAC: `fLaC`, metadata blocks (STREAMINFO, comments, pictures, padding, …), then frames.
// The audio is the frames: from the end of the last metadata block to the tags at the end, if any.
import { truncated } from '../errors.ts';
import { FlacEndCheck, parseStreamInfo, type StreamInfo } from './flac-frames.ts';
import { ascii, type HeaderReader } from './header-reader.ts';
import { RangeFilter } from './ranges.ts';
import { beforeTrailingTags } from './tags-at-ends.ts';
import type { AudioPlan } from './types.ts';
import type { FormatModule } from './registry.ts';

const MAX_BLOCKS = 1024;

export const flac: FormatModule = {
  name: 'flac',
  matches: (head) => ascii(head, 0, 4) === 'fLaC',
  async plan(io: HeaderReader, start: number): Promise<AudioPlan> {
    let at = start + 4;
    let info: StreamInfo | undefined;
    for (let blocks = 0; ; blocks++) {
      const header = await io.bytes(at, 4);
      if (header.length < 4 || blocks === MAX_BLOCKS) return { scope: 'file', format: 'flac' };
      const type = header[0]! & 0x7f;
      const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
      if (type === 127) return { scope: 'file', format: 'flac' };
      if (at + 4 + length > io.size) {
        throw truncated(`its FLAC metadata block ${type} claims ${length} bytes, the file has ${io.size - at - 4} after it`);
      }
      if (type === 0 && length >= 34) info = parseStreamInfo(await io.bytes(at + 4, 34));
      at += 4 + length;
      if (header[0]! & 0x80) break;
    }
    const end = await beforeTrailingTags(io, at, io.size);
    if (!info || end <= at) return { scope: 'file', format: 'flac' };
    return { scope: 'stream', format: 'flac', filter: new RangeFilter([[at, end]], [new FlacEndCheck(info, at, end)]) };
  },
};

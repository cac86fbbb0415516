// WAV (RIFF, and RF64/BW64 for files past 4 GiB): the audio is the `data` chunk's body; `LIST`,
// `id3 `, `bext` and other chunks around it hold tags.
import { truncated } from '../errors.ts';
import { ascii, type HeaderReader, u32le, u64le } from './header-reader.ts';
import { iffChunks } from './iff-chunks.ts';
import { RangeFilter } from './ranges.ts';
import type { FormatModule } from './registry.ts';
import type { AudioPlan, Range } from './types.ts';

/** A 32-bit size with the top bit set, beyond the end of the file: a writer that could not seek back
 * (ffmpeg to a pipe, some recorders) left -1 or another placeholder, and the data runs to the end. */
const isPlaceholder = (size: number) => size >= 0x80000000;

export const wav: FormatModule = {
  name: 'wav',
  matches: (head) => ['RIFF', 'RF64', 'BW64'].includes(ascii(head, 0, 4)) && ascii(head, 8, 4) === 'WAVE',
  async plan(io: HeaderReader, start: number): Promise<AudioPlan> {
    const head = await io.bytes(start, 12);
    const riffEnd = start + 8 + u32le(head, 4);
    const to = riffEnd > start + 12 && riffEnd <= io.size ? riffEnd : io.size;
    const ranges: Range[] = [];
    let ds64DataSize: number | undefined;
    for await (const chunk of iffChunks(io, start + 12, to, true)) {
      const body = chunk.at + 8;
      if (chunk.id === 'ds64' && chunk.size >= 16) {
        const ds64 = await io.bytes(body, 16);
        if (ds64.length === 16) ds64DataSize = u64le(ds64, 8);
      }
      if (chunk.id !== 'data') {
        if (body + chunk.size > to) break;
        continue;
      }
      const size = chunk.size === 0xffffffff && ds64DataSize !== undefined ? ds64DataSize : chunk.size;
      let end = body + size;
      if (end > io.size) {
        if (!isPlaceholder(chunk.size)) {
          throw truncated(`its data chunk claims ${size} bytes, the file has ${io.size - body} after its header`);
        }
        end = io.size;
      }
      ranges.push([body, end]);
      if (end >= to) break;
    }
    if (!ranges.some(([a, b]) => b > a)) return { scope: 'file', format: 'wav' };
    return { scope: 'stream', format: 'wav', filter: new RangeFilter(ranges) };
  },
};

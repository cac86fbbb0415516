// AIFF and AIFF-C: the audio is the `SSND` chunk's body; `ID3 `, `NAME`, `ANNO` and other chunks
// hold tags.
import { truncated } from '../errors.ts';
import { ascii, type HeaderReader, u32be } from './header-reader.ts';
import { iffChunks } from './iff-chunks.ts';
import { RangeFilter } from './ranges.ts';
import type { FormatModule } from './registry.ts';
import type { AudioPlan, Range } from './types.ts';

export const aiff: FormatModule = {
  name: 'aiff',
  matches: (head) => ascii(head, 0, 4) === 'FORM' && ['AIFF', 'AIFC'].includes(ascii(head, 8, 4)),
  async plan(io: HeaderReader, start: number): Promise<AudioPlan> {
    const head = await io.bytes(start, 12);
    const formEnd = start + 8 + u32be(head, 4);
    const to = formEnd > start + 12 && formEnd <= io.size ? formEnd : io.size;
    const ranges: Range[] = [];
    for await (const chunk of iffChunks(io, start + 12, to, false)) {
      const body = chunk.at + 8;
      const end = body + chunk.size;
      if (chunk.id === 'SSND') {
        if (end > io.size) throw truncated(`its SSND chunk claims ${chunk.size} bytes, the file has ${io.size - body} after its header`);
        ranges.push([body, end]);
      }
      if (end > to) break;
    }
    if (!ranges.some(([a, b]) => b > a)) return { scope: 'file', format: 'aiff' };
    return { scope: 'stream', format: 'aiff', filter: new RangeFilter(ranges) };
  },
};

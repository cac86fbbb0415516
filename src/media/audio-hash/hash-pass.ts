// The one sequential pass over a file: every chunk goes to the whole-file hash and to the format's
// audio filter. The read buffer keeps the last LOOKBACK bytes in front of each new chunk, so the
// filter sees headers whole without any copy of the chunk itself.
import { createHash } from 'node:crypto';
import type { RandomAccessReader } from '../../providers/types.ts';
import { UnreadableFileError } from '../errors.ts';
import { type AudioFilter, LOOKBACK } from './types.ts';

const CHUNK = 1 << 20;

export interface PassResult {
  /** `sha256:<hex>` of the whole file. */
  contentHash: string;
  /** The filter's audio hash; undefined without a filter, or when the bytes did not have the
   * structure the filter expected. */
  audioHash: string | undefined;
}

/** Hashes the whole file while `filter` (if any) takes the same bytes. */
export async function hashPass(reader: RandomAccessReader, filter: AudioFilter | undefined): Promise<PassResult> {
  const hash = createHash('sha256');
  const chunk = Math.min(CHUNK, Math.max(1, reader.size));
  const buffer = new Uint8Array(LOOKBACK + chunk);
  let audio = filter;
  let kept = 0; // bytes of earlier chunks in front of LOOKBACK
  let position = 0;
  for (;;) {
    const n = await reader.read(buffer, LOOKBACK, chunk, position);
    if (n === 0) break;
    hash.update(buffer.subarray(LOOKBACK, LOOKBACK + n));
    if (audio) audio = guarded(audio, (f) => f.update(buffer.subarray(LOOKBACK - kept, LOOKBACK + n), position - kept));
    position += n;
    const keep = Math.min(LOOKBACK, kept + n);
    buffer.copyWithin(LOOKBACK - keep, LOOKBACK + n - keep, LOOKBACK + n);
    kept = keep;
  }
  let audioHash: string | undefined;
  if (audio) guarded(audio, (f) => (audioHash = f.finish()));
  return { contentHash: `sha256:${hash.digest('hex')}`, audioHash };
}

/** Runs one step of a filter. A filter that fails on bytes it did not expect (anything but a verdict
 * on the file) is dropped: the whole file then stands for the audio, and the file is still read. */
function guarded(filter: AudioFilter, step: (f: AudioFilter) => void): AudioFilter | undefined {
  try {
    step(filter);
    return filter;
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    return undefined;
  }
}

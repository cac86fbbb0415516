// A cut file, told from the two ends of its audio only. Where a provider's hash stands for the content,
// the audio is not read; the few bytes at its ends still show most cuts: an MPEG stream's Xing/Info
// header counts more bytes than the file has, its last MPEG or FLAC frame is incomplete, zeros fill
// the place of its last frames, its last Ogg page is cut or does not end its stream. Cuts that only a
// count of every frame shows are left to a full read.
import { UnreadableFileError } from '../errors.ts';
import type { HeaderReader } from './header-reader.ts';
import { checkOggEnd } from './ogg-end.ts';
import { RangeFilter } from './ranges.ts';
import type { AudioPlan } from './types.ts';

/** Bytes read at each end: the head, the reader's first fetch (already read for the tags), holds the
 * first frame; the tail, more than two of the largest frames a check keeps. */
const HEAD_BYTES = 128 * 1024;
const TAIL_BYTES = 64 * 1024;

/** Throws TruncatedFileError when the audio's ends show the file is cut. */
export async function checkEnds(io: HeaderReader, plan: AudioPlan): Promise<void> {
  if (plan.scope !== 'stream') return;
  const size = io.size;
  if (plan.format === 'ogg') {
    const from = Math.max(0, size - TAIL_BYTES);
    checkOggEnd(await io.bytes(from, size - from));
    return;
  }
  if (!(plan.filter instanceof RangeFilter)) return;
  const filter = plan.filter;
  const head = Math.min(size, HEAD_BYTES);
  const first = await io.bytes(0, head);
  if (!judged(() => filter.update(first, 0))) return;
  if (head < size) {
    // A tail of zeros (a download that never finished) is read back to the last bytes that are not,
    // so the verdict says how much is missing as a full read would.
    let from = Math.max(head, size - TAIL_BYTES);
    let tail = await io.bytes(from, size - from);
    const audioOf = (window: Uint8Array) => window.subarray(0, Math.max(0, filter.audioEnd - from));
    while (from > head && audioOf(tail).every((b) => b === 0)) {
      from = Math.max(head, from - (size - from));
      tail = await io.bytes(from, size - from);
    }
    if (!judged(() => filter.update(tail, from))) return;
  }
  judged(() => filter.finish());
}

/** Runs a step of the checks: a verdict on the file is thrown; bytes they did not expect end the
 * checking (nothing is concluded from them), as in the hash pass. */
function judged(step: () => unknown): boolean {
  try {
    step();
    return true;
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    return false;
  }
}

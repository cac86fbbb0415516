// One ranged GET and its body, given up the moment the attempt's signal aborts, even when the
// provider's client does not notice the signal: a stalled connection never holds an attempt. And the
// body's bytes written where they belong in a file.
import type { promises as fs } from 'node:fs';
import type { FetchRange, RangeResponse } from './types.ts';

/** `fetchRange(start, end, signal)`, rejecting with the signal's reason as soon as it aborts (an
 * answer that comes later is cancelled). */
export function requestRange(fetchRange: FetchRange, start: number, end: number | undefined, signal: AbortSignal): Promise<RangeResponse> {
  signal.throwIfAborted();
  const request = fetchRange(start, end, signal);
  return new Promise<RangeResponse>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      request.then(cancelQuietly, () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) cancelQuietly(response);
        else resolve(response);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Hands each chunk of the body to `onChunk` (awaited before the next is read). On an abort or any
 * failure the response is cancelled and the failure thrown. */
export async function readBody(
  response: RangeResponse,
  signal: AbortSignal,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const iterator = response.body[Symbol.asyncIterator]();
  let rejectPending: ((reason: unknown) => void) | undefined;
  const onAbort = () => rejectPending?.(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      signal.throwIfAborted();
      const next = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        rejectPending = reject;
        iterator.next().then(resolve, reject);
      });
      rejectPending = undefined;
      if (next.done) return;
      await onChunk(next.value);
    }
  } catch (err) {
    cancelQuietly(response);
    try {
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    } catch {
      // the body is being dropped anyway
    }
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function cancelQuietly(response: RangeResponse): void {
  try {
    response.cancel();
  } catch {
    // a body already closed or broken has nothing left to release
  }
}

/** The bytes a ranged GET of `start`..`end` (inclusive; undefined: to the end) must carry for a
 * file of `totalSize` bytes. */
export function rangeLength(start: number, end: number | undefined, totalSize: number): number {
  const last = end === undefined ? totalSize - 1 : Math.min(end, totalSize - 1);
  return Math.max(0, last - start + 1);
}

/** Writes all of `chunk` at `position` (a write may take fewer bytes than it was given). */
export async function writeAll(handle: fs.FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

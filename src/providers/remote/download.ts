// A whole file copied once over the network into a local file, streamed (never whole in memory),
// resumed with a ranged GET from where a broken transfer stopped.
import { promises as fs } from 'node:fs';
import { ProviderError } from '../types.ts';
import { readBody, requestRange, writeAll } from './body.ts';
import type { AccountLimiter } from './limiter.ts';
import { classifyFailure, type RetryPolicy, withRetry } from './retry.ts';
import { type FetchRange, type RangeResponse, RemoteRequestError, TruncatedBodyError } from './types.ts';

export interface DownloadOptions {
  fetchRange: FetchRange;
  limiter: AccountLimiter;
  /** The file as messages name it (no credentials). */
  what: string;
  /** A new file, created here (it must not exist); the caller names it and deletes it. */
  target: string;
  signal?: AbortSignal;
  /** The size the listing gave: a file of another size changed since, and is not copied. */
  expectedSize?: number;
  attemptTimeoutMs?: number;
  policy?: Partial<RetryPolicy>;
}

export interface DownloadResult {
  /** The file's size, which `target` now has. */
  size: number;
  /** Bytes received, those of broken transfers included. */
  bytesRead: number;
}

/** How many transfers that broke after making progress one download may resume: each gets a fresh
 * attempt budget, and this bounds them all. */
const MAX_RESUMES = 64;

/**
 * One streamed GET of the whole file into `target`. A transfer that breaks after bytes arrived
 * resumes from the bytes written (a 206 appends; a 200, a server ignoring Range, starts over) without
 * using up the retry policy's attempts; one that breaks before is retried by withRetry.
 */
export async function downloadTo(options: DownloadOptions): Promise<DownloadResult> {
  const { fetchRange, limiter, what, target, signal, expectedSize } = options;
  const handle = await fs.open(target, 'wx', 0o600);
  try {
    let written = 0;
    let total: number | undefined;
    let bytesRead = 0;

    const adoptSize = (size: number) => {
      if (expectedSize !== undefined && size !== expectedSize) {
        throw new ProviderError('invalid', `${what}: the file changed since it was listed (${expectedSize} bytes then, ${size} now)`);
      }
      if (total !== undefined && size !== total) {
        throw new ProviderError('invalid', `${what}: the file changed while it was downloaded (${total} bytes, now ${size})`);
      }
      total = size;
    };

    /** True when the file is complete; false when the transfer broke after bytes arrived. */
    const transfer = async (attemptSignal: AbortSignal, progress: () => void): Promise<boolean> => {
      const from = written;
      let progressed = false;
      try {
        let response: RangeResponse;
        try {
          response = await requestRange(fetchRange, from, undefined, attemptSignal);
        } catch (err) {
          // Only an empty file has no byte 0 to give.
          if (err instanceof RemoteRequestError && err.status === 416 && from === 0) {
            adoptSize(0);
            return true;
          }
          throw err;
        }
        try {
          adoptSize(response.totalSize);
          if (response.status === 206 && response.start !== from) {
            throw new ProviderError('invalid', `${what}: asked for bytes from ${from}, the server sent bytes from ${response.start}`);
          }
        } catch (err) {
          response.cancel();
          throw err;
        }
        if (response.status === 200 && written > 0) {
          await handle.truncate(0);
          written = 0;
        }
        const size = total!;
        await readBody(response, attemptSignal, async (chunk) => {
          bytesRead += chunk.length;
          if (written + chunk.length > size) throw new ProviderError('invalid', `${what}: the server sent more than the ${size} bytes it announced`);
          await writeAll(handle, chunk, written);
          written += chunk.length;
          progressed = true;
          progress();
        });
        if (written < size) throw new TruncatedBodyError(`${what}: the transfer ended after ${written} of ${size} bytes`);
        return true;
      } catch (err) {
        if (progressed && !signal?.aborted && classifyFailure(err).verdict === 'transient') return false;
        throw err;
      }
    };

    for (let resumes = 0; ; resumes++) {
      const complete = await withRetry(limiter, what, (attemptSignal, context) => transfer(attemptSignal, context.progress), {
        signal,
        attemptTimeoutMs: options.attemptTimeoutMs,
        policy: options.policy,
      });
      if (complete) break;
      if (resumes >= MAX_RESUMES) {
        throw new ProviderError('unavailable', `${what}: gave up after ${resumes + 1} broken transfers (${written} of ${total} bytes copied)`);
      }
    }

    const size = total ?? 0;
    const { size: onDisk } = await handle.stat();
    if (written !== size || onDisk !== size) {
      throw new ProviderError('unavailable', `${what}: the copy has ${onDisk} bytes, the file ${size}`);
    }
    return { size, bytesRead };
  } finally {
    await handle.close();
  }
}

// Random access to a file over ranged GETs, shaped for a tag parser: the head comes with the open,
// later reads are served from a small cache of aligned blocks, and a miss fetches all the blocks it
// lacks in one request (more when the reads run forward), so one file's tags cost a handful of
// requests. A server that ignores Range gets one GET: its whole answer is kept in a temporary file.
import { promises as fs } from 'node:fs';
import { ProviderError, type RandomAccessReader } from '../types.ts';
import { rangeLength, readBody, requestRange, writeAll } from './body.ts';
import type { AccountLimiter } from './limiter.ts';
import { type AttemptContext, type RetryPolicy, withRetry } from './retry.ts';
import { tempFilePath } from './temp-files.ts';
import { type FetchRange, type RangeResponse, RemoteRequestError, TruncatedBodyError } from './types.ts';

export interface RemoteReader extends RandomAccessReader {
  /** Bytes received so far (read-ahead, retried bodies and a spooled whole file included). */
  readonly bytesTransferred: number;
  /** GETs made so far, retries included. */
  readonly requests: number;
}

export interface BlockReaderOptions {
  fetchRange: FetchRange;
  limiter: AccountLimiter;
  /** The file as messages name it (no credentials). */
  what: string;
  /** Where a whole answer of a server that ignores Range is kept until close. */
  tempDir: string;
  /** Cancels the open and every read. */
  signal?: AbortSignal;
  /** The cache's unit (default 64 KiB). */
  blockSize?: number;
  /** Bytes fetched by the open (default 128 KiB: the tags at the head of most files). */
  firstFetch?: number;
  /** The most fetched beyond a read that continues the previous ones (default 1 MiB). */
  maxReadAhead?: number;
  /** The cache's bound (default 4 MiB). */
  maxCachedBytes?: number;
  attemptTimeoutMs?: number;
  policy?: Partial<RetryPolicy>;
}

/** Opens `what`: the first GET (through withRetry) gives its size and head. */
export async function openBlockReader(options: BlockReaderOptions): Promise<RemoteReader> {
  const reader = new BlockReader(options);
  try {
    await reader.open();
  } catch (err) {
    await reader.close();
    throw err;
  }
  return reader;
}

interface Spool {
  path: string;
  handle: fs.FileHandle;
}

/** Bytes of the file from `start`, as one GET brought them. */
interface Fetched {
  start: number;
  bytes: Uint8Array;
}

class BlockReader implements RemoteReader {
  bytesTransferred = 0;
  requests = 0;
  #size = 0;
  readonly #options: BlockReaderOptions;
  readonly #blockSize: number;
  readonly #maxReadAhead: number;
  readonly #maxCachedBytes: number;
  /** Block index → bytes, oldest use first. */
  readonly #blocks = new Map<number, Uint8Array>();
  #cachedBytes = 0;
  #spool: Spool | undefined;
  #readAhead = 0;
  #lastEnd = 0;
  /** Reads run one at a time: the cache and the read-ahead follow one sequence of reads. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Aborted by the caller's signal or by close, so a pending request ends at once. */
  readonly #controller = new AbortController();
  readonly #onCallerAbort = () => this.#controller.abort(this.#options.signal?.reason);
  #closing: Promise<void> | undefined;

  constructor(options: BlockReaderOptions) {
    this.#options = options;
    this.#blockSize = positive(options.blockSize ?? 64 * 1024, 'blockSize');
    this.#maxReadAhead = Math.max(0, options.maxReadAhead ?? 1024 * 1024);
    this.#maxCachedBytes = Math.max(this.#blockSize, options.maxCachedBytes ?? 4 * 1024 * 1024);
    if (options.signal?.aborted) this.#onCallerAbort();
    else options.signal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get size(): number {
    return this.#size;
  }

  async open(): Promise<void> {
    const firstFetch = positive(this.#options.firstFetch ?? 128 * 1024, 'firstFetch');
    const blocks = Math.ceil(firstFetch / this.#blockSize);
    const fetched = await this.#fetch(0, blocks * this.#blockSize - 1, true);
    if (fetched) this.#store(fetched);
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const result = this.#queue.then(() => this.#read(buffer, offset, length, position));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#options.signal?.removeEventListener('abort', this.#onCallerAbort);
      this.#controller.abort(new Error(`${this.#options.what}: the reader was closed`));
      await this.#queue;
      this.#blocks.clear();
      this.#cachedBytes = 0;
      await this.#dropSpool();
    })();
    return this.#closing;
  }

  async #read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.#controller.signal.throwIfAborted();
    if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`read position must be a whole number ≥ 0, not ${position}`);
    const end = Math.min(position + Math.max(0, length), this.#size, position + buffer.length - offset);
    if (end <= position) return 0;
    if (this.#spool) return this.#readSpool(buffer, offset, end - position, position);

    const bs = this.#blockSize;
    const forward = position >= this.#lastEnd && position - this.#lastEnd <= bs;
    this.#lastEnd = end;
    const first = Math.floor(position / bs);
    const last = Math.floor((end - 1) / bs);
    let missingFirst = -1;
    let missingLast = -1;
    for (let b = first; b <= last; b++) {
      if (this.#blocks.has(b)) continue;
      if (missingFirst < 0) missingFirst = b;
      missingLast = b;
    }
    if (!forward) this.#readAhead = 0;
    const lastOfFile = Math.floor((this.#size - 1) / bs);
    // The file's last block comes with the one before it: its end is read for trailing tags and for
    // the audio's last frames, in one request.
    if (missingFirst === lastOfFile && missingFirst > 0 && !this.#blocks.has(missingFirst - 1)) missingFirst -= 1;
    let fetched: Fetched | undefined;
    if (missingFirst >= 0) {
      let fetchLast = missingLast;
      if (forward && this.#maxReadAhead > 0) {
        this.#readAhead = Math.min(this.#maxReadAhead, this.#readAhead > 0 ? this.#readAhead * 2 : 2 * bs);
        const bound = Math.min(lastOfFile, missingLast + Math.ceil(this.#readAhead / bs));
        // Up to the first block already here: the read-ahead never fetches a block twice.
        while (fetchLast < bound && !this.#blocks.has(fetchLast + 1)) fetchLast += 1;
      }
      fetched = await this.#fetch(missingFirst * bs, Math.min((fetchLast + 1) * bs, this.#size) - 1, false);
      if (!fetched) return this.#readSpool(buffer, offset, end - position, position);
    }

    for (let at = position; at < end; ) {
      const b = Math.floor(at / bs);
      const upTo = Math.min(end, (b + 1) * bs);
      let source: Uint8Array;
      let from: number;
      if (fetched && at >= fetched.start && at < fetched.start + fetched.bytes.length) {
        source = fetched.bytes;
        from = at - fetched.start;
      } else {
        source = this.#touch(b);
        from = at - b * bs;
      }
      buffer.set(source.subarray(from, from + (upTo - at)), offset + (at - position));
      at = upTo;
    }
    if (fetched) this.#store(fetched);
    return end - position;
  }

  /** A cached block, now the most recently used. */
  #touch(b: number): Uint8Array {
    const block = this.#blocks.get(b);
    if (!block) throw new Error(`block ${b} of ${this.#options.what} is neither cached nor fetched`);
    this.#blocks.delete(b);
    this.#blocks.set(b, block);
    return block;
  }

  /** Caches an aligned fetch block by block (copies: a block never pins its whole fetch), then
   * drops the least recently used blocks beyond the bound. */
  #store(fetched: Fetched): void {
    const bs = this.#blockSize;
    for (let at = 0; at < fetched.bytes.length; at += bs) {
      const b = (fetched.start + at) / bs;
      const block = fetched.bytes.slice(at, at + bs);
      const old = this.#blocks.get(b);
      if (old) {
        this.#cachedBytes -= old.length;
        this.#blocks.delete(b);
      }
      this.#blocks.set(b, block);
      this.#cachedBytes += block.length;
    }
    for (const [b, block] of this.#blocks) {
      if (this.#cachedBytes <= this.#maxCachedBytes) break;
      this.#blocks.delete(b);
      this.#cachedBytes -= block.length;
    }
  }

  /** Bytes `start`..`last` in one GET, its body read whole inside the attempt (so a short body is
   * retried). Undefined when the server answered the whole file, now in the spool. */
  async #fetch(start: number, last: number, opening: boolean): Promise<Fetched | undefined> {
    const { fetchRange, limiter, what } = this.#options;
    return withRetry(
      limiter,
      what,
      async (signal, context) => {
        this.requests += 1;
        let response: RangeResponse;
        try {
          response = await requestRange(fetchRange, start, last, signal);
        } catch (err) {
          // Only an empty file has no byte 0 to give.
          if (err instanceof RemoteRequestError && err.status === 416) {
            if (opening && start === 0) return { start, bytes: new Uint8Array(0) };
            throw new ProviderError('invalid', `${what}: the file changed while it was read (no bytes at ${start} any more)`, { cause: err });
          }
          throw err;
        }
        if (response.status === 200) {
          await this.#spoolBody(response, signal, context, opening);
          return undefined;
        }
        this.#checkSize(response.totalSize, opening);
        if (response.start !== start) {
          response.cancel();
          throw new ProviderError('invalid', `${what}: asked for bytes from ${start}, the server sent bytes from ${response.start}`);
        }
        const expected = rangeLength(start, last, response.totalSize);
        const bytes = new Uint8Array(expected);
        let got = 0;
        await readBody(response, signal, (chunk) => {
          this.bytesTransferred += chunk.length;
          context.progress();
          if (got + chunk.length > expected) {
            throw new ProviderError('invalid', `${what}: the server sent more than the ${expected} bytes from ${start} asked for`);
          }
          bytes.set(chunk, got);
          got += chunk.length;
        });
        if (got < expected) throw new TruncatedBodyError(`${what}: the body of bytes from ${start} ended after ${got} of ${expected} bytes`);
        if (opening) this.#size = response.totalSize;
        return { start, bytes };
      },
      { signal: this.#controller.signal, attemptTimeoutMs: this.#options.attemptTimeoutMs, policy: this.#options.policy },
    );
  }

  /** A size that differs from the open's means another file is being read now. */
  #checkSize(totalSize: number, opening: boolean): void {
    if (!opening && totalSize !== this.#size) {
      throw new ProviderError('invalid', `${this.#options.what}: the file changed while it was read (${this.#size} bytes, now ${totalSize})`);
    }
  }

  /** The whole file as a server that ignores Range sends it, written to a temporary file from which
   * every later read is served. A failed spool leaves no file behind. */
  async #spoolBody(response: RangeResponse, signal: AbortSignal, context: AttemptContext, opening: boolean): Promise<void> {
    const { what, tempDir } = this.#options;
    try {
      this.#checkSize(response.totalSize, opening);
    } catch (err) {
      response.cancel();
      throw err;
    }
    const total = response.totalSize;
    const path = await tempFilePath(tempDir);
    const handle = await fs.open(path, 'wx+', 0o600);
    let written = 0;
    try {
      await readBody(response, signal, async (chunk) => {
        this.bytesTransferred += chunk.length;
        context.progress();
        if (written + chunk.length > total) throw new ProviderError('invalid', `${what}: the server sent more than the ${total} bytes it announced`);
        await writeAll(handle, chunk, written);
        written += chunk.length;
      });
      if (written < total) throw new TruncatedBodyError(`${what}: the whole-file answer ended after ${written} of ${total} bytes`);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(path, { force: true });
      throw err;
    }
    this.#spool = { path, handle };
    this.#size = total;
    this.#blocks.clear();
    this.#cachedBytes = 0;
  }

  async #readSpool(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const { handle } = this.#spool!;
    let total = 0;
    while (total < length) {
      const { bytesRead } = await handle.read(buffer, offset + total, length - total, position + total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return total;
  }

  async #dropSpool(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    this.#spool = undefined;
    try {
      await spool.handle.close();
    } finally {
      await fs.rm(spool.path, { force: true });
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, not ${value}`);
  return value;
}

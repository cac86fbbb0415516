// Every call a file's read makes to its provider gets a deadline and an abort path: a read that
// hangs (a FIFO, a hung mount, a server that stopped answering) fails the file once it has taken
// `stallTimeoutMs`, and a cancel reaches the file at once. The stuck call is abandoned, not awaited.
import type { RandomAccessReader } from '../providers/types.ts';
import { UnreadableFileError } from './errors.ts';

export interface GuardOptions {
  /** Undefined: calls are not timed here (a network provider times and retries each request itself). */
  stallTimeoutMs: number | undefined;
  signal?: AbortSignal;
}

export class ReadGuard {
  /** Why the file's reading was given up, once it was: every later call fails with it too. */
  failure: Error | undefined;
  private readonly stallTimeoutMs: number | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly pending = new Set<(err: Error) => void>();
  private readonly onAbort = () => this.fail(abortReason(this.signal!));

  constructor(options: GuardOptions) {
    this.stallTimeoutMs = options.stallTimeoutMs;
    this.signal = options.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** `call()`, unless it takes longer than the stall deadline or the signal aborts first; a result
   * that comes after it was given up goes to `abandoned` (to close what it opened). */
  run<T>(call: () => Promise<T>, abandoned?: (late: T) => void): Promise<T> {
    if (this.signal?.aborted) this.fail(abortReason(this.signal));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const giveUp = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(giveUp);
        reject(err);
      };
      const limit = this.stallTimeoutMs;
      const timer = limit === undefined ? undefined
        : setTimeout(() => this.fail(new UnreadableFileError(`reading stalled for ${limit / 1000} s`)), limit);
      this.pending.add(giveUp);
      call().then(
        (value) => {
          if (settled) return abandoned?.(value);
          settled = true;
          clearTimeout(timer);
          this.pending.delete(giveUp);
          resolve(value);
        },
        (err: unknown) => giveUp(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /** A reader whose every read goes through `run`, counting the bytes the provider hands over. */
  reader(inner: RandomAccessReader): CountingReader {
    return new CountingReader(inner, this);
  }

  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const giveUp of [...this.pending]) giveUp(this.failure);
  }
}

export class CountingReader implements RandomAccessReader {
  /** Every byte the provider handed over, header reads and tag parsing included. */
  bytes = 0;
  private readonly inner: RandomAccessReader;
  private readonly guard: ReadGuard;

  constructor(inner: RandomAccessReader, guard: ReadGuard) {
    this.inner = inner;
    this.guard = guard;
  }

  get size(): number {
    return this.inner.size;
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.guard.run(async () => {
      const n = await this.inner.read(buffer, offset, length, position);
      this.bytes += n;
      return n;
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The read was aborted', 'AbortError');
}

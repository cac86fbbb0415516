// How many requests one provider account may have under way: additive increase, multiplicative
// decrease (AIMD). A throttled answer halves the limit and pauses every request of the account until
// the server's Retry-After (or a backoff); a streak of successes raises the limit by one again. One
// limiter per account and process (limiterFor), so all batch loops of a worker share it; a
// ThrottleBoard carries pauses between worker processes.

/** How a request that held a slot ended: `throttled` for 429/503, `failed` for any other failure
 * (it neither raises nor lowers the limit), `ok` for an answer. */
export type SlotOutcome = 'ok' | 'throttled' | 'failed';

/** Gives a slot back with its request's outcome (and the server's Retry-After in ms for a throttled
 * one). Calling it again does nothing. */
export type ReleaseSlot = (outcome: SlotOutcome, retryAfterMs?: number) => void;

/** Pauses shared between the worker processes reading from one account (in Postgres:
 * src/db/throttles.ts). `account` names the account, never its credentials. */
export interface ThrottleBoard {
  publish(account: string, pausedUntil: Date, concurrency: number): Promise<void>;
  read(account: string): Promise<{ pausedUntil: Date; concurrency: number } | undefined>;
  /** Told how each request ended, for the worker's metrics (the latest board given that has it is told). */
  settled?(outcome: SlotOutcome): void;
}

export interface AccountLimiterOptions {
  /** The account's name, as published on the board. */
  account: string;
  /** The most requests under way at once; the limit starts here. */
  maxConcurrency: number;
  board?: ThrottleBoard;
  /** The pause after a throttle whose answer names no wait; it doubles with each throttle in a row. */
  throttleBackoffMs?: number;
  maxThrottleBackoffMs?: number;
}

/** How often an active limiter looks at the board, and how long a request waits for that look. */
const BOARD_READ_EVERY_MS = 2000;
const BOARD_READ_WAIT_MS = 1000;

/** The account is paused for longer than an acquirer was willing to wait. */
export class AccountPausedError extends Error {
  /** How long the pause still lasts. */
  readonly waitMs: number;
  constructor(account: string, waitMs: number) {
    super(`requests to ${account} are paused for ${Math.ceil(waitMs / 1000)} s`);
    this.name = 'AccountPausedError';
    this.waitMs = waitMs;
  }
}

interface Waiter {
  resolve: (release: ReleaseSlot) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  maxPauseMs: number;
}

/**
 * Slots for one account's requests: `acquire(signal, maxPauseMs)` waits for a free slot outside any
 * pause and answers the function that releases it; every slot must be released exactly once, with
 * the outcome of its request. Waiters are served in order; one whose signal aborts leaves the queue
 * and rejects with the signal's reason; one facing a pause longer than its `maxPauseMs` rejects with
 * AccountPausedError.
 */
export class AccountLimiter {
  readonly account: string;
  #max: number;
  #limit: number;
  #inFlight = 0;
  #pausedUntil = 0;
  #okStreak = 0;
  #throttlesInARow = 0;
  /** Bumped by every decrease: throttles of requests started before it tell of the same overload. */
  #epoch = 0;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #board: ThrottleBoard | undefined;
  #settled: ThrottleBoard['settled'];
  #boardReadAt = Number.NEGATIVE_INFINITY;
  #boardRead: Promise<void> | undefined;
  /** The end of the last pause published or adopted: the board's record of it is nothing new. */
  #seenPause = Number.NaN;

  constructor(options: AccountLimiterOptions) {
    this.account = options.account;
    this.#max = checkedConcurrency(options.maxConcurrency);
    this.#limit = this.#max;
    this.#board = options.board;
    this.#settled = options.board?.settled?.bind(options.board);
    this.#backoffMs = options.throttleBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxThrottleBackoffMs ?? 30_000;
  }

  /** The current limit (between 1 and maxConcurrency). */
  get concurrency(): number {
    return this.#limit;
  }

  get maxConcurrency(): number {
    return this.#max;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Epoch ms before which no request starts (0 or past: no pause). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** A new maximum (settings change between syncs) and a board where none was given yet. */
  configure(maxConcurrency: number, board?: ThrottleBoard): void {
    this.#max = checkedConcurrency(maxConcurrency);
    this.#limit = Math.min(this.#limit, this.#max);
    this.#board ??= board;
    if (board?.settled) this.#settled = board.settled.bind(board);
    this.#pump();
  }

  async acquire(signal?: AbortSignal, maxPauseMs: number = Number.POSITIVE_INFINITY): Promise<ReleaseSlot> {
    signal?.throwIfAborted();
    await this.#consultBoard();
    signal?.throwIfAborted();
    const now = Date.now();
    if (this.#pausedUntil - now > maxPauseMs) throw new AccountPausedError(this.account, this.#pausedUntil - now);
    if (this.#waiters.length === 0 && this.#canStart(now)) return this.#start();
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, maxPauseMs };
      if (signal) {
        waiter.onAbort = () => {
          this.#leave(waiter);
          reject(signal.reason);
          this.#pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  #leave(waiter: Waiter): void {
    const at = this.#waiters.indexOf(waiter);
    if (at >= 0) this.#waiters.splice(at, 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  #canStart(now: number): boolean {
    return now >= this.#pausedUntil && this.#inFlight < this.#limit;
  }

  #start(): ReleaseSlot {
    this.#inFlight += 1;
    const epoch = this.#epoch;
    let released = false;
    return (outcome, retryAfterMs) => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      try {
        this.#settled?.(outcome);
      } catch {
        // metrics never fail a request
      }
      if (outcome === 'ok') this.#succeeded();
      else if (outcome === 'throttled') this.#throttled(epoch, retryAfterMs);
      else this.#okStreak = 0;
      this.#pump();
    };
  }

  #succeeded(): void {
    this.#throttlesInARow = 0;
    this.#okStreak += 1;
    if (this.#okStreak >= this.#limit && this.#limit < this.#max) {
      this.#limit += 1;
      this.#okStreak = 0;
    }
  }

  #throttled(epoch: number, retryAfterMs: number | undefined): void {
    this.#okStreak = 0;
    if (epoch === this.#epoch) {
      this.#limit = Math.max(1, Math.floor(this.#limit / 2));
      this.#epoch += 1;
      this.#throttlesInARow += 1;
    }
    const wait = retryAfterMs ?? this.#backoff();
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
    this.#publish();
  }

  /** Half fixed, half random, so processes that were throttled together do not return together. */
  #backoff(): number {
    const full = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** Math.max(0, this.#throttlesInARow - 1));
    return full / 2 + Math.random() * (full / 2);
  }

  /** Starts every waiter that may start now, turns away those that will not wait out the pause,
   * and wakes up again when the pause ends. */
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    const pauseLeft = this.#pausedUntil - now;
    if (pauseLeft > 0) {
      for (const waiter of this.#waiters.filter((w) => w.maxPauseMs < pauseLeft)) {
        this.#leave(waiter);
        waiter.reject(new AccountPausedError(this.account, pauseLeft));
      }
    }
    while (this.#waiters.length > 0 && this.#canStart(now)) {
      const waiter = this.#waiters[0]!;
      this.#leave(waiter);
      waiter.resolve(this.#start());
    }
    if (this.#waiters.length > 0 && pauseLeft > 0) this.#timer = setTimeout(() => this.#pump(), pauseLeft);
  }

  // The board is advice: a failing or slow board never fails nor holds up a request for long.

  #publish(): void {
    const board = this.#board;
    if (!board) return;
    this.#seenPause = this.#pausedUntil;
    try {
      void board.publish(this.account, new Date(this.#pausedUntil), this.#limit).catch(() => undefined);
    } catch {
      // ignored, see above
    }
  }

  async #consultBoard(): Promise<void> {
    const board = this.#board;
    if (!board) return;
    if (!this.#boardRead) {
      const now = Date.now();
      if (now - this.#boardReadAt < BOARD_READ_EVERY_MS) return;
      this.#boardReadAt = now;
      this.#boardRead = this.#readBoard(board).finally(() => {
        this.#boardRead = undefined;
      });
    }
    await this.#boardRead;
  }

  #readBoard(board: ThrottleBoard): Promise<void> {
    const read = Promise.resolve()
      .then(() => board.read(this.account))
      .then((published) => {
        if (published) this.#adopt(published.pausedUntil, published.concurrency);
      })
      .catch(() => undefined);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, BOARD_READ_WAIT_MS);
      void read.finally(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A throttle on the board not seen before (another process's, or one that outlived a restart):
   * its pause where it ends later than ours, and its limit where it is lower. Each one is taken once,
   * so the limit grows back from it as from a throttle of ours. */
  #adopt(pausedUntil: Date, concurrency: number): void {
    const until = pausedUntil.getTime();
    if (Number.isNaN(until) || until === this.#seenPause) return;
    this.#seenPause = until;
    if (until > this.#pausedUntil && until > Date.now()) this.#pausedUntil = until;
    if (Number.isFinite(concurrency)) {
      const limit = Math.max(1, Math.min(this.#max, Math.floor(concurrency)));
      if (limit < this.#limit) {
        this.#limit = limit;
        this.#epoch += 1;
        this.#okStreak = 0;
      }
    }
    this.#pump();
  }
}

function checkedConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`maxConcurrency must be a whole number of at least 1, not ${value}`);
  return value;
}

const limiters = new Map<string, AccountLimiter>();

/** The process's one limiter for `account` (created on first use; a later call updates its maximum). */
export function limiterFor(account: string, maxConcurrency: number, board?: ThrottleBoard): AccountLimiter {
  let limiter = limiters.get(account);
  if (limiter) limiter.configure(maxConcurrency, board);
  else {
    limiter = new AccountLimiter({ account, maxConcurrency, board });
    limiters.set(account, limiter);
  }
  return limiter;
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { readBody, requestRange } from '../../src/providers/remote/body.ts';
import { AccountLimiter, limiterFor, type ThrottleBoard } from '../../src/providers/remote/limiter.ts';
import { withRetry } from '../../src/providers/remote/retry.ts';
import { type RangeServer, startRangeServer } from '../helpers/range-server.ts';

const options = { timeout: 10_000 };
const FAST = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 20 };
const file = randomBytes(4096);
let server: RangeServer;

before(async () => {
  server = await startRangeServer({ '/a.flac': file });
});
after(() => server.close());
beforeEach(() => {
  server.faults = [];
  server.faultFor = undefined;
  server.latencyMs = 0;
  server.resetStats();
});

/** `count` GETs of the file at once through `limiter`; answers their bodies' lengths. */
function requests(limiter: AccountLimiter, count: number): Promise<number[]> {
  const fetchRange = server.fetchRange('/a.flac');
  return Promise.all(
    Array.from({ length: count }, () =>
      withRetry(
        limiter,
        'GET a.flac',
        async (signal) => {
          const response = await requestRange(fetchRange, 0, undefined, signal);
          let got = 0;
          await readBody(response, signal, (chunk) => {
            got += chunk.length;
          });
          return got;
        },
        { policy: FAST },
      ),
    ),
  );
}

/** A board in memory, as the Postgres one behaves for one process that reads it. */
function memoryBoard(): ThrottleBoard & { published: { pausedUntil: Date; concurrency: number }[]; reads: number } {
  const board = {
    published: [] as { pausedUntil: Date; concurrency: number }[],
    reads: 0,
    publish: async (_account: string, pausedUntil: Date, concurrency: number) => {
      board.published.push({ pausedUntil, concurrency });
    },
    read: async () => {
      board.reads += 1;
      return board.published.at(-1);
    },
  };
  return board;
}

test('a throttle halves the limit once per round and pauses; successes raise it back to the maximum', options, async () => {
  const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 8, throttleBackoffMs: 10 });
  const slots = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
  assert.equal(limiter.inFlight, 4);
  const before = Date.now();
  // Four requests under way when the server pushed back: one overload, one halving.
  for (const release of slots) release('throttled', 50);
  assert.equal(limiter.concurrency, 4);
  assert.equal(limiter.inFlight, 0);
  assert.ok(limiter.pausedUntil >= before + 50);
  const next = await limiter.acquire();
  assert.ok(Date.now() >= before + 50, 'the next request waited out the pause');
  next('throttled');
  assert.equal(limiter.concurrency, 2, 'a new round of throttling halves again');
  // Releasing twice changes nothing.
  next('ok');
  assert.equal(limiter.inFlight, 0);
  assert.equal(limiter.concurrency, 2);

  for (let i = 0; i < 40 && limiter.concurrency < 8; i++) (await limiter.acquire())('ok');
  assert.equal(limiter.concurrency, 8);
  (await limiter.acquire())('ok');
  assert.equal(limiter.concurrency, 8, 'never above the maximum');
  (await limiter.acquire())('failed');
  assert.equal(limiter.concurrency, 8, 'a failure is no throttle');
});

test('never more requests in flight than the limit', options, async () => {
  server.latencyMs = 20;
  const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 3 });
  const lengths = await requests(limiter, 20);
  assert.deepEqual(lengths, Array(20).fill(file.length));
  assert.equal(server.stats.maxInFlight, 3);
  assert.equal(limiter.inFlight, 0);
});

test('a server that throttles above two requests drives the limit down, and it recovers after', options, async () => {
  server.latencyMs = 10;
  server.faultFor = ({ inFlight }) => (inFlight > 2 ? { kind: 'status', status: 429 } : undefined);
  const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 8, throttleBackoffMs: 10, maxThrottleBackoffMs: 40 });
  const lengths = await requests(limiter, 30);
  assert.deepEqual(lengths, Array(30).fill(file.length));
  assert.ok(limiter.concurrency <= 4, `limit ${limiter.concurrency}`);
  const throttled = server.stats.requests - 30;
  assert.ok(throttled > 0);

  server.faultFor = undefined;
  server.resetStats();
  await requests(limiter, 60);
  assert.equal(limiter.concurrency, 8);
});

test('a waiting request leaves the queue when its signal aborts', options, async () => {
  const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 1 });
  const held = await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  const reason = new Error('stop');
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  held('ok');
  assert.equal(limiter.inFlight, 0);
  const again = await limiter.acquire();
  assert.equal(limiter.inFlight, 1);
  again('ok');

  // Aborted while the account is paused.
  (await limiter.acquire())('throttled', 5000);
  const paused = new AbortController();
  setTimeout(() => paused.abort(reason), 30);
  const started = performance.now();
  await assert.rejects(limiter.acquire(paused.signal), (e) => e === reason);
  assert.ok(performance.now() - started < 1000);
  await assert.rejects(limiter.acquire(AbortSignal.abort(reason)), (e) => e === reason);
});

test('a throttle is published, and another process adopts its pause and lower limit once', options, async () => {
  const board = memoryBoard();
  const ours = new AccountLimiter({ account: 'acct', maxConcurrency: 8, board });
  (await ours.acquire())('throttled', 300);
  assert.equal(board.published.length, 1);
  assert.equal(board.published[0]!.concurrency, 4);

  const theirs = new AccountLimiter({ account: 'acct', maxConcurrency: 8, board });
  const started = Date.now();
  const release = await theirs.acquire();
  assert.ok(Date.now() >= board.published[0]!.pausedUntil.getTime() - 5, 'waited for the published pause');
  assert.ok(Date.now() - started >= 250);
  assert.equal(theirs.concurrency, 4);
  release('ok');
  for (let i = 0; i < 30; i++) (await theirs.acquire())('ok');
  assert.equal(theirs.concurrency, 8, 'the same record does not hold the limit down');
});

test('a failing or hanging board never fails nor holds a request for long', options, async () => {
  const failing: ThrottleBoard = {
    publish: () => Promise.reject(new Error('db down')),
    read: () => Promise.reject(new Error('db down')),
  };
  const throwing: ThrottleBoard = {
    publish: () => {
      throw new Error('db down');
    },
    read: () => {
      throw new Error('db down');
    },
  };
  for (const board of [failing, throwing]) {
    const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 2, board });
    (await limiter.acquire())('throttled', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    (await limiter.acquire())('ok');
  }
  const hanging: ThrottleBoard = { publish: () => new Promise(() => {}), read: () => new Promise(() => {}) };
  const limiter = new AccountLimiter({ account: 'x', maxConcurrency: 2, board: hanging });
  const started = performance.now();
  (await limiter.acquire())('ok');
  const waited = performance.now() - started;
  assert.ok(waited < 1500, `waited ${waited} ms`);
  // Read again only after a while: the next requests do not wait.
  const next = performance.now();
  (await limiter.acquire())('ok');
  assert.ok(performance.now() - next < 100);
});

test('one limiter per account in a process', () => {
  const a = limiterFor('webdav:https://dav.example', 4);
  assert.equal(limiterFor('webdav:https://dav.example', 4), a);
  assert.notEqual(limiterFor('s3:https://s3.example/bucket', 4), a);
  limiterFor('webdav:https://dav.example', 2);
  assert.equal(a.maxConcurrency, 2);
  assert.ok(a.concurrency <= 2);
  assert.throws(() => limiterFor('webdav:https://other.example', 0), RangeError);
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { rangeLength, readBody, requestRange } from '../../src/providers/remote/body.ts';
import { AccountLimiter } from '../../src/providers/remote/limiter.ts';
import { classifyFailure, withRetry, type AttemptContext, type RetryPolicy } from '../../src/providers/remote/retry.ts';
import { parseRetryAfter } from '../../src/providers/remote/retry-after.ts';
import { type FetchRange, RemoteRequestError, TruncatedBodyError } from '../../src/providers/remote/types.ts';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/types.ts';
import { type RangeServer, startRangeServer } from '../helpers/range-server.ts';

const options = { timeout: 10_000 };
const FAST: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 20 };
const file = randomBytes(200_000);
let server: RangeServer;
let fetchRange: FetchRange;

before(async () => {
  server = await startRangeServer({ '/song.mp3': file });
  fetchRange = server.fetchRange('/song.mp3');
});
after(() => server.close());
beforeEach(() => {
  server.faults = [];
  server.faultFor = undefined;
  server.resetStats();
});

/** One attempt: bytes start..end, the whole body read and its length checked. */
async function getBytes(start: number, end: number, signal: AbortSignal, context: AttemptContext): Promise<Buffer> {
  const response = await requestRange(fetchRange, start, end, signal);
  const expected = rangeLength(start, end, response.totalSize);
  const chunks: Uint8Array[] = [];
  let got = 0;
  await readBody(response, signal, (chunk) => {
    chunks.push(chunk);
    got += chunk.length;
    context.progress();
  });
  if (got !== expected) throw new TruncatedBodyError(`${got} of ${expected} bytes`);
  return Buffer.concat(chunks);
}

function limiter(): AccountLimiter {
  return new AccountLimiter({ account: 'test', maxConcurrency: 4, throttleBackoffMs: 10 });
}

function kindOf(kind: ProviderErrorKind, message?: RegExp) {
  return (e: unknown) => e instanceof ProviderError && e.kind === kind && (!message || message.test(e.message));
}

test('Retry-After: seconds or an HTTP date, in ms, never negative, capped', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('1', now), 1000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter('1.5', now), 1500);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('99999999999', now), 24 * 60 * 60 * 1000);
  for (const bad of [null, undefined, '', '-5', 'soon', '1e3']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
});

test('failures are sorted in one place: throttled, transient, or permanent with their kind', () => {
  const status = (s: number, retryAfterMs?: number) => classifyFailure(new RemoteRequestError(s, `HTTP ${s}`, { retryAfterMs }), 'GET a.mp3');
  assert.deepEqual(status(429, 1000), { verdict: 'throttled', retryAfterMs: 1000 });
  assert.deepEqual(status(503), { verdict: 'throttled', retryAfterMs: undefined });
  for (const s of [408, 500, 502, 504, 599]) assert.equal(status(s).verdict, 'transient', String(s));
  const cases: [number, ProviderErrorKind, RegExp][] = [
    [401, 'unauthorized', /^GET a\.mp3: not authorized/],
    [403, 'forbidden', /^GET a\.mp3: access denied/],
    [404, 'notFound', /not found \(HTTP 404\)$/],
    [410, 'notFound', /not found/],
    [400, 'invalid', /refused/],
    [416, 'invalid', /refused/],
    [302, 'invalid', /unexpected answer/],
  ];
  for (const [s, kind, message] of cases) {
    const verdict = status(s);
    assert.equal(verdict.verdict, 'permanent', String(s));
    assert.ok(kindOf(kind, message)(verdict.providerError), `${s}: ${verdict.providerError?.message}`);
  }

  const named = classifyFailure(new RemoteRequestError(404, 'GET a.mp3: the server answered 404 Not Found'), 'GET a.mp3');
  assert.equal(named.providerError?.message, 'GET a.mp3: not found (the server answered 404 Not Found)', 'the name is said once');

  const withCode = (code: string) => Object.assign(new Error('socket'), { code });
  for (const err of [
    withCode('ECONNRESET'), withCode('ECONNREFUSED'), withCode('EPIPE'), withCode('ETIMEDOUT'),
    new TypeError('fetch failed', { cause: withCode('UND_ERR_SOCKET') }),
    new TypeError('fetch failed', { cause: new AggregateError([withCode('ECONNREFUSED')]) }),
    new TypeError('terminated'),
    new Error('wrapped', { cause: withCode('UND_ERR_HEADERS_TIMEOUT') }),
    new TruncatedBodyError('short'),
    new DOMException('late', 'TimeoutError'),
    new DOMException('stopped', 'AbortError'),
  ]) {
    assert.equal(classifyFailure(err).verdict, 'transient', `${err.message}`);
  }

  const own = new ProviderError('cursorExpired', 'start over');
  assert.equal(classifyFailure(own).providerError, own);
  assert.deepEqual(classifyFailure(new Error('a bug')), { verdict: 'permanent' });
  assert.deepEqual(classifyFailure(withCode('ENOSPC')), { verdict: 'permanent' });
  assert.deepEqual(classifyFailure(withCode('UND_ERR_INVALID_ARG')), { verdict: 'permanent' });
});

test('a 429 with Retry-After is waited out, then the bytes come', options, async () => {
  server.faults = [{ kind: 'status', status: 429, retryAfter: '1' }];
  const started = performance.now();
  const bytes = await withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(0, 9999, signal, context), { policy: FAST });
  const waited = performance.now() - started;
  assert.deepEqual(bytes, file.subarray(0, 10_000));
  assert.ok(waited >= 1000, `waited ${waited} ms`);
  assert.equal(server.stats.requests, 2);
});

test('server errors, resets, short bodies and stalls are retried until the bytes are right', options, async () => {
  server.faults = [
    { kind: 'status', status: 500 },
    { kind: 'reset' },
    { kind: 'status', status: 502 },
    { kind: 'truncate', after: 1000 },
    { kind: 'stall', after: 10 },
    { kind: 'stall' },
  ];
  const started = performance.now();
  const bytes = await withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(5000, 104_999, signal, context), {
    policy: FAST,
    attemptTimeoutMs: 150,
  });
  assert.deepEqual(bytes, file.subarray(5000, 105_000));
  assert.equal(server.stats.requests, 7);
  assert.ok(performance.now() - started >= 300, 'both stalls ran into the attempt timeout');
});

test('an attempt that keeps making progress is not cut by the timeout', options, async () => {
  const bytes = await withRetry(
    limiter(),
    'slow',
    async (signal, context) => {
      // Ten pauses of 40 ms, each shorter than the 100 ms timeout, 400 ms in all.
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        signal.throwIfAborted();
        context.progress();
      }
      return getBytes(0, 99, signal, context);
    },
    { attemptTimeoutMs: 100, policy: { ...FAST, maxAttempts: 1 } },
  );
  assert.equal(bytes.length, 100);
});

test('permanent refusals are made once and become their ProviderError', options, async () => {
  const cases: [number, ProviderErrorKind, RegExp][] = [
    [404, 'notFound', /^GET song\.mp3: not found/],
    [410, 'notFound', /not found/],
    [401, 'unauthorized', /not authorized/],
    [403, 'forbidden', /^GET song\.mp3: access denied/],
    [400, 'invalid', /refused/],
  ];
  for (const [status, kind, message] of cases) {
    server.resetStats();
    server.faults = [{ kind: 'status', status }];
    await assert.rejects(
      withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), { policy: FAST }),
      kindOf(kind, message),
    );
    assert.equal(server.stats.requests, 1, `${status} was asked once`);
  }
  // A file the server does not have, through the same path.
  const missing = server.fetchRange('/gone.mp3');
  await assert.rejects(withRetry(limiter(), 'GET gone.mp3', (signal) => missing(0, 9, signal), { policy: FAST }), kindOf('notFound'));
});

test('attempts run out as `unavailable` with the last reason', options, async () => {
  server.faultFor = () => ({ kind: 'status', status: 500 });
  await assert.rejects(
    withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), { policy: { ...FAST, maxAttempts: 3 } }),
    kindOf('unavailable', /^GET song\.mp3: gave up after 3 attempts: .*HTTP 500/),
  );
  assert.equal(server.stats.requests, 3);
});

test('a Retry-After beyond the cap gives up as `rateLimited`, and so does the next request during that pause', options, async () => {
  const account = limiter();
  server.faults = [{ kind: 'status', status: 429, retryAfter: '3600' }];
  const request = () => withRetry(account, 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), { policy: FAST });
  await assert.rejects(request(), (e) => kindOf('rateLimited', /asks to wait 3600 s/)(e) && (e as ProviderError).retryAfterMs === 3_600_000);
  assert.ok(account.pausedUntil > Date.now() + 3_500_000);
  await assert.rejects(request(), kindOf('rateLimited'));
  assert.equal(server.stats.requests, 1, 'the second request was not sent');

  // A request already waiting for a slot gives up as soon as the long pause is known.
  server.resetStats();
  const one = new AccountLimiter({ account: 'test', maxConcurrency: 1 });
  server.faults = [{ kind: 'status', status: 503, retryAfter: '600' }];
  const get = () => withRetry(one, 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), { policy: FAST });
  const started = performance.now();
  const results = await Promise.allSettled([get(), get()]);
  assert.ok(results.every((r) => r.status === 'rejected' && kindOf('rateLimited', /asks to wait 600 s/)(r.reason)));
  assert.ok(performance.now() - started < 1000);
  assert.equal(server.stats.requests, 1);
});

test("the caller's abort ends the request at once and is not retried", options, async () => {
  server.faults = [{ kind: 'stall' }];
  const controller = new AbortController();
  const reason = new Error('cancelled by the user');
  setTimeout(() => controller.abort(reason), 100);
  const started = performance.now();
  await assert.rejects(
    withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), { signal: controller.signal, attemptTimeoutMs: 5000 }),
    (e) => e === reason,
  );
  assert.ok(performance.now() - started < 1000);
  assert.equal(server.stats.requests, 1);

  // Aborted during the backoff between attempts.
  server.resetStats();
  server.faultFor = () => ({ kind: 'status', status: 500 });
  const during = new AbortController();
  setTimeout(() => during.abort(reason), 100);
  await assert.rejects(
    withRetry(limiter(), 'GET song.mp3', (signal, context) => getBytes(0, 9, signal, context), {
      signal: during.signal,
      policy: { baseDelayMs: 10_000, maxDelayMs: 10_000 },
    }),
    (e) => e === reason,
  );
  assert.ok(server.stats.requests <= 3);
});

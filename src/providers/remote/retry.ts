// Every request to a network provider runs here: it holds a slot of its account's limiter, gets a
// timeout that restarts with each sign of progress, and on failure is retried, given up, or turned
// into a ProviderError, as decided by classifyFailure, the one place that sorts failures.
import { ProviderError } from '../types.ts';
import { type AccountLimiter, AccountPausedError, type ReleaseSlot } from './limiter.ts';
import { RemoteRequestError, TruncatedBodyError } from './types.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff after the first transient failure; it doubles with each one (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After waited for; a server that asks more is given up on as `rateLimited`. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 120_000,
});

/** How long an attempt may go without progress (no answer, no bytes) before it is abandoned. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Tells that the attempt is moving (bytes arrived): its timeout starts again. */
  progress(): void;
}

export interface RetryOptions {
  /** The caller's cancellation: it ends the request at once and is rethrown as is, never retried. */
  signal?: AbortSignal;
  /** See DEFAULT_ATTEMPT_TIMEOUT_MS. */
  attemptTimeoutMs?: number;
  policy?: Partial<RetryPolicy>;
}

export type FailureVerdict = 'throttled' | 'transient' | 'permanent';

export interface FailureClass {
  verdict: FailureVerdict;
  /** A throttled answer's Retry-After. */
  retryAfterMs?: number;
  /** What a permanent failure is reported as; absent for an error that is not the network's (a bug,
   * a full disk), which is rethrown as it is. */
  providerError?: ProviderError;
}

/** Errors of the socket or the connection (Node's and undici's codes): worth another attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EHOSTUNREACH',
  'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENETRESET', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_STREAM_PREMATURE_CLOSE',
]);
/** undici's codes for a call made wrong, which no retry mends; its other UND_ERR_ codes are the network's. */
const UNDICI_MISUSE_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE']);

/**
 * Sorts a failed request: `throttled` (429, 503: wait, with fewer requests), `transient` (5xx, 408,
 * a broken or stalled connection, a short body: retry after a backoff) or `permanent` (never
 * retried; a status becomes the ProviderError of its kind, a ProviderError passes unchanged).
 * `what` (clean of credentials) starts the messages. An abort counts as transient: the caller's own
 * signal must be checked before (withRetry does).
 */
export function classifyFailure(err: unknown, what?: string): FailureClass {
  if (err instanceof ProviderError) return { verdict: 'permanent', providerError: err };
  if (err instanceof RemoteRequestError) return classifyStatus(err, what ? `${what}: ` : '');
  if (isNetworkFailure(err)) return { verdict: 'transient' };
  return { verdict: 'permanent' };
}

function classifyStatus(err: RemoteRequestError, prefix: string): FailureClass {
  const status = err.status;
  if (status === 429 || status === 503) return { verdict: 'throttled', retryAfterMs: err.retryAfterMs };
  if (status === 408 || (status >= 500 && status <= 599)) return { verdict: 'transient' };
  const reason = reasonOf(err, prefix);
  const permanent = (kind: ProviderError['kind'], message: string): FailureClass => ({
    verdict: 'permanent',
    providerError: new ProviderError(kind, `${prefix}${message} (${reason})`, { cause: err }),
  });
  if (status === 401) return permanent('unauthorized', 'not authorized: check the credentials');
  if (status === 403) return permanent('forbidden', 'access denied');
  if (status === 404 || status === 410) return permanent('notFound', 'not found');
  if (status >= 400 && status <= 499) return permanent('invalid', 'refused by the server');
  return permanent('invalid', 'unexpected answer from the server');
}

/** Errors in `err`'s cause chain (and inside AggregateErrors), nearest first. */
function* causes(err: unknown, depth = 0): Generator<unknown> {
  if (err === undefined || err === null || depth > 5) return;
  yield err;
  if (err instanceof AggregateError) for (const inner of err.errors) yield* causes(inner, depth + 1);
  if (err instanceof Error) yield* causes(err.cause, depth + 1);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isNetworkFailure(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof TruncatedBodyError) return true;
    const code = codeOf(e);
    if (code && (TRANSIENT_CODES.has(code) || (code.startsWith('UND_ERR_') && !UNDICI_MISUSE_CODES.has(code)))) return true;
    if (e instanceof Error) {
      if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
      // undici's fetch: `fetch failed` for any network error, `terminated` for a body cut short.
      if (e instanceof TypeError && (e.message === 'fetch failed' || e.message === 'terminated')) return true;
    }
  }
  return false;
}

/** A failure in a few words for a message: the status, or the messages and code of its causes
 * (without `prefix`, the request's name, where the message starts with it already). */
export function reasonOf(err: unknown, prefix = ''): string {
  if (err instanceof RemoteRequestError) {
    const message = prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return message.includes(String(err.status)) ? message : `HTTP ${err.status}${message ? `: ${message}` : ''}`;
  }
  const messages: string[] = [];
  let code: string | undefined;
  for (const e of causes(err)) {
    code ??= codeOf(e);
    const message = e instanceof Error ? e.message : String(e);
    if (message && !messages.includes(message)) messages.push(message);
  }
  const text = messages.join(': ') || 'unknown error';
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/**
 * Runs `attempt` until it succeeds, a failure is permanent, or the policy gives up. Each attempt
 * holds one slot of `limiter` and gets a signal that aborts on the caller's signal or when the
 * attempt makes no progress for `attemptTimeoutMs`. Throttled attempts wait for the account's pause
 * (Retry-After); transient ones for an exponential backoff with full jitter. Gives up with
 * ProviderError('unavailable', `${what}: gave up after N attempts: <last reason>`), or 'rateLimited'
 * when the server asks to wait longer than maxRetryAfterMs.
 */
export async function withRetry<T>(
  limiter: AccountLimiter,
  what: string,
  attempt: (signal: AbortSignal, context: AttemptContext) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const timeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const caller = options.signal;
  for (let n = 1; ; n++) {
    caller?.throwIfAborted();
    let release: ReleaseSlot;
    try {
      release = await limiter.acquire(caller, policy.maxRetryAfterMs);
    } catch (err) {
      // The account is paused (by this request's last answer, another request's, another process's)
      // for longer than we wait.
      if (err instanceof AccountPausedError) throw waitTooLong(what, err.waitMs, policy, undefined);
      throw err;
    }
    const run = startAttempt(timeoutMs, caller);
    let failure: unknown;
    try {
      const value = await attempt(run.signal, { attempt: n, progress: run.progress });
      release('ok');
      return value;
    } catch (err) {
      failure = err;
    } finally {
      run.stop();
    }
    if (caller?.aborted) {
      release('failed');
      throw caller.reason;
    }
    const verdict: FailureClass = run.timedOut() ? { verdict: 'transient' } : classifyFailure(failure, what);
    const reason = run.timedOut() ? `no progress for ${timeoutMs} ms` : reasonOf(failure, `${what}: `);
    if (verdict.verdict === 'permanent') {
      // A refusal is still an answer: the server is not overloaded.
      release(failure instanceof RemoteRequestError ? 'ok' : 'failed');
      throw verdict.providerError ?? failure;
    }
    if (verdict.verdict === 'throttled') {
      release('throttled', verdict.retryAfterMs);
      if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > policy.maxRetryAfterMs) {
        throw waitTooLong(what, verdict.retryAfterMs, policy, failure);
      }
    } else {
      release('failed');
    }
    if (n >= policy.maxAttempts) {
      const pause = limiter.pausedUntil - Date.now();
      throw new ProviderError('unavailable', `${what}: gave up after ${n} attempts: ${reason}`, {
        cause: failure,
        retryAfterMs: verdict.verdict === 'throttled' && pause > 0 ? pause : undefined,
      });
    }
    // A throttled attempt's wait is the limiter's pause, which the next acquire sits out.
    if (verdict.verdict === 'transient') await sleep(backoffMs(n, policy), caller);
  }
}

function waitTooLong(what: string, waitMs: number, policy: RetryPolicy, cause: unknown): ProviderError {
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  return new ProviderError(
    'rateLimited',
    `${what}: the server asks to wait ${seconds(waitMs)} s, longer than the ${seconds(policy.maxRetryAfterMs)} s waited for`,
    { cause, retryAfterMs: waitMs },
  );
}

/** Full jitter: anywhere between 0 and the exponential bound, so retries of many requests spread. */
function backoffMs(failures: number, policy: RetryPolicy): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return Math.random() * bound;
}

interface AttemptRun {
  signal: AbortSignal;
  progress(): void;
  timedOut(): boolean;
  stop(): void;
}

/** One attempt's signal: aborted by the caller's, or by a timer that each progress() restarts. */
function startAttempt(timeoutMs: number, caller: AbortSignal | undefined): AttemptRun {
  const controller = new AbortController();
  let timedOut = false;
  let stopped = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no progress for ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    progress: () => {
      if (!stopped && !timedOut) timer.refresh();
    },
    timedOut: () => timedOut,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

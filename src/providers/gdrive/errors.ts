// Google Drive's error answers in the shapes every network provider shares (remote/types.ts), so
// remote/retry.ts decides them once. Drive answers
//   { "error": { "code": 403, "message": "...", "errors": [{ "domain": "usageLimits",
//     "reason": "userRateLimitExceeded", "message": "...", "location"?: "...", "locationType"?: "..." }] } }
// (https://developers.google.com/drive/api/guides/handle-errors). Its throttling and its spent quotas
// come as a 403 as often as a 429: they are told apart from a refusal by their `reason`, so that no
// file is ever recorded as failed for what is the account's limit, not the file's.
import { jsonOf, retryAfterOf } from '../cloud/errors.ts';
import { RemoteRequestError } from '../remote/types.ts';
import { ProviderError } from '../types.ts';

/** The reasons Drive gives for "slow down" (403 or 429), as opposed to "you may not": waited out
 * within the request (withRetry). */
const THROTTLING = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded']);

/** The reasons Drive gives for a quota used up for hours (the project's requests of the day, the
 * downloads of a file): no wait within a request ends them, so the sync's step is retried later. */
const SPENT_QUOTAS: ReadonlyMap<string, string> = new Map([
  ['dailyLimitExceeded', 'daily request quota'],
  ['quotaExceeded', 'request quota'],
  ['downloadQuotaExceeded', 'download quota'],
]);

/** How long after a spent quota the step is tried again, unless Drive says a later time. */
export const SPENT_QUOTA_RETRY_MS = 60 * 60 * 1000;

/** An error answer of the Drive API, with its first reason and the parameter it names. */
export class DriveApiError extends RemoteRequestError {
  readonly reason: string | undefined;
  /** The request parameter the error is about (`pageToken`, `fileId`, `q`), where Drive names one. */
  readonly location: string | undefined;
  constructor(status: number, message: string, details: { reason?: string; location?: string; retryAfterMs?: number }) {
    super(status, message, { retryAfterMs: details.retryAfterMs });
    this.name = 'DriveApiError';
    this.reason = details.reason;
    this.location = details.location;
  }
}

/** CloudHttp's errorOf for Drive: throttling becomes a 429 (the limiter backs off and the request is
 * retried), a spent quota ProviderError('rateLimited') with a retry an hour later (never one file's
 * failure), every other answer keeps its status (403 forbidden, 404 not found, 5xx retried). */
export function driveErrorOf(response: Response, body: string): DriveApiError | ProviderError {
  const error = jsonOf(body)?.error as { message?: unknown; errors?: unknown } | undefined;
  const first = Array.isArray(error?.errors) ? (error.errors[0] as Record<string, unknown> | undefined) : undefined;
  const reason = typeof first?.reason === 'string' ? first.reason : undefined;
  const location = typeof first?.location === 'string' ? first.location : undefined;
  const said = typeof error?.message === 'string' ? error.message : body.split('\n', 1)[0]!.slice(0, 200);
  const limited = response.status === 403 || response.status === 429;
  const status = limited && reason !== undefined && THROTTLING.has(reason) ? 429 : response.status;
  const message = `Google Drive answered HTTP ${response.status}${reason ? ` ${reason}` : ''}${said ? `: ${said}` : ''}`;
  const answer = new DriveApiError(status, message, { reason, location, retryAfterMs: retryAfterOf(response) });
  const quota = limited && reason !== undefined ? SPENT_QUOTAS.get(reason) : undefined;
  if (quota === undefined) return answer;
  return new ProviderError('rateLimited', `Google Drive ${quota} exceeded (${reason}): try again later`, {
    cause: answer,
    retryAfterMs: Math.max(SPENT_QUOTA_RETRY_MS, answer.retryAfterMs ?? 0),
  });
}

/** Drive refused a page token (`400 invalid` naming `pageToken`, or a 404 for it): for the change
 * feed, a cursor it no longer honours. Looks through the causes withRetry wraps failures in. */
export function isRejectedPageToken(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DriveApiError) return (e.status === 400 || e.status === 404) && e.location === 'pageToken';
  }
  return false;
}

/** The HTTP status behind a failure, where there is one. */
export function statusOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof RemoteRequestError) return e.status;
  }
  return undefined;
}

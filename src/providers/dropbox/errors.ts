// Dropbox's error answers (https://www.dropbox.com/developers/documentation/http/documentation#error-handling)
// in the shapes every network provider shares, so retry.ts decides them once:
// - 409 is an endpoint's own error, named by `error_summary` (`path/not_found/..`, `reset/..`):
//   a missing file or folder is 404, a file we may not read 403, a forgotten cursor
//   ProviderError('cursorExpired'); any other stays 409 (refused, never retried);
// - 429 is throttling, with `Retry-After` (and `error.retry_after` in seconds when the body is JSON;
//   the body may also be plain text, https://www.dropbox.com/developers/reference/data-ingress-guide);
// - 401 (`expired_access_token`, `invalid_access_token`) reaches here only after CloudHttp renewed
//   the token once: the grant is no good;
// - 400 is a request Dropbox could not read (plain text), 5xx the service's trouble.
import { jsonOf, retryAfterOf } from '../cloud/errors.ts';
import { RemoteRequestError } from '../remote/types.ts';
import { ProviderError } from '../types.ts';

/** An error answer of the Dropbox API, with its `error_summary` where it had one. */
export class DropboxApiError extends RemoteRequestError {
  readonly summary: string | undefined;
  constructor(status: number, message: string, options: { summary?: string; retryAfterMs?: number }) {
    super(status, message, { retryAfterMs: options.retryAfterMs });
    this.name = 'DropboxApiError';
    this.summary = options.summary;
  }
}

/** CloudHttp's `errorOf` for Dropbox. */
export function dropboxErrorOf(response: Response, body: string): Error {
  const json = jsonOf(body);
  const summary = typeof json?.error_summary === 'string' ? json.error_summary : undefined;
  const said = summary ?? (body.split('\n', 1)[0] ?? '').slice(0, 200);
  const status = response.status;
  if (status === 409) {
    if (summary?.startsWith('reset/')) {
      return new ProviderError('cursorExpired', `Dropbox no longer knows the change cursor (${summary}): the folder is listed anew`);
    }
    return new DropboxApiError(statusOfSummary(summary), `Dropbox answered ${said || 'HTTP 409'}`, { summary });
  }
  const retryAfterMs = retryAfterOf(response) ?? retryAfterOfBody(json);
  return new DropboxApiError(status, `Dropbox answered HTTP ${status}${said ? `: ${said}` : ''}`, { summary, retryAfterMs });
}

/** The status that means what a 409's summary says: the lookup errors of `path` (list_folder,
 * get_metadata, download) and of `path_lookup`. */
function statusOfSummary(summary: string | undefined): number {
  if (summary === undefined) return 409;
  if (/^(path|path_lookup)\/not_found\b/.test(summary)) return 404;
  if (/(^|\/)(restricted_content|no_permission)\b/.test(summary)) return 403;
  return 409;
}

/** `error.retry_after` (seconds) of a JSON 429 answer. */
function retryAfterOfBody(json: Record<string, unknown> | undefined): number | undefined {
  const error = json?.error;
  const seconds = error && typeof error === 'object' ? (error as { retry_after?: unknown }).retry_after : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
}

/** The `error_summary` behind a failure (withRetry keeps the answer as a cause). */
export function summaryOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DropboxApiError) return e.summary;
  }
  return undefined;
}

/** A failure of a request about the root folder itself (listing it, its cursor, its metadata), in
 * the root's words: a root that is gone is `unavailable` (a missing folder is never an empty
 * library), one that is a file `invalid`; anything else unchanged. */
export function rootFailure(err: unknown, root: string): unknown {
  const summary = summaryOf(err);
  const shown = JSON.stringify(root === '' ? '/' : `/${root}`);
  if (summary !== undefined && /^(path|path_lookup)\/not_found\b/.test(summary)) {
    return new ProviderError('unavailable', `the folder ${shown} does not exist in Dropbox (${summary})`, { cause: err });
  }
  if (summary !== undefined && /^(path|path_lookup)\/not_folder\b/.test(summary)) {
    return new ProviderError('invalid', `${shown} is a file in Dropbox, not a folder`, { cause: err });
  }
  return err;
}

// Microsoft Graph's error answers in the shapes every network provider shares (remote/types.ts), so
// retry.ts decides them once. Graph's body is `{"error": {"code", "message", "innerError"}}`
// (https://learn.microsoft.com/en-us/graph/errors).
import { jsonOf, retryAfterOf } from '../cloud/errors.ts';
import { RemoteRequestError } from '../remote/types.ts';
import { ProviderError } from '../types.ts';

interface GraphError {
  code?: unknown;
  message?: unknown;
  innerError?: { code?: unknown };
}

/**
 * - 410 Gone with `resyncRequired`, `resyncChangesApplyDifferences` or
 *   `resyncChangesUploadDifferences`: the delta token is gone, a full enumeration is needed
 *   (https://learn.microsoft.com/en-us/graph/api/driveitem-delta): ProviderError('cursorExpired').
 * - 429 and 503 with Retry-After, in seconds (https://learn.microsoft.com/en-us/graph/throttling),
 *   and SharePoint's 509 bandwidth limit: throttling, waited for.
 * - Any other status as it is: 401 InvalidAuthenticationToken (CloudHttp renews the token once),
 *   403 accessDenied (forbidden), 404 itemNotFound (notFound), 5xx (retried).
 */
export function graphErrorOf(response: Response, body: string): Error {
  const error = jsonOf(body)?.error as GraphError | undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const innerCode = typeof error?.innerError?.code === 'string' ? error.innerError.code : undefined;
  const detail = typeof error?.message === 'string' ? error.message : error ? '' : body.split('\n', 1)[0]!;
  const status = response.status;
  const text = `Graph answered HTTP ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail.slice(0, 200)}` : ''}`;
  if (status === 410 && [code, innerCode].some((c) => c !== undefined && /^resync/i.test(c))) {
    return new ProviderError('cursorExpired', `OneDrive no longer knows the change feed's position (${innerCode ?? code})`);
  }
  const retryAfterMs = retryAfterOf(response);
  if (status === 509) return new RemoteRequestError(429, text, { retryAfterMs });
  return new RemoteRequestError(status, text, { retryAfterMs });
}

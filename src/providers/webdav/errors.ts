// The WebDAV client's failures in the shapes shared by every network provider (remote/types.ts), so
// retry.ts decides them once. The client's own error carries the server's response; only its status
// and `Retry-After` are kept: nothing of the request (its Authorization header) travels on.
import { parseRetryAfter } from '../remote/retry-after.ts';
import { RemoteRequestError } from '../remote/types.ts';

/** The part of the `webdav` client's status error that is read here. */
interface ClientStatusError {
  status: number;
  response?: { statusText?: string; headers?: { get(name: string): string | null }; body?: unknown };
}

function isClientStatusError(err: unknown): err is ClientStatusError {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/** An error status from the server as RemoteRequestError (withRetry's messages say which request);
 * any other failure (a refused connection, a reset) unchanged. The error response's body is
 * released so its connection goes back to the pool. */
export function toRemoteError(err: unknown): unknown {
  if (err instanceof RemoteRequestError || !isClientStatusError(err)) return err;
  const { status, response } = err;
  discardBody(response?.body);
  return statusError(status, response?.statusText, response?.headers?.get('retry-after'));
}

/** A response with an error status as RemoteRequestError. */
export function statusError(status: number, statusText: string | undefined, retryAfter?: string | null): RemoteRequestError {
  const text = statusText ? `${status} ${statusText}` : String(status);
  return new RemoteRequestError(status, `the WebDAV server answered ${text}`, { retryAfterMs: parseRetryAfter(retryAfter) });
}

/** Lets go of a response body nobody reads (a Node stream or a web stream). */
export function discardBody(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const stream = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof stream.destroy === 'function') stream.destroy();
  else if (typeof stream.cancel === 'function') stream.cancel().catch(() => undefined);
}

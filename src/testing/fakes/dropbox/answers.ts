// How the Dropbox fake answers over HTTP: JSON results, the documented error shapes
// (https://www.dropbox.com/developers/documentation/http/documentation#error-handling) and request
// bodies read with a bound.
import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

/** 400: a request Dropbox cannot read, answered in plain text. */
export function badRequest(res: ServerResponse, endpoint: string, detail: string): void {
  const text = `Error in call to API function "${endpoint}": ${detail}`;
  res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** A thrown endpoint error: 409 with its tagged union and summary (e.g. `path` / `not_found`). */
export class EndpointError extends Error {
  readonly error: Record<string, unknown>;
  readonly summary: string;
  constructor(tag: string, inner?: string) {
    super(inner ? `${tag}/${inner}` : tag);
    this.error = inner ? { '.tag': tag, [tag]: { '.tag': inner } } : { '.tag': tag };
    // Dropbox pads summaries with dots so they never end on a tag alone.
    this.summary = inner ? `${tag}/${inner}/...` : `${tag}/..`;
  }
}

/** A thrown 400. */
export class BadRequest extends Error {}

export function endpointError(res: ServerResponse, err: EndpointError, headers: Record<string, string> = {}): void {
  sendJson(res, 409, { error_summary: err.summary, error: err.error }, headers);
}

/** 401 as Dropbox answers a bad bearer token. */
export function unauthorized(res: ServerResponse, tag: 'expired_access_token' | 'invalid_access_token'): void {
  sendJson(res, 401, { error_summary: `${tag}/..`, error: { '.tag': tag } });
}

/** 429 as Dropbox answers when throttling (https://developers.dropbox.com/dbx-performance-guide). */
export function tooManyRequests(res: ServerResponse, seconds: number): void {
  sendJson(res, 429, { error_summary: 'too_many_requests/..', error: { reason: { '.tag': 'too_many_requests' }, retry_after: seconds } }, { 'retry-after': String(seconds) });
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BadRequest('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// How the fake answers: JSON bodies, Graph's error shape (https://learn.microsoft.com/en-us/graph/errors)
// and the ranged download of a pre-authenticated URL.
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { DirectoryTree } from '../tree.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** `{"error": {"code", "message", "innerError"}}`, as Graph sends every error. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, innerCode?: string): void {
  const innerError = { ...(innerCode ? { code: innerCode } : {}), date: new Date().toISOString(), 'request-id': crypto.randomUUID() };
  sendJson(res, status, { error: { code, message, innerError } }, headers);
}

/** A failure the handler answers (not a bug of the fake). */
export class GraphFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly innerCode: string | undefined;
  constructor(status: number, code: string, message: string, options: { headers?: Record<string, string>; innerCode?: string } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.innerCode = options.innerCode;
  }
}

export const itemNotFound = () => new GraphFailure(404, 'itemNotFound', 'The resource could not be found.');
export const invalidRequest = (message: string) => new GraphFailure(400, 'invalidRequest', message);

/**
 * The bytes of a file at its pre-authenticated URL (https://learn.microsoft.com/en-us/graph/api/driveitem-get-content,
 * "Partial range downloads"): one `Range` of bytes is answered 206 with Content-Range; a range starting
 * at or past the end (an empty file has no byte to start at) 416 with `Content-Range: bytes * /size`;
 * without a Range (or one the server does not take, several ranges) the whole file, 200.
 */
export async function sendBytes(res: ServerResponse, tree: DirectoryTree, id: string, range: string | undefined): Promise<void> {
  const item = tree.get(id);
  if (!item || item.folder) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const size = item.size;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range?.trim() ?? '');
  let start = 0;
  let end = size - 1;
  let partial = false;
  if (match && (match[1] !== '' || match[2] !== '')) {
    partial = true;
    if (match[1] === '') {
      start = Math.max(0, size - Number(match[2]));
    } else {
      start = Number(match[1]);
      if (match[2] !== '') end = Math.min(end, Number(match[2]));
    }
    if (start >= size || start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
  }
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' };
  if (partial) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  if (end < start) {
    res.writeHead(200, headers).end();
    return;
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = tree.stream(id, start, end + 1);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(partial ? 206 : 200, headers);
  await pipeline(stream, res).catch(() => res.destroy());
}

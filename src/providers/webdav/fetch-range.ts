// One ranged GET of a file on a WebDAV server, in the shape every network provider's reads share
// (remote/types.ts). Made through the `webdav` client, so it authenticates as PROPFIND does.
import type { Response, WebDAVClient } from 'webdav';
import type { FetchRange, RangeResponse } from '../remote/types.ts';
import { RemoteRequestError } from '../remote/types.ts';
import { discardBody, toRemoteError } from './errors.ts';

/** Ranged GETs of the file at `url`. A 206 is the range; a 200 (a server that ignores `Range`) is
 * the whole file; a 416 for a range starting at or past the end is an empty answer with the size
 * the server states (an empty file cannot satisfy any range). */
export function fetchRangeOf(client: WebDAVClient, url: string): FetchRange {
  return async (start, end, signal) => {
    let response: Response;
    try {
      response = await client.customRequest('', {
        url,
        method: 'GET',
        // identity: a compressed answer's bytes are not the file's, and its ranges not the file's ranges.
        headers: { Range: `bytes=${start}-${end ?? ''}`, 'Accept-Encoding': 'identity' },
        signal,
      });
    } catch (err) {
      const empty = unsatisfiable(err, start);
      if (empty) return empty;
      throw toRemoteError(err);
    }
    // node-fetch's body, a Node stream: async-iterable, and destroyed to let go of the connection.
    const body = (response as Response & { body?: unknown }).body as AsyncIterable<Uint8Array> | null | undefined;
    const answer = (status: 200 | 206, totalSize: number, from: number): RangeResponse => ({
      status,
      totalSize,
      start: from,
      body: body ?? emptyBody(),
      cancel: () => discardBody(body),
    });
    if (response.status === 206) {
      const range = /^bytes\s+(\d+)-(\d+)\/(\d+)$/i.exec(response.headers.get('content-range')?.trim() ?? '');
      if (!range || Number(range[1]) !== start) {
        discardBody(body);
        throw new RemoteRequestError(502, `the WebDAV server answered a range other than the one asked (${response.headers.get('content-range') ?? 'no Content-Range'})`);
      }
      return answer(206, Number(range[3]), start);
    }
    if (response.status === 200) {
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (!Number.isSafeInteger(length) || length < 0) {
        discardBody(body);
        throw new RemoteRequestError(502, 'the WebDAV server sent the whole file without stating its size');
      }
      return answer(200, length, 0);
    }
    discardBody(body);
    throw new RemoteRequestError(response.status, `unexpected answer HTTP ${response.status} to a ranged GET`);
  };
}

/** A 416 whose `Content-Range: bytes * /size` shows the range starts at or past the end. */
function unsatisfiable(err: unknown, start: number): RangeResponse | undefined {
  const { status, response } = (err ?? {}) as { status?: number; response?: { headers?: { get(name: string): string | null }; body?: unknown } };
  if (status !== 416) return undefined;
  const size = /^bytes\s+\*\/(\d+)$/i.exec(response?.headers?.get('content-range')?.trim() ?? '');
  if (!size || Number(size[1]) > start) return undefined;
  discardBody(response?.body);
  return { status: 206, totalSize: Number(size[1]), start, body: emptyBody(), cancel: () => undefined };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // no bytes
}

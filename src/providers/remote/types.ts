// What every provider over the network shares: one ranged GET as the providers make it, and the
// failures a request can end in, decided once (see retry.ts).

/** The answer to one ranged GET. */
export interface RangeResponse {
  /** 206 for the range asked; 200 when the server ignored `Range` and sends the whole file. */
  status: 200 | 206;
  /** The whole file's size (the `Content-Range` total, or `Content-Length` of a 200). */
  totalSize: number;
  /** Where `body` starts in the file: the range's start on a 206, 0 on a 200. */
  start: number;
  /** The bytes; a body that ends early or errors is a transient failure of the request. */
  body: AsyncIterable<Uint8Array>;
  /** Releases the connection when the body is not read to its end. */
  cancel(): void;
}

/** One GET of bytes `start`..`end` (inclusive; `end` undefined: to the end of the file). Throws
 * RemoteRequestError (or a network error) on failure; never retries by itself. */
export type FetchRange = (start: number, end: number | undefined, signal: AbortSignal) => Promise<RangeResponse>;

/** A request the server answered with an error status, as the provider's client reported it. */
export class RemoteRequestError extends Error {
  readonly status: number;
  /** From `Retry-After` (seconds or an HTTP date) or the provider's own field, in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, options?: { retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'RemoteRequestError';
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** A body that ended before the bytes its headers promised. */
export class TruncatedBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TruncatedBodyError';
  }
}

// How the cloud providers (Google Drive, OneDrive, Dropbox) call their APIs: every request carries a
// bearer token, holds a slot of the account's limiter and goes through withRetry (one failure policy
// for every network provider); a 401 renews the token once and tries again. What an error answer
// means is each provider's own (Drive's 403 `rateLimitExceeded` is throttling, Dropbox's 409 `reset`
// an expired cursor): `errorOf` turns it into a RemoteRequestError of the status that means the same,
// or a ProviderError. A token renewal is part of the request it is made for: its outage or throttle
// is retried (and paces the account) like the request's own.
import { retryAfterOf } from './errors.ts';
import type { AccountLimiter } from '../remote/limiter.ts';
import { withRetry } from '../remote/retry.ts';
import type { FetchRange, RangeResponse } from '../remote/types.ts';
import { RemoteRequestError } from '../remote/types.ts';
import type { AccessTokens } from '../oauth/types.ts';
import { ProviderError } from '../types.ts';

/** One request, as a provider builds it (without authorization). */
export interface CloudRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A JSON body (sent as application/json) or text. */
  body?: unknown;
}

export interface CloudHttpOptions {
  tokens: AccessTokens;
  limiter: AccountLimiter;
  /** A provider's reading of an error answer (`body` is its text, at most 64 KiB). Default: the
   * status, the body's first line, and Retry-After. */
  errorOf?: (response: Response, body: string) => Error;
  /** How long one attempt may go without progress (the sync's stall timeout). */
  attemptTimeoutMs?: number;
}

export class CloudHttp {
  private readonly options: CloudHttpOptions;

  constructor(options: CloudHttpOptions) {
    this.options = options;
  }

  /** A request whose answer is JSON. `what` names it in messages (never with a token). */
  json<T>(what: string, request: CloudRequest, signal?: AbortSignal): Promise<T> {
    return withRetry(
      this.options.limiter,
      what,
      async (attemptSignal, context) => {
        const response = await this.send(request, attemptSignal);
        const text = await response.text();
        context.progress();
        try {
          return (text ? JSON.parse(text) : {}) as T;
        } catch (err) {
          throw new RemoteRequestError(502, `the answer is not JSON (${text.slice(0, 80)})`, { cause: err });
        }
      },
      { signal, attemptTimeoutMs: this.options.attemptTimeoutMs },
    );
  }

  /** Ranged GETs (or POSTs: Dropbox downloads) of one file, in the shape the block reader and the
   * downloader share. Never retries by itself (they do, through withRetry). */
  fetchRange(request: CloudRequest): FetchRange {
    return async (start, end, signal): Promise<RangeResponse> => {
      const headers = { ...request.headers, Range: `bytes=${start}-${end ?? ''}`, 'Accept-Encoding': 'identity' };
      let response: Response;
      try {
        response = await this.send({ ...request, headers }, signal);
      } catch (err) {
        // An empty file satisfies no range.
        if (err instanceof RemoteRequestError && err.status === 416 && start === 0) {
          return { status: 206, totalSize: 0, start, body: emptyBody(), cancel: () => undefined };
        }
        throw err;
      }
      const body = (response.body ?? emptyBody()) as AsyncIterable<Uint8Array>;
      const cancel = (): void => void response.body?.cancel().catch(() => undefined);
      if (response.status === 206) {
        const range = /^bytes\s+(\d+)-(\d+)\/(\d+)$/i.exec(response.headers.get('content-range')?.trim() ?? '');
        if (!range || Number(range[1]) !== start) {
          cancel();
          throw new RemoteRequestError(502, `answered a range other than the one asked (${response.headers.get('content-range') ?? 'no Content-Range'})`);
        }
        return { status: 206, totalSize: Number(range[3]), start, body, cancel };
      }
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (!Number.isSafeInteger(length) || length < 0) {
        cancel();
        throw new RemoteRequestError(502, 'sent the whole file without stating its size');
      }
      return { status: 200, totalSize: length, start: 0, body, cancel };
    };
  }

  /** One authorized request: an error status becomes the provider's error; a 401 renews the token
   * and tries once more with the new one. */
  private async send(request: CloudRequest, signal: AbortSignal): Promise<Response> {
    const { tokens } = this.options;
    let token = await tokens.get(signal).catch(asRequestFailure);
    for (let renewed = false; ; renewed = true) {
      const response = await fetch(request.url, {
        method: request.method ?? 'GET',
        headers: {
          ...request.headers,
          Authorization: `Bearer ${token}`,
          ...(request.body !== undefined && typeof request.body !== 'string' ? { 'Content-Type': 'application/json' } : {}),
        },
        body: request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
        signal,
      });
      if (response.ok) return response;
      const text = await readSome(response);
      if (response.status === 401 && !renewed) {
        token = await tokens.renew(token, signal).catch(asRequestFailure);
        continue;
      }
      throw this.options.errorOf?.(response, text) ?? defaultError(response, text);
    }
  }
}

/** A token renewal that failed for now (the token endpoint is out of reach, failing or throttling),
 * as the answer withRetry retries: 429 waits for its Retry-After, 503 for the account's backoff. Any
 * other failure (a revoked link) is thrown as it is. The message is the token layer's, which holds
 * no token; it says when the 503 is ours, not the server's. */
function asRequestFailure(err: unknown): never {
  if (!(err instanceof ProviderError) || !err.retryable) throw err;
  if (err.kind === 'rateLimited') throw new RemoteRequestError(429, err.message, { retryAfterMs: err.retryAfterMs, cause: err });
  throw new RemoteRequestError(503, `the access token could not be renewed (counted as HTTP 503): ${err.message}`, { retryAfterMs: err.retryAfterMs, cause: err });
}

function defaultError(response: Response, body: string): RemoteRequestError {
  const line = body.split('\n', 1)[0]!.slice(0, 200);
  return new RemoteRequestError(response.status, `HTTP ${response.status}${line ? `: ${line}` : ''}`, { retryAfterMs: retryAfterOf(response) });
}

/** An error answer's text, at most 64 KiB (the rest is dropped with the connection). */
async function readSome(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 65_536) break;
    }
  } catch {
    // a broken error body still has its status
  }
  if (size >= 65_536) void response.body.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString('utf8').slice(0, 65_536);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // no bytes
}

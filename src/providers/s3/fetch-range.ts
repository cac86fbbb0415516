import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { FetchRange, RangeResponse } from '../remote/types.ts';
import { ProviderError } from '../types.ts';
import { toRemoteError } from './errors.ts';

/** Where one object is, and how it is named to people (`s3://bucket/key`). */
export interface S3Object {
  client: S3Client;
  bucket: string;
  key: string;
  what: string;
}

type Body = AsyncIterable<Uint8Array> & { destroy?: () => void };

/**
 * Ranged GETs of one object, pinned to the version it was listed with (its ETag), else to the version
 * the first answer came from: every request sends `If-Match` with that ETag, so a file overwritten
 * since it was listed or while it is read (or while a download resumes) fails the read instead of
 * pairing the listed MD5 with another version's tags, or mixing two versions' bytes. An empty object
 * answers any range with 416, which the readers take as "empty".
 */
export function s3FetchRange(object: S3Object, listedEtag?: string | null): FetchRange {
  let etag: string | undefined = listedEtag ?? undefined;
  const since = etag === undefined ? 'while it was read' : 'since it was listed';
  return async (start, end, signal) => {
    const command = new GetObjectCommand({ Bucket: object.bucket, Key: object.key, Range: `bytes=${start}-${end ?? ''}`, IfMatch: etag });
    let out: GetObjectCommandOutput;
    try {
      out = await object.client.send(command, { abortSignal: signal });
    } catch (err) {
      if (etag !== undefined && isPreconditionFailed(err)) {
        throw new ProviderError('invalid', `${object.what}: the file changed ${since} (another version is there now)`, { cause: err });
      }
      throw toRemoteError(err, object.what, object.bucket);
    }
    etag ??= out.ETag;
    return toRangeResponse(out, object.what);
  };
}

function isPreconditionFailed(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (e.Code ?? e.name) === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412;
}

/** `bytes <first>-<last>/<total>`. */
const CONTENT_RANGE = /^bytes\s+(\d+)-(\d+)\/(\d+)$/i;

function toRangeResponse(out: GetObjectCommandOutput, what: string): RangeResponse {
  const body = (out.Body ?? emptyBody()) as Body;
  const cancel = (): void => body.destroy?.();
  const status = out.$metadata.httpStatusCode;
  if (status === 206) {
    const match = CONTENT_RANGE.exec(out.ContentRange ?? '');
    if (match) return { status: 206, start: Number(match[1]), totalSize: Number(match[3]), body, cancel };
    cancel();
    throw new ProviderError('unavailable', `${what}: the server answered a range without a readable Content-Range (${JSON.stringify(out.ContentRange)})`);
  }
  // A server that ignores Range sends the whole object.
  if (status === 200 && out.ContentLength !== undefined) return { status: 200, start: 0, totalSize: out.ContentLength, body, cancel };
  cancel();
  throw new ProviderError('unavailable', `${what}: unexpected answer to a ranged GET (HTTP ${status}${out.ContentLength === undefined ? ', no length' : ''})`);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

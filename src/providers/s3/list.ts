import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { ListPage, ProviderFile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { pathOfKey, providerHashOfEtag } from './keys.ts';

/** S3 returns at most this many keys per ListObjectsV2 call. */
export const MAX_KEYS = 1000;

/**
 * One ListObjectsV2 answer as a listing page. S3 has no object id that survives anything: the id is
 * the path (the key relative to the root), so a renamed object is a new id and the library matches
 * it by content. The modification time is the upload's (S3 keeps no file mtime), and there is no
 * MIME type in a listing.
 */
export function toListPage(out: ListObjectsV2CommandOutput, prefix: string, what: string): ListPage {
  // The SDK reads any 200 as a listing: a web page (a captive portal, a wrong endpoint) would look
  // like an empty bucket. Every S3 listing names its bucket and says whether it is truncated.
  if (out.Name === undefined && out.IsTruncated === undefined) {
    throw new ProviderError('unavailable', `${what}: the answer is not an S3 listing (is the endpoint an S3 server?)`);
  }
  const files: ProviderFile[] = [];
  const unlisted: NonNullable<ListPage['unlisted']> = [];
  for (const object of out.Contents ?? []) {
    if (object.Key === undefined) continue;
    const verdict = pathOfKey(object.Key, prefix);
    if (verdict.kind === 'unlisted') unlisted.push({ path: verdict.path, reason: verdict.reason });
    if (verdict.kind !== 'file') continue;
    files.push({
      fileId: verdict.path,
      path: verdict.path,
      size: object.Size ?? 0,
      modifiedAt: object.LastModified ?? null,
      mimeType: null,
      providerHash: providerHashOfEtag(object.ETag),
      // Multipart ETags too: not a content hash, but another ETag is another object.
      revision: object.ETag ?? null,
    });
  }
  const page: ListPage = { files };
  if (unlisted.length > 0) page.unlisted = unlisted;
  if (out.IsTruncated) {
    // A truncated answer without a token would end the listing early and look like deletions.
    if (!out.NextContinuationToken) throw new ProviderError('unavailable', 'the server cut the listing short without a continuation token');
    page.nextPageToken = out.NextContinuationToken;
  }
  return page;
}

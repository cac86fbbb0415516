// Where an S3 profile's music is: `s3://bucket/prefix/` and the server that holds the bucket.
import { isIP } from 'node:net';
import { ProviderError } from '../types.ts';

/** A bucket and the key prefix under which the music lies (`''` for the whole bucket, else ending in `/`). */
export interface S3Root {
  bucket: string;
  prefix: string;
}

const SCHEME = 's3://';

/**
 * Parses a profile root `s3://bucket`, `s3://bucket/music` or `s3://bucket/music/`. The prefix is
 * kept exactly as typed (S3 keys are case-sensitive and `a//b` is another key than `a/b`), so a
 * segment that is empty, `.` or `..` is refused rather than silently rewritten.
 */
export function parseS3Root(root: string): S3Root {
  const text = root.trim();
  if (!text.toLowerCase().startsWith(SCHEME)) {
    throw new ProviderError('invalid', `an S3 root is written s3://bucket or s3://bucket/prefix, not ${JSON.stringify(root)}`);
  }
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  checkBucketName(bucket);
  const segments = slash < 0 ? [] : rest.slice(slash + 1).split('/');
  if (segments.at(-1) === '') segments.pop(); // the trailing slash
  const bad = segments.find((s) => s === '' || s === '.' || s === '..');
  if (bad !== undefined) {
    throw new ProviderError('invalid', `the prefix of ${JSON.stringify(root)} has an empty, "." or ".." segment`);
  }
  if (segments.some((s) => s.includes('\0'))) throw new ProviderError('invalid', `the prefix of ${JSON.stringify(root)} holds a NUL character`);
  return { bucket, prefix: segments.length > 0 ? `${segments.join('/')}/` : '' };
}

/** The stored form of a root: `s3://bucket/` or `s3://bucket/prefix/`. */
export function formatS3Root(root: S3Root): string {
  return `${SCHEME}${root.bucket}/${root.prefix}`;
}

/**
 * Bucket names as AWS S3, MinIO, R2, B2, Wasabi and Garage accept them: 3 to 63 letters, digits,
 * dots, hyphens (and underscores, which old us-east-1 buckets and B2 allow), starting and ending with
 * a letter or digit, no `..`. Uppercase is let through for the same reason; the SDK addresses such
 * names path-style, as virtual hosts cannot carry them.
 */
export function checkBucketName(bucket: string): void {
  const problem =
    bucket.length === 0
      ? 'is empty'
      : bucket.length < 3 || bucket.length > 63
        ? 'must be 3 to 63 characters long'
        : !/^[A-Za-z0-9._-]+$/.test(bucket)
          ? 'may hold only letters, digits, ".", "-" and "_"'
          : !/^[A-Za-z0-9].*[A-Za-z0-9]$/.test(bucket)
            ? 'must start and end with a letter or digit'
            : bucket.includes('..')
              ? 'must not hold ".."'
              : undefined;
  if (problem) throw new ProviderError('invalid', `bucket name ${JSON.stringify(bucket)} ${problem}`);
}

/**
 * An endpoint as stored: an http(s) URL without credentials, query or fragment, and without a
 * trailing slash (`https://s3.eu-central-003.backblazeb2.com`, `http://127.0.0.1:9000`).
 */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new ProviderError('invalid', `endpoint ${JSON.stringify(endpoint)} is not a URL (write it as https://host[:port])`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProviderError('invalid', `endpoint ${JSON.stringify(endpoint)} must start with http:// or https://`);
  }
  // Credentials belong in the secret store, where they are sealed; never in a stored setting.
  if (url.username || url.password) throw new ProviderError('invalid', 'the endpoint must not hold a user name or password: store them as secrets');
  if (url.search || url.hash) throw new ProviderError('invalid', `endpoint ${JSON.stringify(endpoint)} must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Path-style addressing (`host/bucket/key`) is the default for an endpoint that is an IP address or
 * localhost: no DNS name `bucket.host` can exist there, and self-hosted MinIO and Garage are reached
 * that way. Any other host (AWS, R2, B2, Wasabi) gets virtual-hosted style, which AWS requires for
 * new buckets.
 */
export function defaultPathStyle(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost');
}

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { openBlockReader } from '../remote/block-reader.ts';
import { downloadTo } from '../remote/download.ts';
import { limiterFor, type AccountLimiter } from '../remote/limiter.ts';
import { withRetry } from '../remote/retry.ts';
import type {
  FileToRead, ListPage, ProfileLocation, ProviderContext, ProviderEnvironment, ProviderModule, ProviderProfile,
  RandomAccessReader, StorageProvider,
} from '../types.ts';
import { ProviderError } from '../types.ts';
import { clientFor, type S3Credentials } from './client.ts';
import { toRemoteError } from './errors.ts';
import { s3FetchRange } from './fetch-range.ts';
import { keyOfPath } from './keys.ts';
import { MAX_KEYS, toListPage } from './list.ts';
import { formatS3Root, parseS3Root, type S3Root } from './location.ts';
import { normalizeS3Settings, s3Options } from './settings.ts';

/** The secrets every S3 profile needs. */
export const S3_SECRET_NAMES = ['accessKeyId', 'secretAccessKey'] as const;
/** Secrets an S3 profile may have besides: temporary (STS) credentials carry a session token. They
 * are not in `secretNames`, which names only what a profile cannot do without. */
export const S3_OPTIONAL_SECRET_NAMES = ['sessionToken'] as const;

/** How long one listing request may take. Generous: gateways over plain disks (rclone's `serve s3`
 * with MD5 ETags) hash every file of a page before they answer. Reads use withRetry's default, a
 * timeout that restarts with every chunk received. */
const LIST_ATTEMPT_TIMEOUT_MS = 120_000;

/**
 * A bucket (and key prefix) on AWS S3 or a server speaking its API: MinIO, Backblaze B2, Cloudflare
 * R2, Wasabi, Garage. Every request goes through withRetry and the account's limiter (one per
 * endpoint, bucket and access key), so the SDK itself never retries.
 */
export class S3Provider implements StorageProvider {
  readonly kind = 's3';
  readonly usesNetwork = true;
  readonly root: S3Root;
  private readonly client: S3Client;
  private readonly limiter: AccountLimiter;
  private readonly tempDir: string;

  constructor(profile: ProfileLocation, environment: ProviderEnvironment) {
    this.root = parseS3Root(profile.root);
    const options = s3Options(profile.settings);
    const credentials = credentialsOf(environment.secrets);
    this.client = clientFor(options, credentials);
    // The account as the server counts it (also its name in the shared throttle table): the key id
    // names it, the secret never leaves the client.
    const account = `s3:${options.endpoint ?? `aws:${options.region}`}/${this.root.bucket}#${credentials.accessKeyId}`;
    this.limiter = limiterFor(account, options.maxConnections, environment.throttleBoard);
    this.tempDir = environment.tempDir;
  }

  /** One listing request on the prefix: bad credentials are `unauthorized`, a missing bucket
   * `unavailable`. An empty prefix is valid (as an empty folder is). */
  async validate(): Promise<void> {
    toListPage(await this.listObjects(undefined, 1), this.root.prefix, formatS3Root(this.root));
  }

  /** ListObjectsV2 pages; the page token is S3's continuation token. */
  async list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    const out = await this.listObjects(pageToken, Math.min(Math.max(1, pageSize), MAX_KEYS));
    return toListPage(out, this.root.prefix, formatS3Root(this.root));
  }

  async open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader> {
    const { key, what } = this.objectOf(file);
    const fetchRange = s3FetchRange({ client: this.client, bucket: this.root.bucket, key, what }, file.revision);
    return openBlockReader({ fetchRange, limiter: this.limiter, what, tempDir: this.tempDir, signal: context?.signal, attemptTimeoutMs: context?.stallTimeoutMs });
  }

  async download(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }> {
    const { key, what } = this.objectOf(file);
    const fetchRange = s3FetchRange({ client: this.client, bucket: this.root.bucket, key, what }, file.revision);
    const { bytesRead } = await downloadTo({
      fetchRange, limiter: this.limiter, what, target, signal: context?.signal, expectedSize: file.size, attemptTimeoutMs: context?.stallTimeoutMs,
    });
    return { bytesRead };
  }

  private listObjects(continuationToken: string | undefined, maxKeys: number) {
    const { bucket, prefix } = this.root;
    const what = formatS3Root(this.root);
    return withRetry(this.limiter, `listing ${what}`, async (signal) => {
      try {
        return await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, MaxKeys: maxKeys, ContinuationToken: continuationToken }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw toRemoteError(err, what, bucket);
      }
    }, { attemptTimeoutMs: LIST_ATTEMPT_TIMEOUT_MS });
  }

  /** The key of a listed file (its id is its path) and its name for people. */
  private objectOf(file: FileToRead): { key: string; what: string } {
    const key = keyOfPath(file.path, this.root.prefix);
    return { key, what: `s3://${this.root.bucket}/${key}` };
  }
}

function credentialsOf(secrets: Readonly<Record<string, string>>): S3Credentials {
  const missing = S3_SECRET_NAMES.filter((name) => !secrets[name]);
  if (missing.length > 0) throw new ProviderError('invalid', `the S3 profile has no ${missing.join(' and ')} among its secrets`);
  const credentials: S3Credentials = { accessKeyId: secrets.accessKeyId!, secretAccessKey: secrets.secretAccessKey! };
  if (secrets.sessionToken) credentials.sessionToken = secrets.sessionToken;
  return credentials;
}

/** An S3 profile's root is stored as `s3://bucket/prefix/` (or `s3://bucket/`), its settings with
 * only the keys it knows. Nothing is asked of the server here: the credentials are not stored yet. */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  return { root: formatS3Root(parseS3Root(location.root)), settings: { ...normalizeS3Settings(location.settings) } };
}

export const s3Provider: ProviderModule<'s3'> & { readonly optionalSecretNames: readonly string[] } = {
  kind: 's3',
  secretNames: S3_SECRET_NAMES,
  optionalSecretNames: S3_OPTIONAL_SECRET_NAMES,
  normalizeProfile,
  create: (profile: ProviderProfile, environment: ProviderEnvironment) => new S3Provider(profile, environment),
};

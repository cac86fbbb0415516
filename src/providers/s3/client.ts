import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Options } from './settings.ts';

/** An S3 account's credentials, from the profile's secrets. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How long connecting may take before the attempt fails (and withRetry tries again). */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a socket may stay silent before the SDK drops it: a backstop only, since withRetry's
 * attempt timeouts (see index.ts) end a stalled request first. */
const IDLE_TIMEOUT_MS = 150_000;

// Providers are made per activity; their clients are shared, so connections are kept alive across
// activities instead of a new pool (and new TLS handshakes) every time. Keyed by a hash of the
// whole configuration, secret included, so changed credentials get a client of their own; the map
// lives in memory only.
const clients = new Map<string, S3Client>();

/** The client for one configuration, made once per process. */
export function clientFor(options: S3Options, credentials: S3Credentials): S3Client {
  const key = createHash('sha256').update(JSON.stringify([options, credentials])).digest('hex');
  let client = clients.get(key);
  if (!client) {
    client = makeClient(options, credentials);
    clients.set(key, client);
  }
  return client;
}

function makeClient(options: S3Options, credentials: S3Credentials): S3Client {
  const agent = { keepAlive: true, maxSockets: options.maxConnections };
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    // The profile says where its bucket is: AWS_ENDPOINT_URL in the worker's environment or a shared
    // AWS config file must not send its requests (and credentials) elsewhere.
    ignoreConfiguredEndpointUrls: true,
    credentials,
    // One retry policy for every provider: withRetry retries, waits out throttling and shares the
    // account's limiter, so the SDK makes each request exactly once.
    maxAttempts: 1,
    // A bucket in another region than the setting says is followed there, as the AWS CLI does.
    followRegionRedirects: true,
    // Checksums only where S3 requires them: B2, R2, Wasabi and older MinIO and Garage refuse or
    // mangle the CRC headers newer SDKs add by default, and a ranged GET has no whole-object checksum.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS, httpAgent: agent, httpsAgent: agent },
  });
}

// An S3 client's failures as the remote layer knows them: a RemoteRequestError with the status (which
// retry.ts classifies once for every provider), or a ProviderError where the S3 error code says more
// than its status. Messages name the bucket and key, never a credential.
import { parseRetryAfter } from '../remote/retry-after.ts';
import { RemoteRequestError } from '../remote/types.ts';
import { ProviderError } from '../types.ts';

/** The fields of an SDK service error this module reads (S3ServiceException and its subclasses). */
interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

// Every server family names its throttling differently: AWS SlowDown (503), MinIO and Garage
// SlowDown or RequestLimitExceeded, B2 and Wasabi 429/503 with or without a code.
const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'SlowDownRead']);
/** Refusals of one object or bucket (a policy), not of the credentials. */
const FORBIDDEN: Record<string, string> = {
  AccessDenied: 'access denied: the key may not read it',
  AllAccessDisabled: 'all access to this bucket has been disabled',
};
const UNAUTHORIZED: Record<string, string> = {
  InvalidAccessKeyId: 'the access key id is not known to the server',
  SignatureDoesNotMatch: 'the secret access key does not match the access key id',
  InvalidToken: 'the session token is not valid',
  ExpiredToken: 'the session token has expired',
  TokenRefreshRequired: 'the session token has expired',
  AccountProblem: 'the account has a problem that keeps the request from completing',
};

function codeOf(err: SdkError): string | undefined {
  return err.Code ?? err.name;
}

function hasNetworkCause(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as Error).cause, depth++) {
    if (typeof (e as { code?: unknown }).code === 'string') return true;
    const name = (e as Error).name;
    if (name === 'AbortError' || name === 'TimeoutError') return true;
  }
  return false;
}

function statusOf(err: SdkError): number | undefined {
  return err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
}

/**
 * Turns a failed S3 call about `what` (`s3://bucket/key`, for people) into the error the remote layer
 * classifies. An error the server did not answer (a reset connection, a timeout, an abort) is
 * passed on as it is: retry.ts knows those.
 */
export function toRemoteError(err: unknown, what: string, bucket: string): unknown {
  if (err instanceof ProviderError || err instanceof RemoteRequestError) return err;
  const sdk = (err ?? {}) as SdkError;
  const status = statusOf(sdk);
  if (status === undefined || typeof err !== 'object') return err;
  // A success whose body failed: cut off (a network error, retried) or not S3's at all.
  if (status >= 200 && status <= 299) {
    if (hasNetworkCause(err)) return err;
    return new ProviderError('unavailable', `${what}: the answer could not be read as S3's (is the endpoint an S3 server?)`, { cause: err });
  }
  const code = codeOf(sdk);
  const headers = sdk.$response?.headers;
  const retryAfter = parseRetryAfter(headers?.['retry-after'] ?? headers?.['Retry-After']);
  if (code && THROTTLED.has(code)) {
    return new RemoteRequestError(status === 429 ? 429 : 503, `${what}: the server asks to slow down (${code})`, { retryAfterMs: retryAfter, cause: err });
  }
  if (code === 'NoSuchBucket') {
    return new ProviderError('unavailable', `bucket "${bucket}" does not exist on this server (or the endpoint or region is wrong)`, { cause: err });
  }
  if (code === 'NoSuchKey') return new ProviderError('notFound', `${what} does not exist`, { cause: err });
  if (code === 'InvalidObjectState') {
    return new ProviderError('invalid', `${what} is archived (Glacier or Deep Archive) and must be restored before it can be read`, { cause: err });
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    const region = headers?.['x-amz-bucket-region'];
    const hint = region ? ` (the bucket is in ${region}: set the region setting)` : ' (check the region and endpoint settings)';
    return new ProviderError('invalid', `bucket "${bucket}" must be reached through another region or endpoint${hint}`, { cause: err });
  }
  const unauthorized = code ? UNAUTHORIZED[code] : undefined;
  if (unauthorized) return new ProviderError('unauthorized', `${what}: ${unauthorized}`, { cause: err });
  const forbidden = code ? FORBIDDEN[code] : undefined;
  if (forbidden) return new ProviderError('forbidden', `${what}: ${forbidden}`, { cause: err });
  // A HEAD or a bodiless error has a status and a generic name (NotFound, Forbidden, Unknown).
  return new RemoteRequestError(status, `${what}: ${code && code !== 'Unknown' ? code : 'HTTP'} ${status}`, { retryAfterMs: retryAfter, cause: err });
}

import { ProviderError } from '../types.ts';
import { defaultPathStyle, normalizeEndpoint } from './location.ts';

/** An S3 profile's settings as stored. Without `endpoint` the bucket is on AWS S3 itself. */
export interface S3Settings {
  /** The server: MinIO, Garage, `https://<account>.r2.cloudflarestorage.com`, `https://s3.<region>.backblazeb2.com`, ... */
  endpoint?: string;
  /** The signing region; R2 takes `auto`, Garage its configured `s3_region`. */
  region?: string;
  /** `host/bucket/key` instead of `bucket.host/key`; see `defaultPathStyle`. */
  forcePathStyle?: boolean;
  /** Requests in flight at once for this account, bucket and key. */
  maxConnections?: number;
}

/** The settings with every default applied, as the provider uses them. */
export interface S3Options {
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  maxConnections: number;
}

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_MAX_CONNECTIONS = 16;
const MAX_CONNECTIONS_LIMIT = 256;
const KNOWN = ['endpoint', 'region', 'forcePathStyle', 'maxConnections'] as const;

/** Checks and normalises stored settings; unknown keys are refused, so a misspelt one is noticed. */
export function normalizeS3Settings(settings: Record<string, unknown>): S3Settings {
  const unknown = Object.keys(settings).filter((k) => !(KNOWN as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new ProviderError('invalid', `unknown S3 setting ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${KNOWN.join(', ')})`);
  }
  const out: S3Settings = {};
  const { endpoint, region, forcePathStyle, maxConnections } = settings;
  if (endpoint !== undefined) {
    if (typeof endpoint !== 'string') throw new ProviderError('invalid', 'S3 setting endpoint must be a URL string');
    out.endpoint = normalizeEndpoint(endpoint);
  }
  if (region !== undefined) {
    if (typeof region !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(region.trim())) {
      throw new ProviderError('invalid', `S3 setting region must be a region name such as us-east-1, not ${JSON.stringify(region)}`);
    }
    out.region = region.trim();
  }
  if (forcePathStyle !== undefined) {
    if (typeof forcePathStyle !== 'boolean') throw new ProviderError('invalid', 'S3 setting forcePathStyle must be true or false');
    out.forcePathStyle = forcePathStyle;
  }
  if (maxConnections !== undefined) {
    if (typeof maxConnections !== 'number' || !Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > MAX_CONNECTIONS_LIMIT) {
      throw new ProviderError('invalid', `S3 setting maxConnections must be a whole number from 1 to ${MAX_CONNECTIONS_LIMIT}`);
    }
    out.maxConnections = maxConnections;
  }
  return out;
}

/** Stored settings with the defaults filled in. */
export function s3Options(settings: Record<string, unknown>): S3Options {
  const s = normalizeS3Settings(settings);
  return {
    endpoint: s.endpoint,
    region: s.region ?? DEFAULT_REGION,
    forcePathStyle: s.forcePathStyle ?? defaultPathStyle(s.endpoint),
    maxConnections: s.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  };
}

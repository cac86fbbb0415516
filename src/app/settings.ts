// The environment, read once: every variable music-sync understands becomes one typed field here, and
// nothing else in the product reads `process.env`. Light on purpose (type imports only): the CLI reads
// it before it knows which command runs.
import type { CloudKind } from '../providers/oauth/types.ts';
import type { TemporalServerSettings } from '../stack/temporal.ts';

/** Where the embedded services keep their state unless `--data-dir` says otherwise. */
export const DEFAULT_DATA_DIR = '.music-sync';

export interface Settings {
  /** DATABASE_URL: a Postgres of the user's; without it, an embedded one in the data dir. */
  databaseUrl: string | undefined;
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_CLI_PATH and PATH. */
  temporal: TemporalServerSettings;
  /** MUSIC_SYNC_METERED: the worker's network is metered, so syncs with `wifiOnly` of providers that
   * use the network are postponed. */
  metered: boolean;
  /** MUSIC_SYNC_DEBUG: stack traces and the worker's INFO logs. */
  debug: boolean;
  /** MUSIC_SYNC_SECRET_KEY: the key that seals profiles' credentials, as given (checked by
   * SecretBox.fromKeyText where credentials are read or written; a local folder needs none). */
  secretKey: string | undefined;
  /** What a new remote profile is made with when the command line does not say. */
  remote: RemoteSettings;
  /** RCLONE_PATH: the rclone the tests and the benchmark serve WebDAV and S3 with (src/testing). */
  rclonePath: string | undefined;
  /** The OAuth client (and, to point elsewhere, the endpoints) a new cloud profile is linked with. */
  cloud: Record<CloudKind, CloudClientSettings>;
  /** How a worker follows local profiles' folders. */
  watch: WatchSettings;
  /** Where `music-sync serve` listens for providers' change notifications. */
  push: PushSettings;
  /** OpenTelemetry traces of syncs (OTEL_*); undefined: off. */
  tracing: TracingSettings | undefined;
  /** Where a worker serves its Prometheus metrics and health. */
  metrics: MetricsSettings;
  /** How and how much the product logs (on stderr). */
  log: LogSettings;
}

/** MUSIC_SYNC_METRICS (on unless 0/off) and MUSIC_SYNC_METRICS_LISTEN (host:port, default
 * 127.0.0.1:9464): `/metrics` and `/healthz` of `up` and `worker`. */
export interface MetricsSettings {
  enabled: boolean;
  listen: { host: string; port: number };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** MUSIC_SYNC_LOG (`pretty`, the default, or `json`: one object per line) and MUSIC_SYNC_LOG_LEVEL
 * (default `warn`, `info` with MUSIC_SYNC_DEBUG). */
export interface LogSettings {
  format: 'pretty' | 'json';
  level: LogLevel;
}

/** MUSIC_SYNC_WATCH (on unless 0/off), MUSIC_SYNC_WATCH_QUIET_MS, MUSIC_SYNC_WATCH_MAX_WAIT_MS: a burst of
 * changes becomes one request once the folder has been quiet for `quietMs`, or `maxWaitMs` after its
 * first change if it never goes quiet. */
export interface WatchSettings {
  enabled: boolean;
  quietMs: number;
  maxWaitMs: number;
}

/** MUSIC_SYNC_PUSH_LISTEN (host:port, default 127.0.0.1:8787) and MUSIC_SYNC_PUSH_URL: the public https
 * address providers reach that listener at (behind a reverse proxy or tunnel); without it, no
 * subscriptions are made and only Dropbox's app-wide webhook can arrive. */
export interface PushSettings {
  listen: { host: string; port: number };
  publicUrl: string | undefined;
}

/** MUSIC_SYNC_{GDRIVE,ONEDRIVE,DROPBOX}_{CLIENT_ID,CLIENT_SECRET,AUTH_URL,TOKEN_URL,API_URL} and
 * MUSIC_SYNC_DROPBOX_CONTENT_URL; unset endpoints are the provider's own. */
export interface CloudClientSettings {
  clientId?: string;
  clientSecret?: string;
  authUrl?: string;
  tokenUrl?: string;
  apiUrl?: string;
  contentUrl?: string;
}

/** Credentials are taken from here only when a profile is created, then kept sealed with it. */
export interface RemoteSettings {
  /** MUSIC_SYNC_WEBDAV_USER, MUSIC_SYNC_WEBDAV_PASSWORD. */
  webdavUser: string | undefined;
  webdavPassword: string | undefined;
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: the standard AWS variables. */
  awsAccessKeyId: string | undefined;
  awsSecretAccessKey: string | undefined;
  awsSessionToken: string | undefined;
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: an S3-compatible endpoint. */
  awsEndpointUrl: string | undefined;
  /** AWS_REGION or AWS_DEFAULT_REGION. */
  awsRegion: string | undefined;
}

/** A variable that is set but means nothing. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): Settings {
  const given = (name: string) => (env[name] ? env[name] : undefined);
  return {
    databaseUrl: given('DATABASE_URL'),
    temporal: {
      address: given('TEMPORAL_ADDRESS'),
      namespace: given('TEMPORAL_NAMESPACE') ?? 'default',
      cliPath: given('TEMPORAL_CLI_PATH'),
      searchPath: env.PATH ?? '',
    },
    metered: flag(env, 'MUSIC_SYNC_METERED', true),
    debug: flag(env, 'MUSIC_SYNC_DEBUG', false),
    secretKey: given('MUSIC_SYNC_SECRET_KEY'),
    remote: {
      webdavUser: given('MUSIC_SYNC_WEBDAV_USER'),
      // An empty password is a password (a server without one), so it is taken as set.
      webdavPassword: env.MUSIC_SYNC_WEBDAV_PASSWORD,
      awsAccessKeyId: given('AWS_ACCESS_KEY_ID'),
      awsSecretAccessKey: given('AWS_SECRET_ACCESS_KEY'),
      awsSessionToken: given('AWS_SESSION_TOKEN'),
      awsEndpointUrl: given('AWS_ENDPOINT_URL_S3') ?? given('AWS_ENDPOINT_URL'),
      awsRegion: given('AWS_REGION') ?? given('AWS_DEFAULT_REGION'),
    },
    rclonePath: given('RCLONE_PATH'),
    cloud: { gdrive: cloud(given, 'GDRIVE'), onedrive: cloud(given, 'ONEDRIVE'), dropbox: { ...cloud(given, 'DROPBOX'), contentUrl: given('MUSIC_SYNC_DROPBOX_CONTENT_URL') } },
    watch: {
      enabled: env.MUSIC_SYNC_WATCH === undefined || flag(env, 'MUSIC_SYNC_WATCH', true),
      quietMs: millis(env, 'MUSIC_SYNC_WATCH_QUIET_MS', 2_000),
      maxWaitMs: millis(env, 'MUSIC_SYNC_WATCH_MAX_WAIT_MS', 30_000),
    },
    push: { listen: hostPort(env, 'MUSIC_SYNC_PUSH_LISTEN', '127.0.0.1:8787'), publicUrl: given('MUSIC_SYNC_PUSH_URL') },
    tracing: tracing(env, given),
    metrics: {
      enabled: env.MUSIC_SYNC_METRICS === undefined || flag(env, 'MUSIC_SYNC_METRICS', true),
      listen: hostPort(env, 'MUSIC_SYNC_METRICS_LISTEN', '127.0.0.1:9464'),
    },
    log: {
      format: oneOf(env, 'MUSIC_SYNC_LOG', ['pretty', 'json'] as const, 'pretty'),
      level: oneOf(env, 'MUSIC_SYNC_LOG_LEVEL', LOG_LEVELS, flag(env, 'MUSIC_SYNC_DEBUG', false) ? 'info' : 'warn'),
    },
  };
}

/** One of a few words (any case); unset or empty is the fallback. */
function oneOf<T extends string>(env: Readonly<Record<string, string | undefined>>, name: string, words: readonly T[], fallback: T): T {
  const text = env[name]?.trim().toLowerCase();
  if (!text) return fallback;
  if (!(words as readonly string[]).includes(text)) throw new SettingsError(`${name} must be one of ${words.join(', ')}, got "${env[name]}"`);
  return text as T;
}

/** A duration in milliseconds: a whole number, 0 or more. */
function millis(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new SettingsError(`${name} must be a whole number of milliseconds, got "${env[name]}"`);
  return Number(text);
}

function hostPort(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string): { host: string; port: number } {
  const text = env[name]?.trim() || fallback;
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || port > 65535) throw new SettingsError(`${name} must be host:port (like 127.0.0.1:8787), got "${text}"`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function cloud(given: (name: string) => string | undefined, part: string): CloudClientSettings {
  const v = (name: string) => given(`MUSIC_SYNC_${part}_${name}`);
  return { clientId: v('CLIENT_ID'), clientSecret: v('CLIENT_SECRET'), authUrl: v('AUTH_URL'), tokenUrl: v('TOKEN_URL'), apiUrl: v('API_URL') };
}

const YES = ['1', 'true', 'yes', 'on'];
const NO = ['', '0', 'false', 'no', 'off'];

/** A yes/no variable; unset is no. A strict one refuses anything else, so a typo is not taken as "no". */
function flag(env: Readonly<Record<string, string | undefined>>, name: string, strict: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || NO.includes(value)) return false;
  if (YES.includes(value) || !strict) return true;
  throw new SettingsError(`${name} must be 1 or 0 (or yes/no, true/false, on/off), got "${env[name]}"`);
}

/** OpenTelemetry's standard variables, traces only, and off unless they ask for traces:
 * OTEL_TRACES_EXPORTER (`otlp`, `console`, both comma-separated, or `none`), or else an OTLP endpoint
 * given (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true turns
 * them off whatever else is set. OTEL_SERVICE_NAME names the service (default `music-sync`). The OTLP
 * exporter reads the rest of OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself; it speaks
 * OTLP/HTTP with JSON, so gRPC is refused here rather than failing quietly at the first export. */
export interface TracingSettings {
  exporters: TraceExporterName[];
  serviceName: string;
}

export type TraceExporterName = 'otlp' | 'console';
const TRACE_EXPORTERS: readonly TraceExporterName[] = ['otlp', 'console'];

function tracing(env: Readonly<Record<string, string | undefined>>, given: (name: string) => string | undefined): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const endpoints = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'].filter((name) => given(name));
  const named = given('OTEL_TRACES_EXPORTER')?.split(',').map((word) => word.trim().toLowerCase()).filter(Boolean);
  const exporters = named ?? (endpoints.length > 0 ? ['otlp'] : []);
  if (exporters.includes('none')) return undefined;
  for (const word of exporters) {
    if (!(TRACE_EXPORTERS as readonly string[]).includes(word)) {
      throw new SettingsError(`OTEL_TRACES_EXPORTER must be otlp, console or none (or a comma-separated list), got "${env.OTEL_TRACES_EXPORTER}"`);
    }
  }
  if (exporters.length === 0) return undefined;
  if (exporters.includes('otlp')) {
    for (const name of endpoints) {
      if (!/^https?:\/\/[^/]/i.test(given(name)!.trim()) || !URL.canParse(given(name)!.trim())) {
        throw new SettingsError(`${name} must be an http:// or https:// address (like http://127.0.0.1:4318), got "${env[name]}"`);
      }
    }
    const protocol = given('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? given('OTEL_EXPORTER_OTLP_PROTOCOL');
    if (protocol?.trim().toLowerCase() === 'grpc') {
      throw new SettingsError('music-sync sends traces over OTLP/HTTP (JSON), not gRPC: unset OTEL_EXPORTER_OTLP_PROTOCOL and point OTEL_EXPORTER_OTLP_ENDPOINT at the collector\'s HTTP port (usually 4318)');
    }
  }
  return { exporters: [...new Set(exporters)] as TraceExporterName[], serviceName: given('OTEL_SERVICE_NAME')?.trim() || 'music-sync' };
}

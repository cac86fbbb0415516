import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkPolicyOf } from '../../src/app/open.ts';
import { readSettings, SettingsError } from '../../src/app/settings.ts';

const NO_CLOUD_CLIENT = { clientId: undefined, clientSecret: undefined, authUrl: undefined, tokenUrl: undefined, apiUrl: undefined };
const NO_CLOUD = { gdrive: NO_CLOUD_CLIENT, onedrive: NO_CLOUD_CLIENT, dropbox: { ...NO_CLOUD_CLIENT, contentUrl: undefined } };

test('settings: the environment read once, with the defaults of a machine that sets nothing', () => {
  assert.deepEqual(readSettings({ PATH: '/bin' }), {
    databaseUrl: undefined,
    temporal: { address: undefined, namespace: 'default', cliPath: undefined, searchPath: '/bin' },
    metered: false,
    debug: false,
    secretKey: undefined,
    rclonePath: undefined,
    remote: {
      webdavUser: undefined, webdavPassword: undefined, awsAccessKeyId: undefined, awsSecretAccessKey: undefined,
      awsSessionToken: undefined, awsEndpointUrl: undefined, awsRegion: undefined,
    },
    cloud: NO_CLOUD,
    watch: { enabled: true, quietMs: 2_000, maxWaitMs: 30_000 },
    push: { listen: { host: '127.0.0.1', port: 8787 }, publicUrl: undefined },
    tracing: undefined,
    metrics: { enabled: true, listen: { host: '127.0.0.1', port: 9464 } },
    log: { format: 'pretty', level: 'warn' },
  });
  const given = readSettings({
    DATABASE_URL: 'postgres://u:p@db/music', TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'music',
    TEMPORAL_CLI_PATH: '/opt/temporal', MUSIC_SYNC_METERED: 'yes', MUSIC_SYNC_DEBUG: '1',
    MUSIC_SYNC_SECRET_KEY: 'c2VjcmV0', RCLONE_PATH: '/opt/rclone',
    MUSIC_SYNC_WEBDAV_USER: 'me', MUSIC_SYNC_WEBDAV_PASSWORD: '', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'shh',
    AWS_ENDPOINT_URL: 'http://minio:9000', AWS_DEFAULT_REGION: 'eu-west-3',
    MUSIC_SYNC_WATCH: 'off', MUSIC_SYNC_WATCH_QUIET_MS: '500', MUSIC_SYNC_WATCH_MAX_WAIT_MS: '10000',
    MUSIC_SYNC_PUSH_LISTEN: '[::1]:9000', MUSIC_SYNC_PUSH_URL: 'https://music.example.com',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'music-sync-nas',
    MUSIC_SYNC_METRICS: 'off', MUSIC_SYNC_METRICS_LISTEN: '0.0.0.0:9100', MUSIC_SYNC_LOG: 'JSON',
  });
  assert.deepEqual(given, {
    databaseUrl: 'postgres://u:p@db/music',
    temporal: { address: 'temporal:7233', namespace: 'music', cliPath: '/opt/temporal', searchPath: '' },
    metered: true,
    debug: true,
    secretKey: 'c2VjcmV0',
    rclonePath: '/opt/rclone',
    // An empty password is one (a server without a password), not an unset variable.
    remote: {
      webdavUser: 'me', webdavPassword: '', awsAccessKeyId: 'AKID', awsSecretAccessKey: 'shh',
      awsSessionToken: undefined, awsEndpointUrl: 'http://minio:9000', awsRegion: 'eu-west-3',
    },
    cloud: NO_CLOUD,
    watch: { enabled: false, quietMs: 500, maxWaitMs: 10_000 },
    push: { listen: { host: '::1', port: 9000 }, publicUrl: 'https://music.example.com' },
    // An OTLP endpoint alone asks for traces.
    tracing: { exporters: ['otlp'], serviceName: 'music-sync-nas' },
    metrics: { enabled: false, listen: { host: '0.0.0.0', port: 9100 } },
    // MUSIC_SYNC_DEBUG without MUSIC_SYNC_LOG_LEVEL logs INFO and up.
    log: { format: 'json', level: 'info' },
  });
  // Set but empty is unset, as a shell's `DATABASE_URL= music-sync ...` means.
  assert.equal(readSettings({ DATABASE_URL: '', TEMPORAL_ADDRESS: '' }).databaseUrl, undefined);
  assert.equal(readSettings({ MUSIC_SYNC_DEBUG: '0' }).debug, false);
  assert.equal(readSettings({ MUSIC_SYNC_METERED: 'off' }).metered, false);
  assert.equal(readSettings({ MUSIC_SYNC_LOG_LEVEL: 'Error', MUSIC_SYNC_DEBUG: '1' }).log.level, 'error');
});

test('settings: a metrics switch, log format or log level that means nothing is an error that names it', () => {
  assert.throws(() => readSettings({ MUSIC_SYNC_METRICS: 'maybe' }), /MUSIC_SYNC_METRICS must be 1 or 0/);
  assert.throws(() => readSettings({ MUSIC_SYNC_METRICS_LISTEN: '9464' }), /MUSIC_SYNC_METRICS_LISTEN must be host:port/);
  assert.throws(() => readSettings({ MUSIC_SYNC_LOG: 'xml' }), (e: unknown) =>
    e instanceof SettingsError && /MUSIC_SYNC_LOG must be one of pretty, json, got "xml"/.test(e.message));
  assert.throws(() => readSettings({ MUSIC_SYNC_LOG_LEVEL: 'verbose' }), /MUSIC_SYNC_LOG_LEVEL must be one of trace, debug, info, warn, error/);
});

test('settings: a watch delay or listen address that means nothing is an error that names it', () => {
  assert.throws(() => readSettings({ MUSIC_SYNC_WATCH_QUIET_MS: '2s' }), /MUSIC_SYNC_WATCH_QUIET_MS must be a whole number of milliseconds, got "2s"/);
  assert.throws(() => readSettings({ MUSIC_SYNC_WATCH: 'maybe' }), /MUSIC_SYNC_WATCH must be 1 or 0/);
  assert.throws(() => readSettings({ MUSIC_SYNC_PUSH_LISTEN: '8787' }), /MUSIC_SYNC_PUSH_LISTEN must be host:port/);
  assert.throws(() => readSettings({ MUSIC_SYNC_PUSH_LISTEN: 'localhost:99999' }), /MUSIC_SYNC_PUSH_LISTEN must be host:port/);
});

test('settings: a metered flag that means nothing is an error that names it, not a silent "no"', () => {
  assert.throws(() => readSettings({ MUSIC_SYNC_METERED: 'sometimes' }), (e: unknown) =>
    e instanceof SettingsError && /MUSIC_SYNC_METERED must be 1 or 0/.test(e.message) && /"sometimes"/.test(e.message));
});

test('the network policy the worker gets is the one the settings describe', async () => {
  assert.equal(await networkPolicyOf(readSettings({ MUSIC_SYNC_METERED: '1' })).isMetered(), true);
  assert.equal(await networkPolicyOf(readSettings({})).isMetered(), false);
});

test('settings: traces follow the standard OTEL_ variables and are off unless they ask', () => {
  const traced = (env: Record<string, string>) => readSettings(env).tracing;
  assert.equal(traced({}), undefined);
  // A service name, or another signal's exporter, does not turn traces on.
  assert.equal(traced({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'x' }), undefined);
  assert.deepEqual(traced({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example.com/v1/traces' }), { exporters: ['otlp'], serviceName: 'music-sync' });
  assert.deepEqual(traced({ OTEL_TRACES_EXPORTER: 'Console, otlp,console' }), { exporters: ['console', 'otlp'], serviceName: 'music-sync' });
  assert.equal(traced({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), undefined);
  assert.equal(traced({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }), undefined);
  // Only "true" disables, as the specification says.
  assert.deepEqual(traced({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'console' }), { exporters: ['console'], serviceName: 'music-sync' });
});

test('settings: a trace exporter, endpoint or protocol music-sync cannot use is an error that names it', () => {
  assert.throws(() => readSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }), (e: unknown) =>
    e instanceof SettingsError && /OTEL_TRACES_EXPORTER must be otlp, console or none/.test(e.message) && /"zipkin"/.test(e.message));
  assert.throws(() => readSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), /OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ address/);
  assert.throws(() => readSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /not gRPC/);
  // Traces off: the OTLP variables are not ours to judge.
  assert.equal(readSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing, undefined);
});

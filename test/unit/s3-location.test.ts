import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoSuchBucket, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { RemoteRequestError } from '../../src/providers/remote/types.ts';
import { toRemoteError } from '../../src/providers/s3/errors.ts';
import { s3Provider } from '../../src/providers/s3/index.ts';
import { keyOfPath, pathOfKey, providerHashOfEtag } from '../../src/providers/s3/keys.ts';
import { defaultPathStyle, formatS3Root, normalizeEndpoint, parseS3Root } from '../../src/providers/s3/location.ts';
import { s3Options } from '../../src/providers/s3/settings.ts';
import { ProviderError } from '../../src/providers/types.ts';

const invalid = (pattern: RegExp) => (e: unknown) => e instanceof ProviderError && e.kind === 'invalid' && pattern.test(e.message);

test('roots: s3://bucket, s3://bucket/prefix and s3://bucket/prefix/ normalise to one stored form', () => {
  assert.deepEqual(parseS3Root('s3://music'), { bucket: 'music', prefix: '' });
  assert.deepEqual(parseS3Root('s3://music/'), { bucket: 'music', prefix: '' });
  assert.deepEqual(parseS3Root('s3://music/Library'), { bucket: 'music', prefix: 'Library/' });
  assert.deepEqual(parseS3Root('s3://music/Library/Rock/'), { bucket: 'music', prefix: 'Library/Rock/' });
  assert.deepEqual(parseS3Root(' S3://my.bucket-1/Mü sic '), { bucket: 'my.bucket-1', prefix: 'Mü sic/' });
  assert.equal(formatS3Root(parseS3Root('s3://music/Library')), 's3://music/Library/');
  assert.equal(formatS3Root(parseS3Root('s3://music')), 's3://music/');
});

test('roots: a missing scheme, a bad bucket name or an odd prefix segment is refused with the reason', () => {
  assert.throws(() => parseS3Root('music/Library'), invalid(/s3:\/\/bucket/));
  assert.throws(() => parseS3Root('https://music/x'), invalid(/s3:\/\/bucket/));
  assert.throws(() => parseS3Root('s3://'), invalid(/is empty/));
  assert.throws(() => parseS3Root('s3:///x'), invalid(/is empty/));
  assert.throws(() => parseS3Root('s3://ab'), invalid(/3 to 63/));
  assert.throws(() => parseS3Root(`s3://${'a'.repeat(64)}`), invalid(/3 to 63/));
  assert.throws(() => parseS3Root('s3://my bucket'), invalid(/only letters/));
  assert.throws(() => parseS3Root('s3://bücket'), invalid(/only letters/));
  assert.throws(() => parseS3Root('s3://-bucket'), invalid(/start and end/));
  assert.throws(() => parseS3Root('s3://bucket-'), invalid(/start and end/));
  assert.throws(() => parseS3Root('s3://a..b'), invalid(/"\.\."/));
  assert.throws(() => parseS3Root('s3://music//Library'), invalid(/empty, "\." or "\.\." segment/));
  assert.throws(() => parseS3Root('s3://music/a/../b'), invalid(/segment/));
  assert.throws(() => parseS3Root('s3://music/./b'), invalid(/segment/));
  assert.ok(parseS3Root(`s3://${'a'.repeat(63)}`));
});

test('endpoints: http(s) URLs only, without credentials; stored without the trailing slash', () => {
  assert.equal(normalizeEndpoint('http://127.0.0.1:9000/'), 'http://127.0.0.1:9000');
  assert.equal(normalizeEndpoint('https://s3.eu-central-003.backblazeb2.com'), 'https://s3.eu-central-003.backblazeb2.com');
  assert.throws(() => normalizeEndpoint('not a url'), invalid(/not a URL/));
  assert.throws(() => normalizeEndpoint('ftp://host'), invalid(/http:\/\/ or https:\/\//));
  assert.throws(() => normalizeEndpoint('https://key:secret@host'), (e: unknown) => invalid(/secrets/)(e) && !/secret@/.test((e as Error).message));
  assert.throws(() => normalizeEndpoint('https://host/?x=1'), invalid(/query/));
});

test('path style is the default for IP addresses and localhost, not for named hosts', () => {
  for (const endpoint of ['http://127.0.0.1:9000', 'http://localhost:9000', 'http://minio.localhost', 'http://[::1]:3900', 'https://10.0.0.5']) {
    assert.equal(defaultPathStyle(endpoint), true, endpoint);
  }
  for (const endpoint of [undefined, 'https://s3.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com', 'https://acct.r2.cloudflarestorage.com', 'https://s3.wasabisys.com']) {
    assert.equal(defaultPathStyle(endpoint), false, String(endpoint));
  }
});

test('settings: defaults filled in, explicit path style wins, unknown or ill-typed keys refused', () => {
  assert.deepEqual(s3Options({}), { endpoint: undefined, region: 'us-east-1', forcePathStyle: false, maxConnections: 16 });
  assert.deepEqual(s3Options({ endpoint: 'http://127.0.0.1:9000/', region: 'garage', maxConnections: 4 }), {
    endpoint: 'http://127.0.0.1:9000', region: 'garage', forcePathStyle: true, maxConnections: 4,
  });
  assert.equal(s3Options({ endpoint: 'http://localhost:9000', forcePathStyle: false }).forcePathStyle, false);
  assert.equal(s3Options({ endpoint: 'https://s3.example.com', forcePathStyle: true }).forcePathStyle, true);
  assert.throws(() => s3Options({ forcePathstyle: true }), invalid(/unknown S3 setting "forcePathstyle"/));
  assert.throws(() => s3Options({ endpoint: 42 }), invalid(/endpoint/));
  assert.throws(() => s3Options({ endpoint: 'nope' }), invalid(/not a URL/));
  assert.throws(() => s3Options({ region: 'us east' }), invalid(/region/));
  assert.throws(() => s3Options({ forcePathStyle: 'yes' }), invalid(/true or false/));
  assert.throws(() => s3Options({ maxConnections: 0 }), invalid(/1 to 256/));
  assert.throws(() => s3Options({ maxConnections: 2.5 }), invalid(/1 to 256/));
});

test('the module stores a profile normalised, and needs both keys (a session token is optional)', async () => {
  assert.deepEqual(await s3Provider.normalizeProfile({ root: 's3://music/Library', settings: { endpoint: 'http://localhost:9000/' } }), {
    root: 's3://music/Library/', settings: { endpoint: 'http://localhost:9000' },
  });
  await assert.rejects(s3Provider.normalizeProfile({ root: 's3://x', settings: {} }), invalid(/3 to 63/));
  assert.deepEqual([...s3Provider.secretNames], ['accessKeyId', 'secretAccessKey']);
  assert.deepEqual([...s3Provider.optionalSecretNames], ['sessionToken']);
  const profile = { provider: 's3', root: 's3://music/', settings: { endpoint: 'http://127.0.0.1:1' } };
  assert.throws(() => s3Provider.create(profile, { secrets: { accessKeyId: 'AK' }, tempDir: '/tmp' }), invalid(/secretAccessKey/));
  const provider = s3Provider.create(profile, { secrets: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' }, tempDir: '/tmp' });
  assert.equal(provider.kind, 's3');
  assert.equal(provider.usesNetwork, true);
});

test('keys: the prefix comes off; folder markers and hidden names are skipped; keys no path can name are reported', () => {
  assert.deepEqual(pathOfKey('Lib/Artist/01 Song.mp3', 'Lib/'), { kind: 'file', path: 'Artist/01 Song.mp3' });
  assert.deepEqual(pathOfKey('song.mp3', ''), { kind: 'file', path: 'song.mp3' });
  assert.deepEqual(pathOfKey('Lib/', 'Lib/'), { kind: 'skipped' });
  assert.deepEqual(pathOfKey('Lib/Album/', 'Lib/'), { kind: 'skipped' });
  assert.deepEqual(pathOfKey('Lib/._song.mp3', 'Lib/'), { kind: 'skipped' });
  assert.deepEqual(pathOfKey('Lib/.git/x.mp3', 'Lib/'), { kind: 'skipped' });
  assert.deepEqual(pathOfKey('Other/x.mp3', 'Lib/'), { kind: 'skipped' });
  for (const key of ['Lib//x.mp3', 'Lib/a//x.mp3', 'Lib/./x.mp3', 'Lib/a/../x.mp3', 'Lib/..', 'Lib/x\0.mp3', 'Lib/\u{10FFE9}.mp3']) {
    const verdict = pathOfKey(key, 'Lib/');
    assert.equal(verdict.kind, 'unlisted', key);
  }
  assert.equal(keyOfPath('Artist/01 Song.mp3', 'Lib/'), 'Lib/Artist/01 Song.mp3');
  for (const path of ['', '/x.mp3', 'a//b', '../x', 'a/./b']) assert.throws(() => keyOfPath(path, 'Lib/'), invalid(/not a path/), path);
});

test('ETags: a plain MD5 is the provider hash; multipart and other forms are none', () => {
  assert.equal(providerHashOfEtag('"9E107D9D372BB6826BD81D3542A419D6"'), 'md5:9e107d9d372bb6826bd81d3542a419d6');
  assert.equal(providerHashOfEtag('9e107d9d372bb6826bd81d3542a419d6'), 'md5:9e107d9d372bb6826bd81d3542a419d6');
  assert.equal(providerHashOfEtag('"9e107d9d372bb6826bd81d3542a419d6-3"'), null);
  assert.equal(providerHashOfEtag('"abc"'), null);
  assert.equal(providerHashOfEtag(''), null);
  assert.equal(providerHashOfEtag(undefined), null);
});

test('SDK errors: codes decide the verdict, statuses go on to the retry policy, no secret in any message', () => {
  const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, $fault: 'client' as const });
  const what = 's3://music/a.mp3';
  const key = toRemoteError(new NoSuchKey({ ...meta(404), message: 'The specified key does not exist.' }), what, 'music');
  assert.ok(key instanceof ProviderError && key.kind === 'notFound' && key.message.includes(what));
  const bucket = toRemoteError(new NoSuchBucket({ ...meta(404), message: 'nope' }), what, 'music');
  assert.ok(bucket instanceof ProviderError && bucket.kind === 'unavailable' && /bucket "music" does not exist/.test(bucket.message));
  for (const [name, kind] of [['InvalidAccessKeyId', 'unauthorized'], ['SignatureDoesNotMatch', 'unauthorized'], ['AccessDenied', 'forbidden']]) {
    const e = toRemoteError(new S3ServiceException({ name: name!, ...meta(403), message: 'SECRET-in-server-text' }), what, 'music');
    assert.ok(e instanceof ProviderError && e.kind === kind, name);
    assert.ok(!e.message.includes('SECRET'), name);
  }
  const slow = new S3ServiceException({ name: 'SlowDown', ...meta(503), message: 'Please reduce your request rate.' });
  slow.$response = { statusCode: 503, headers: { 'retry-after': '7' }, body: undefined } as never;
  const throttled = toRemoteError(slow, what, 'music');
  assert.ok(throttled instanceof RemoteRequestError && throttled.status === 503 && throttled.retryAfterMs === 7000);
  const tooMany = toRemoteError(new S3ServiceException({ name: 'TooManyRequests', ...meta(429) }), what, 'music');
  assert.ok(tooMany instanceof RemoteRequestError && tooMany.status === 429);
  const head = toRemoteError(new S3ServiceException({ name: 'NotFound', ...meta(404) }), what, 'music');
  assert.ok(head instanceof RemoteRequestError && head.status === 404);
  const internal = toRemoteError(new S3ServiceException({ name: 'InternalError', ...meta(500) }), what, 'music');
  assert.ok(internal instanceof RemoteRequestError && internal.status === 500 && /InternalError 500/.test(internal.message));
  const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  assert.equal(toRemoteError(network, what, 'music'), network);
});

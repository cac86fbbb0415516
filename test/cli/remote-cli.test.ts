// `music-sync scan <url>` as a user runs it against real servers: credentials from the environment,
// never from argv; wrong input is one line on stderr.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateLibrary } from '../../src/testing/fixtures.ts';
import { startFaultProxy } from '../../src/testing/fault-proxy.ts';
import { startS3Server, startWebdavServer, type S3Server, type WebdavServer } from '../../src/testing/remote-servers.ts';
import { runCli } from '../helpers/cli.ts';

let tmp: string;
let webdav: WebdavServer;
let s3: S3Server;
const KEY = randomBytes(32).toString('base64');

/** The environment of a user with a secret key and the servers' credentials, and nothing of ours else. */
function envWith(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MUSIC_SYNC_SECRET_KEY: KEY, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** The error is one line at the end of stderr (after any start-up progress), with no stack trace. */
function oneLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.match(lines.at(-1)!, /^music-sync: /, stderr);
  assert.equal(lines.filter((l) => l.startsWith('music-sync: ')).length, 1, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
}

describe('music-sync scan of a remote location', () => {
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-cli-remote-'));
    // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
    await chmod(tmp, 0o755);
    await mkdir(path.join(tmp, 'served'), { recursive: true });
    await generateLibrary(path.join(tmp, 'served', 'tunes'), 6, 21);
    [webdav, s3] = await Promise.all([startWebdavServer({ root: path.join(tmp, 'served') }), startS3Server({ root: path.join(tmp, 'served') })]);
  });
  after(async () => {
    await webdav?.stop();
    await s3?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('webdav:// and s3:// scans with credentials from the environment; a rescan is incremental', { timeout: 300_000 }, async () => {
    const dataDir = path.join(tmp, 'data');
    const davUrl = new URL('tunes/', webdav.url).href.replace(/^http:/, 'webdav:');
    const davEnv = envWith({ MUSIC_SYNC_WEBDAV_USER: webdav.username, MUSIC_SYNC_WEBDAV_PASSWORD: webdav.password });
    const dav = await runCli(['scan', davUrl, '--data-dir', dataDir], { env: davEnv });
    assert.equal(dav.code, 0, dav.stderr);
    assert.match(dav.stdout, /6 added, 0 updated, 0 renamed, 0 unchanged, 0 failed, 0 deleted/);
    assert.match(dav.stdout, /read {8}\S+ \S+ for \S+ \S+ in 6 files read/);
    assert.ok(!dav.stdout.includes(webdav.password) && !dav.stderr.includes(webdav.password));

    const s3Env = envWith({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL: s3.endpoint });
    const bucket = await runCli(['scan', 's3://tunes', '--data-dir', dataDir], { env: s3Env });
    assert.equal(bucket.code, 0, bucket.stderr);
    assert.match(bucket.stdout, /6 added, 0 updated/);

    // The profiles keep their credentials: a rescan needs none in the environment.
    const again = await runCli(['scan', 's3://tunes', '--endpoint', s3.endpoint, '--data-dir', dataDir], { env: envWith({}) });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /incremental sync/);
    assert.match(again.stdout, /0 added, 0 updated, 0 renamed, 6 unchanged/);

    const list = await runCli(['profile', 'list', '--json', '--data-dir', dataDir], { env: envWith({}) });
    assert.equal(list.code, 0, list.stderr);
    const profiles = JSON.parse(list.stdout) as { provider: string; root: string }[];
    assert.deepEqual(profiles.map((p) => p.provider).sort(), ['s3', 'webdav']);
    for (const secret of [webdav.password, s3.secretAccessKey]) assert.ok(!list.stdout.includes(secret));

    // A worker without the key cannot open the stored credentials: the sync fails, saying why.
    const keyless = await runCli(['scan', 's3://tunes', '--endpoint', s3.endpoint, '--data-dir', dataDir], { env: envWith({ MUSIC_SYNC_SECRET_KEY: undefined }) });
    assert.equal(keyless.code, 1, keyless.stderr);
    assert.match(keyless.stdout + keyless.stderr, /MUSIC_SYNC_SECRET_KEY is needed to read them/);
  });

  test('wrong input is one line: credentials in a URL, no key, no credentials and no terminal', { timeout: 300_000 }, async () => {
    const dataDir = path.join(tmp, 'data-errors');
    const inUrl = await runCli(['scan', 'webdav://me:hunter2@127.0.0.1:1/x', '--data-dir', dataDir], { env: envWith({}) });
    assert.equal(inUrl.code, 2, inUrl.stderr);
    oneLine(inUrl.stderr);
    assert.doesNotMatch(inUrl.stderr, /hunter2/);

    const noCredentials = await runCli(['scan', 's3://tunes', '--endpoint', s3.endpoint, '--data-dir', dataDir], {
      env: envWith({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    });
    assert.equal(noCredentials.code, 2, noCredentials.stderr);
    oneLine(noCredentials.stderr);
    assert.match(noCredentials.stderr, /AWS_ACCESS_KEY_ID is not set and there is no terminal to ask on/);

    const noKey = await runCli(['profile', 'add', 'tunes', '--root', 's3://tunes', '--endpoint', s3.endpoint, '--data-dir', dataDir], {
      env: envWith({ MUSIC_SYNC_SECRET_KEY: undefined, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }),
    });
    assert.notEqual(noKey.code, 0);
    oneLine(noKey.stderr);
    assert.match(noKey.stderr, /MUSIC_SYNC_SECRET_KEY is not set/);

    const badKey = await runCli(['profile', 'list', '--data-dir', dataDir], { env: envWith({ MUSIC_SYNC_SECRET_KEY: 'short' }) });
    assert.notEqual(badKey.code, 0);
    oneLine(badKey.stderr);
    assert.match(badKey.stderr, /MUSIC_SYNC_SECRET_KEY/);

    // profile add tries the credentials before it stores anything.
    const refused = await runCli(['profile', 'add', 'locked', '--root', new URL('tunes/', webdav.url).href, '--data-dir', dataDir], {
      env: envWith({ MUSIC_SYNC_WEBDAV_USER: webdav.username, MUSIC_SYNC_WEBDAV_PASSWORD: 'not-it' }),
    });
    assert.equal(refused.code, 1, refused.stderr);
    oneLine(refused.stderr);
    assert.match(refused.stderr, /refused the credentials .*: the profile was not added/);
    const listed = await runCli(['profile', 'list', '--json', '--data-dir', dataDir], { env: envWith({}) });
    assert.ok(!(JSON.parse(listed.stdout) as { name: string }[]).some((p) => p.name === 'locked'));

    const wrongPassword = await runCli(['scan', new URL('tunes/', webdav.url).href, '--data-dir', dataDir], {
      env: envWith({ MUSIC_SYNC_WEBDAV_USER: webdav.username, MUSIC_SYNC_WEBDAV_PASSWORD: 'not-it' }),
    });
    assert.equal(wrongPassword.code, 1, wrongPassword.stderr);
    oneLine(wrongPassword.stderr);
    assert.match(wrongPassword.stderr, /refused the credentials .*: the profile was not added/);
    // Nothing was stored: the right password, given next, makes the profile.
    const right = await runCli(['scan', new URL('tunes/', webdav.url).href, '--data-dir', dataDir], {
      env: envWith({ MUSIC_SYNC_WEBDAV_USER: webdav.username, MUSIC_SYNC_WEBDAV_PASSWORD: webdav.password }),
    });
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /6 added/);
    assert.doesNotMatch(right.stderr, /updated the/);
  });

  test('the same bucket on another endpoint is another library; a rescan with new settings updates the profile', { timeout: 300_000 }, async () => {
    const dataDir = path.join(tmp, 'data-endpoints');
    const other = await startFaultProxy({ target: s3.endpoint });
    try {
      const env = envWith({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey });
      const first = await runCli(['scan', 's3://tunes', '--endpoint', s3.endpoint, '--data-dir', dataDir], { env });
      assert.equal(first.code, 0, first.stderr);
      const second = await runCli(['scan', 's3://tunes', '--endpoint', other.url.replace(/\/$/, ''), '--data-dir', dataDir], { env });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /6 added/, 'a full sync of a new profile, not the first one\'s incremental');
      assert.ok(other.stats.requests > 0, 'the other endpoint was asked');
      const tuned = await runCli(['scan', 's3://tunes', '--endpoint', s3.endpoint, '--max-connections', '3', '--data-dir', dataDir], { env });
      assert.equal(tuned.code, 0, tuned.stderr);
      assert.match(tuned.stderr, /updated the settings of profile tunes\b/);
      const list = await runCli(['profile', 'list', '--json', '--data-dir', dataDir], { env });
      const profiles = JSON.parse(list.stdout) as { name: string; settings: { endpoint?: string; maxConnections?: number } }[];
      assert.deepEqual(profiles.map((p) => [p.name, p.settings.maxConnections ?? null]).sort(), [['tunes', 3], ['tunes-2', null]]);
    } finally {
      await other.stop();
    }
  });
});

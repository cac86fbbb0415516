// Remote libraries end to end: the real Temporal dev server, embedded Postgres and an in-process
// worker syncing real servers started here (rclone's WebDAV and S3 servers), directly and through a
// proxy that throttles, fails, resets, stalls and truncates a share of the requests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { openApp, type App } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import type { SyncJob, Track } from '../../src/client/types.ts';
import { listEvents } from '../../src/db/events.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { startFaultProxy, type FaultProxy } from '../../src/testing/fault-proxy.ts';
import { generateLibrary, writeTrackFile } from '../../src/testing/fixtures.ts';
import { startS3Server, startWebdavServer, type S3Server, type WebdavServer } from '../../src/testing/remote-servers.ts';

const CORPUS = path.resolve(process.env.MUSIC_SYNC_CORPUS ?? path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples'));
const PASSWORD = `pw-${randomBytes(9).toString('hex')}`;
const SECRET = `secret-${randomBytes(12).toString('hex')}`;

let stack: App;
let tmp: string;
let spool: string;
let webdav: WebdavServer;
let s3: S3Server;
let libs: string;
const proxies: FaultProxy[] = [];
let profileNo = 0;

/** A profile of `provider` over `root`, with the servers' credentials. */
async function profile(provider: 'local' | 'webdav' | 's3', root: string, settings: Record<string, unknown> = {}, secrets?: Record<string, string>) {
  const name = `remote-${provider}-${++profileNo}`;
  const given = secrets ?? (provider === 'webdav' ? { username: webdav.username, password: webdav.password }
    : provider === 's3' ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined);
  return stack.sync.registerProfile({ name, provider, root, settings, secrets: given });
}

const s3Settings = (endpoint = s3.endpoint) => ({ endpoint, region: s3.region });
const webdavRoot = (sub: string, base = webdav.url) => new URL(sub.split('/').map(encodeURIComponent).join('/') + '/', base).href;

async function fullSync(profileId: string): Promise<SyncJob> {
  const started = await stack.sync.startFullSync(profileId);
  await stack.sync.waitForResult(started.jobId).catch(() => undefined);
  return stack.sync.getStatus(started.jobId);
}

async function incrementalSync(profileId: string): Promise<SyncJob> {
  const started = await stack.sync.startIncrementalSync(profileId);
  await stack.sync.waitForResult(started.jobId).catch(() => undefined);
  return stack.sync.getStatus(started.jobId);
}

/** What a track is, whatever storage it was read from (ids, hashes and times differ by provider). */
function readable(t: Track) {
  const { id: _id, fileId: _f, contentHash: _c, audioHash: _a, audioHashScope: _s, modifiedAt: _m, deletedAt: _d, ...rest } = t;
  return rest;
}

async function library(profileId: string) {
  const tracks = await stack.sync.tracks(profileId);
  return new Map(tracks.map((t) => [t.path, readable(t)]));
}

async function spoolLeft(): Promise<string[]> {
  return (await fs.readdir(spool).catch(() => [])).filter((n) => n.startsWith('music-sync-'));
}

describe('remote libraries end to end (rclone WebDAV and S3 servers)', { timeout: 900_000 }, () => {
  before(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-remote-'));
    await fs.chmod(tmp, 0o755);
    spool = path.join(tmp, 'spool');
    libs = path.join(tmp, 'served');
    await fs.mkdir(path.join(libs, 'corpus'), { recursive: true });
    // The corpus is served in place: its parent folder is the S3 server's root (the folder a bucket).
    const settings = { ...readSettings(), secretKey: randomBytes(32).toString('base64') };
    [stack, webdav, s3] = await Promise.all([
      openApp(settings, { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false, tempDir: spool }),
      startWebdavServer({ root: libs, password: PASSWORD }),
      startS3Server({ root: libs, secretAccessKey: SECRET }),
    ]);
  });

  after(async () => {
    for (const p of proxies) await p.stop().catch(() => undefined);
    await stack?.close();
    await webdav?.stop();
    await s3?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;
  it('the sample corpus over WebDAV and over S3 is the library the local folder gives, for fewer bytes over S3', { skip: noCorpus }, async (t) => {
    await fs.cp(CORPUS, path.join(libs, 'corpus'), { recursive: true });
    const local = await profile('local', path.join(libs, 'corpus'));
    const overWebdav = await profile('webdav', webdavRoot('corpus'));
    const overS3 = await profile('s3', 's3://corpus/', s3Settings());
    const jobs = { local: await fullSync(local.id), webdav: await fullSync(overWebdav.id), s3: await fullSync(overS3.id) };
    for (const [name, job] of Object.entries(jobs)) assert.equal(job.status, 'completed', `${name}: ${job.error}`);

    const expected = await library(local.id);
    assert.ok(expected.size > 150, `the corpus gives tracks (${expected.size})`);
    for (const [name, p] of [['webdav', overWebdav], ['s3', overS3]] as const) {
      const got = await library(p.id);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), `${name}: the same paths`);
      for (const [at, track] of expected) assert.deepEqual(got.get(at), track, `${name}: ${at}`);
      const failed = (await stack.sync.failedItems(jobs[name].id)).map((f) => `${f.path}: ${f.reason}`);
      assert.deepEqual(failed, (await stack.sync.failedItems(jobs.local.id)).map((f) => `${f.path}: ${f.reason}`), `${name}: the same failures`);
      for (const key of ['itemsDiscovered', 'itemsFiltered', 'itemsQueued', 'itemsAdded', 'itemsFailed'] as const) {
        assert.equal(jobs[name][key], jobs.local[key], `${name}: ${key}`);
      }
      // Copies of the same bytes are found everywhere; the same audio under other tags only where the
      // audio is read (over S3 the MD5 stands for the content and the audio is not fetched).
      const groups = async (id: string, kinds: string[]) =>
        (await stack.sync.duplicates(id)).filter((g) => kinds.includes(g.kind)).map((g) => `${g.kind}: ${g.paths.join(' | ')}`).sort();
      const kinds = name === 's3' ? ['identical'] : ['identical', 'same-audio'];
      assert.deepEqual(await groups(p.id, kinds), await groups(local.id, kinds), `${name}: duplicate groups`);
    }
    // Over WebDAV (no content hash listed) each file crosses once; over S3 (MD5 ETags) only tag ranges do.
    const audioBytes = (await stack.sync.tracks(local.id)).reduce((n, tr) => n + tr.size, 0);
    const s3Tracks = await stack.sync.tracks(overS3.id);
    for (const tr of s3Tracks) assert.match(tr.contentHash, /^md5:[0-9a-f]{32}$/, tr.path);
    const webdavTracks = new Map((await stack.sync.tracks(overWebdav.id)).map((tr) => [tr.path, tr]));
    for (const tr of await stack.sync.tracks(local.id)) assert.equal(webdavTracks.get(tr.path)?.contentHash, tr.contentHash, tr.path);
    assert.ok(jobs.webdav.bytesRead >= audioBytes && jobs.webdav.bytesRead < jobs.local.bytesRead, `WebDAV read each file once (${jobs.webdav.bytesRead} for ${audioBytes})`);
    // The corpus's files are small samples (a median of a few hundred KiB), so tag ranges and the audio's
    // ends are much of each; the bench measures a library of real-sized files.
    assert.ok(jobs.s3.bytesRead < jobs.webdav.bytesRead, `S3 read tag ranges and ends only (${jobs.s3.bytesRead} for ${audioBytes})`);
    t.diagnostic(`bytes read: local ${jobs.local.bytesRead}, webdav ${jobs.webdav.bytesRead}, s3 ${jobs.s3.bytesRead}, audio files ${audioBytes}`);
    assert.deepEqual(await spoolLeft(), [], 'no spooled file left');
  });

  it('credentials appear nowhere but sealed: not in history, jobs, events or the profile list', async () => {
    await generateLibrary(path.join(libs, 'secretive'), 3, 5);
    const overWebdav = await profile('webdav', webdavRoot('secretive'));
    const overS3 = await profile('s3', 's3://secretive', s3Settings());
    for (const p of [overWebdav, overS3]) {
      const started = await stack.sync.startFullSync(p.id);
      await stack.sync.waitForResult(started.jobId);
      const history = await stack.client.workflow.getHandle(started.workflowId, started.runId).fetchHistory();
      const text = JSON.stringify(history) + JSON.stringify(await stack.sync.getStatus(started.jobId))
        + JSON.stringify(await listEvents(stack.db, started.jobId)) + JSON.stringify(await stack.sync.listProfiles());
      for (const secret of [PASSWORD, SECRET]) assert.ok(!text.includes(secret), `${p.provider}: a credential leaked`);
    }
    const sealed = await stack.db.selectFrom('profile_secrets').select('sealed').execute();
    assert.ok(sealed.length >= 4);
    for (const row of sealed) for (const secret of [PASSWORD, SECRET]) assert.ok(!row.sealed.includes(Buffer.from(secret)));
  });

  it('wrong credentials fail the sync at validate, not retried, and delete nothing', async () => {
    await generateLibrary(path.join(libs, 'locked'), 2, 9);
    for (const p of [
      await profile('webdav', webdavRoot('locked'), {}, { username: webdav.username, password: 'not-it' }),
      await profile('s3', 's3://locked', s3Settings(), { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-it' }),
    ]) {
      const job = await fullSync(p.id);
      assert.equal(job.status, 'failed', p.provider);
      assert.equal(job.errorKind, 'Provider.unauthorized', `${p.provider}: ${job.error}`);
      assert.ok(!job.error?.includes('not-it'));
      assert.equal(job.itemsDeleted, 0);
    }
  });

  it('through throttling, 500s, resets, stalls and truncated bodies, the library is the one a clean network gives', async () => {
    const root = path.join(libs, 'flaky');
    await generateLibrary(root, 24, 31, { pictureShare: 0.5 });
    const clean = await profile('local', root);
    await fullSync(clean.id);
    const expected = await library(clean.id);
    const faults = { rate: 0.25, kinds: ['throttle', 'server-error', 'reset', 'stall', 'truncate'] as const, retryAfterSeconds: 1, stallMs: 60_000 };
    const viaWebdav = await startFaultProxy({ target: webdav.url, faults: { ...faults, kinds: [...faults.kinds] }, seed: 7 });
    const viaS3 = await startFaultProxy({ target: s3.endpoint, faults: { ...faults, kinds: [...faults.kinds] }, seed: 8 });
    proxies.push(viaWebdav, viaS3);
    const config = { readStallTimeoutMs: 2_000 };
    for (const [name, p] of [
      ['webdav', await profile('webdav', webdavRoot('flaky', viaWebdav.url))],
      ['s3', await profile('s3', 's3://flaky', s3Settings(viaS3.url))],
    ] as const) {
      const started = await stack.sync.startFullSync(p.id, config);
      await stack.sync.waitForResult(started.jobId);
      const job = await stack.sync.getStatus(started.jobId);
      assert.equal(job.status, 'completed', `${name}: ${job.error}`);
      assert.deepEqual(await library(p.id), expected, `${name}: the same library`);
      assert.equal(job.itemsAdded, expected.size, `${name}: counters true`);
      assert.equal(job.itemsFailed, 0, `${name}: nothing failed`);
    }
    const faulted = (p: FaultProxy) => Object.values(p.stats.faulted).reduce((a, b) => a + b, 0);
    assert.ok(faulted(viaWebdav) > 5 && faulted(viaS3) > 5, `faults were injected (${JSON.stringify([viaWebdav.stats.faulted, viaS3.stats.faulted])})`);
    assert.deepEqual(await spoolLeft(), [], 'no spooled file left');
  });

  it('incremental syncs over WebDAV and S3 follow edits, renames, deletions and additions', async () => {
    const root = path.join(libs, 'changing');
    const lib = await generateLibrary(root, 8, 77);
    const overWebdav = await profile('webdav', webdavRoot('changing'));
    const overS3 = await profile('s3', 's3://changing', s3Settings());
    for (const p of [overWebdav, overS3]) assert.equal((await fullSync(p.id)).status, 'completed');
    const before = new Map((await stack.sync.tracks(overS3.id)).map((tr) => [tr.path, tr.id]));

    await fs.rename(path.join(root, lib[0]!.path), path.join(root, `renamed${path.extname(lib[0]!.path)}`));
    await fs.rm(path.join(root, lib[1]!.path));
    // A retag: the same audio under new tags.
    await writeTrackFile(root, lib[2]!.path, { ...lib[2]!.tags, title: 'Edited title' }, { seed: lib[2]!.seed, format: lib[2]!.format });
    await writeTrackFile(root, 'New/added.mp3', { title: 'Added', artists: ['Someone'] }, { seed: 6 });
    // Listings see whole seconds: the edits must not share the second of the first sync.
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(path.join(root, lib[2]!.path), later, later);

    const reference = await profile('local', root);
    await fullSync(reference.id);
    const expected = await library(reference.id);
    for (const p of [overWebdav, overS3]) {
      const job = await incrementalSync(p.id);
      assert.equal(job.status, 'completed', `${p.provider}: ${job.error}`);
      assert.deepEqual(await library(p.id), expected, `${p.provider}: incremental equals a full sync`);
      assert.equal(job.itemsDeleted, 1, `${p.provider}: one deletion`);
      assert.equal(job.itemsRenamed, 1, `${p.provider}: one rename`);
    }
    const renamed = (await stack.sync.tracks(overS3.id)).find((tr) => tr.path.startsWith('renamed'));
    assert.equal(renamed?.id, before.get(lib[0]!.path), 'a renamed object keeps its track over S3 (same MD5)');

    // Two recordings of one size swapped by renames keep their sizes and times: the S3 listing's
    // MD5s (and revision tags) still show both changed.
    const tags = { title: 'Twin', artists: ['Someone'], album: 'Twins' };
    const [x, y] = [await writeTrackFile(root, 'Twins/x.mp3', tags, { seed: 101 }), await writeTrackFile(root, 'Twins/y.mp3', tags, { seed: 102 })];
    assert.equal(x.size, y.size);
    const old = new Date(Date.now() - 3_600_000);
    for (const f of [x, y]) await fs.utimes(f.absPath, old, old);
    assert.equal((await incrementalSync(overS3.id)).status, 'completed');
    const hashOf = async (at: string) => (await stack.sync.tracks(overS3.id)).find((tr) => tr.path === at)?.contentHash;
    const [hx, hy] = [await hashOf('Twins/x.mp3'), await hashOf('Twins/y.mp3')];
    await fs.rename(x.absPath, `${x.absPath}.swap`);
    await fs.rename(y.absPath, x.absPath);
    await fs.rename(`${x.absPath}.swap`, y.absPath);
    const swapped = await incrementalSync(overS3.id);
    assert.equal(swapped.itemsProcessed - swapped.itemsUnchanged, 2, 'both swapped files were read again');
    assert.deepEqual([await hashOf('Twins/x.mp3'), await hashOf('Twins/y.mp3')], [hy, hx]);
  });
});

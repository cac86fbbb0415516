// The cloud providers end to end: the real Temporal dev server, embedded Postgres and an in-process
// worker syncing Google Drive, OneDrive and Dropbox as their contract fakes serve a real folder (real
// HTTP servers, src/testing/fakes), with tokens from a fake OAuth server that rotates refresh tokens.
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
import type { CloudKind, CloudSettings } from '../../src/providers/oauth/types.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startDropboxFake } from '../../src/testing/fakes/dropbox.ts';
import { startGdriveFake } from '../../src/testing/fakes/gdrive.ts';
import { startOnedriveFake } from '../../src/testing/fakes/onedrive.ts';
import { startFaultProxy, type FaultProxy } from '../../src/testing/fault-proxy.ts';
import { generateLibrary, writeTrackFile } from '../../src/testing/fixtures.ts';

const CORPUS = path.resolve(process.env.MUSIC_SYNC_CORPUS ?? path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples'));
const KINDS: readonly CloudKind[] = ['gdrive', 'onedrive', 'dropbox'];
const CLIENT_SECRET = `client-secret-${randomBytes(12).toString('hex')}`;

interface Fake {
  apiUrl: string;
  contentUrl?: string;
  requests: Map<string, number>;
  expireCursors(): void;
  stop(): Promise<void>;
}

let stack: App;
let tmp: string;
let libs: string;
let authority: FakeAuthority;
const fakes = {} as Record<CloudKind, Fake>;
const proxies: FaultProxy[] = [];
/** Every line the worker's runtime and activities logged. */
const logLines: string[] = [];
let profileNo = 0;

function settingsOf(kind: CloudKind, via?: { apiUrl: string; contentUrl?: string }): CloudSettings {
  const fake = fakes[kind];
  return {
    clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl,
    apiUrl: via?.apiUrl ?? fake.apiUrl, ...(fake.contentUrl ? { contentUrl: via?.contentUrl ?? fake.contentUrl } : {}),
  };
}

/** A profile of `kind` over the served folder `folder`, linked with a fresh grant. */
async function profile(kind: CloudKind | 'local', folder: string, via?: { apiUrl: string; contentUrl?: string }) {
  const name = `cloud-${kind}-${++profileNo}`;
  if (kind === 'local') return stack.sync.registerProfile({ name, provider: 'local', root: path.join(libs, folder) });
  return stack.sync.registerProfile({
    name, provider: kind, root: folder, settings: { ...settingsOf(kind, via) },
    secrets: { refreshToken: authority.grant(), clientSecret: CLIENT_SECRET },
  });
}

async function settle(started: Promise<{ jobId: string }>): Promise<SyncJob> {
  const { jobId } = await started;
  await stack.sync.waitForResult(jobId).catch(() => undefined);
  return stack.sync.getStatus(jobId);
}
const fullSync = (id: string) => settle(stack.sync.startFullSync(id));
const incrementalSync = (id: string) => settle(stack.sync.startIncrementalSync(id));

/** What a track is, whatever storage it was read from (ids, hashes and times differ by provider). */
function readable(t: Track) {
  const { id: _id, fileId: _f, contentHash: _c, audioHash: _a, audioHashScope: _s, modifiedAt: _m, deletedAt: _d, ...rest } = t;
  return rest;
}

async function library(profileId: string) {
  return new Map((await stack.sync.tracks(profileId)).map((t) => [t.path, readable(t)]));
}

const total = (requests: Map<string, number>) => [...requests.values()].reduce((a, b) => a + b, 0);

describe('cloud libraries end to end (Google Drive, OneDrive and Dropbox fakes)', { timeout: 1_200_000 }, () => {
  before(async () => {
    Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => logLines.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`)) });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-cloud-'));
    libs = path.join(tmp, 'served');
    await fs.mkdir(libs, { recursive: true });
    authority = await startFakeAuthority({ clientSecret: CLIENT_SECRET });
    const settings = { ...readSettings(), secretKey: randomBytes(32).toString('base64') };
    let gdrive: Fake;
    let onedrive: Fake;
    let dropbox: Fake;
    [stack, gdrive, onedrive, dropbox] = await Promise.all([
      openApp(settings, { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false, tempDir: path.join(tmp, 'spool') }),
      startGdriveFake({ root: libs, authority }),
      startOnedriveFake({ root: libs, authority }),
      startDropboxFake({ root: libs, authority }),
    ]);
    Object.assign(fakes, { gdrive, onedrive, dropbox });
  });

  after(async () => {
    for (const p of proxies) await p.stop().catch(() => undefined);
    await stack?.close();
    for (const fake of Object.values(fakes)) await fake.stop().catch(() => undefined);
    await authority?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;
  it('the sample corpus in each cloud is the library the local folder gives', { skip: noCorpus }, async (t) => {
    await fs.cp(CORPUS, path.join(libs, 'corpus'), { recursive: true });
    const local = await profile('local', 'corpus');
    const localJob = await fullSync(local.id);
    assert.equal(localJob.status, 'completed');
    const expected = await library(local.id);
    assert.ok(expected.size > 150, `the corpus gives tracks (${expected.size})`);
    const audioBytes = (await stack.sync.tracks(local.id)).reduce((n, tr) => n + tr.size, 0);
    for (const kind of KINDS) {
      const p = await profile(kind, 'corpus');
      const before = total(fakes[kind].requests);
      const job = await fullSync(p.id);
      assert.equal(job.status, 'completed', `${kind}: ${job.error}`);
      const got = await library(p.id);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), `${kind}: the same paths`);
      for (const [at, track] of expected) assert.deepEqual(got.get(at), track, `${kind}: ${at}`);
      const failed = (await stack.sync.failedItems(job.id)).map((f) => `${f.path}: ${f.reason}`);
      assert.deepEqual(failed, (await stack.sync.failedItems(localJob.id)).map((f) => `${f.path}: ${f.reason}`), `${kind}: the same failures`);
      for (const key of ['itemsDiscovered', 'itemsFiltered', 'itemsQueued', 'itemsAdded', 'itemsFailed'] as const) {
        assert.equal(job[key], localJob[key], `${kind}: ${key}`);
      }
      const identical = async (id: string) =>
        (await stack.sync.duplicates(id)).filter((g) => g.kind === 'identical').map((g) => g.paths.join(' | ')).sort();
      assert.deepEqual(await identical(p.id), await identical(local.id), `${kind}: identical copies`);
      const full = total(fakes[kind].requests) - before;
      const noop = await incrementalSync(p.id);
      assert.equal(noop.status, 'completed', `${kind}: ${noop.error}`);
      assert.equal(noop.itemsAdded + noop.itemsUpdated + noop.itemsDeleted + noop.itemsRenamed, 0, `${kind}: a no-op`);
      const incremental = total(fakes[kind].requests) - before - full;
      assert.ok(job.bytesRead < audioBytes, `${kind} read tags and ends only (${job.bytesRead} of ${audioBytes})`);
      t.diagnostic(`${kind}: ${job.itemsDiscovered} files, bytes read ${job.bytesRead} of ${audioBytes} (${((100 * job.bytesRead) / audioBytes).toFixed(1)}%), requests: full ${full}, no-op incremental ${incremental}`);
    }
  });

  it('incremental syncs follow the change feeds: edits, renames, folder moves, deletions, additions', async () => {
    const root = path.join(libs, 'changing');
    const lib = await generateLibrary(root, 10, 78);
    const profiles = await Promise.all(KINDS.map((kind) => profile(kind, 'changing')));
    for (const p of profiles) assert.equal((await fullSync(p.id)).status, 'completed', p.provider);
    const before = new Map(await Promise.all(profiles.map(async (p) => [p.provider, new Map((await stack.sync.tracks(p.id)).map((t) => [t.path, t.id]))] as const)));

    await fs.rename(path.join(root, lib[0]!.path), path.join(root, `renamed${path.extname(lib[0]!.path)}`));
    await fs.rm(path.join(root, lib[1]!.path));
    await writeTrackFile(root, lib[2]!.path, { ...lib[2]!.tags, title: 'Edited title' }, { seed: lib[2]!.seed, format: lib[2]!.format });
    await writeTrackFile(root, 'New/added.mp3', { title: 'Added', artists: ['Someone'] }, { seed: 6 });
    const folder = path.dirname(lib[5]!.path);
    await fs.rename(path.join(root, folder), path.join(root, `${folder} (moved)`));

    const reference = await profile('local', 'changing');
    await fullSync(reference.id);
    const expected = await library(reference.id);
    for (const p of profiles) {
      const job = await incrementalSync(p.id);
      assert.equal(job.status, 'completed', `${p.provider}: ${job.error}`);
      assert.deepEqual(await library(p.id), expected, `${p.provider}: incremental equals a full sync`);
      assert.equal(job.itemsDeleted, 1, `${p.provider}: one deletion`);
      const renamed = (await stack.sync.tracks(p.id)).find((tr) => tr.path.startsWith('renamed'));
      assert.equal(renamed?.id, before.get(p.provider)!.get(lib[0]!.path), `${p.provider}: a renamed file keeps its track`);
      const moved = (await stack.sync.tracks(p.id)).find((tr) => tr.path === lib[5]!.path.replace(folder, `${folder} (moved)`));
      assert.equal(moved?.id, before.get(p.provider)!.get(lib[5]!.path), `${p.provider}: a file of a moved folder keeps its track`);
      assert.ok(job.itemsRenamed >= 2, `${p.provider}: renames (${job.itemsRenamed})`);
      // Retagged and moved with its folder in one sync: the same file object (the provider's id), so
      // the same track, though its audio was not read.
      const retagged = (await stack.sync.tracks(p.id)).find((tr) => tr.title === 'Edited title');
      assert.equal(retagged?.id, before.get(p.provider)!.get(lib[2]!.path), `${p.provider}: a retagged file keeps its track`);
    }
  });

  it('an expired cursor turns the incremental sync into a full listing by itself, and says so', async () => {
    const root = path.join(libs, 'expiring');
    const lib = await generateLibrary(root, 6, 79);
    const profiles = await Promise.all(KINDS.map((kind) => profile(kind, 'expiring')));
    for (const p of profiles) assert.equal((await fullSync(p.id)).status, 'completed', p.provider);
    await fs.rm(path.join(root, lib[0]!.path));
    await writeTrackFile(root, 'late.mp3', { title: 'Late', artists: ['Someone'] }, { seed: 8 });
    for (const kind of KINDS) fakes[kind].expireCursors();
    const reference = await profile('local', 'expiring');
    await fullSync(reference.id);
    const expected = await library(reference.id);
    for (const p of profiles) {
      const job = await incrementalSync(p.id);
      assert.equal(job.status, 'completed', `${p.provider}: ${job.error}`);
      assert.deepEqual(await library(p.id), expected, `${p.provider}: the right library`);
      assert.deepEqual([job.itemsDeleted, job.itemsAdded], [1, 1], p.provider);
      const notes = (await listEvents(stack.db, job.id)).flatMap((e) => (typeof e.payload.note === 'string' ? [e.payload.note] : []));
      assert.equal(notes.length, 1, `${p.provider}: one note`);
      assert.match(notes[0]!, /cursor has expired/);
      // The next one reads the feed again.
      assert.equal((await incrementalSync(p.id)).status, 'completed');
    }
  });

  it('an access token that expires mid-sync is refreshed; a revoked grant fails the sync, not recoverable, deleting nothing', async () => {
    const root = path.join(libs, 'tokens');
    await generateLibrary(root, 12, 80);
    for (const kind of KINDS) {
      const p = await profile(kind, 'tokens');
      const refreshes = authority.stats.refreshes;
      const started = await stack.sync.startFullSync(p.id, { batchSize: 2, maxConcurrentDownloads: 1 });
      for (;;) {
        const job = await stack.sync.getStatus(started.jobId);
        if (job.itemsProcessed >= 2 || job.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      authority.expireAccessTokens();
      await stack.sync.waitForResult(started.jobId);
      const job = await stack.sync.getStatus(started.jobId);
      assert.equal(job.status, 'completed', `${kind}: ${job.error}`);
      assert.ok(authority.stats.refreshes > refreshes, `${kind}: refreshed`);
      const tracks = (await stack.sync.tracks(p.id)).length;
      assert.equal(tracks, 12);

      authority.revokeGrants();
      authority.expireAccessTokens();
      const failed = await incrementalSync(p.id);
      assert.equal(failed.status, 'failed', kind);
      assert.equal(failed.errorKind, 'Provider.unauthorized', `${kind}: ${failed.error}`);
      assert.match(failed.error ?? '', /link it again/, kind);
      const ending = (await listEvents(stack.db, failed.id)).find((e) => e.type === 'failed');
      assert.equal(ending?.payload.recoverable, false, `${kind}: not recoverable`);
      assert.equal(failed.itemsDeleted, 0);
      assert.equal((await stack.sync.tracks(p.id)).length, 12, `${kind}: nothing deleted`);
    }
  });

  it('through throttling, 500s, resets, stalls and truncated bodies, the library is the one a clean network gives', async () => {
    const root = path.join(libs, 'flaky');
    await generateLibrary(root, 16, 81, { pictureShare: 0.5 });
    const clean = await profile('local', 'flaky');
    await fullSync(clean.id);
    const expected = await library(clean.id);
    const kinds = ['throttle', 'server-error', 'reset', 'stall', 'truncate'] as const;
    for (const [n, kind] of KINDS.entries()) {
      const fake = fakes[kind];
      const api = await startFaultProxy({ target: fake.apiUrl, faults: { rate: 0.3, kinds: [...kinds], retryAfterSeconds: 1, stallMs: 60_000 }, seed: 11 + n });
      proxies.push(api);
      const content = fake.contentUrl
        ? await startFaultProxy({ target: fake.contentUrl, faults: { rate: 0.3, kinds: [...kinds], retryAfterSeconds: 1, stallMs: 60_000 }, seed: 21 + n })
        : undefined;
      if (content) proxies.push(content);
      const via = (url: string, proxy: FaultProxy) => new URL(new URL(url).pathname, proxy.url).href.replace(/\/$/, '');
      const p = await profile(kind, 'flaky', { apiUrl: via(fake.apiUrl, api), ...(content && fake.contentUrl ? { contentUrl: via(fake.contentUrl, content) } : {}) });
      const started = await stack.sync.startFullSync(p.id, { readStallTimeoutMs: 2_000 });
      await stack.sync.waitForResult(started.jobId).catch(() => undefined);
      const job = await stack.sync.getStatus(started.jobId);
      assert.equal(job.status, 'completed', `${kind}: ${job.error}`);
      assert.deepEqual(await library(p.id), expected, `${kind}: the same library`);
      assert.equal(job.itemsFailed, 0, `${kind}: nothing failed`);
      const faulted = Object.values(api.stats.faulted).reduce((a, b) => a + b, 0);
      assert.ok(faulted >= 3, `${kind}: faults were injected (${JSON.stringify(api.stats.faulted)})`);
    }
  });

  it('no access token, refresh token or client secret in any workflow history, log line, job row or event', async () => {
    const secrets = [...authority.issued.accessTokens, ...authority.issued.refreshTokens, CLIENT_SECRET];
    assert.ok(authority.issued.accessTokens.length > 6 && authority.issued.refreshTokens.length > 6, 'tokens were issued and rotated');
    const jobs = await stack.db.selectFrom('sync_jobs').selectAll().where('provider', 'in', [...KINDS]).execute();
    assert.ok(jobs.length >= 12);
    let text = JSON.stringify(jobs) + JSON.stringify(await stack.sync.listProfiles()) + logLines.join('\n');
    for (const job of jobs) {
      text += JSON.stringify(await listEvents(stack.db, job.id));
      text += JSON.stringify(await stack.client.workflow.getHandle(job.workflow_id).fetchHistory());
    }
    assert.ok(logLines.length > 0, 'the worker logged');
    for (const secret of secrets) assert.ok(!text.includes(secret), `a token or secret leaked (${secret.slice(0, 4)}…)`);
    const sealed = await stack.db.selectFrom('profile_secrets').select('sealed').execute();
    for (const row of sealed) for (const secret of secrets) assert.ok(!row.sealed.includes(Buffer.from(secret)));
  });
});

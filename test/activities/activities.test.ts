// Activities against a real Postgres and real files, run in MockActivityEnvironment for heartbeats
// and cancellation. Every activity is at-least-once: running one twice must leave the same rows.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import type { NewTrack } from '../../src/db/schema.ts';
import { currentCursor } from '../../src/db/snapshots.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import type { Db } from '../../src/db/connect.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { encodeTrack, writeTrackFile } from '../../src/testing/fixtures.ts';
import { faultyRegistry, newFaults, overLocal, type Faults } from '../helpers/providers.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const FILES = ['04 Long Drive.flac', 'id3v2.3.mp3', 'id3v2.4.mp3', 'a kind of magic.flac', 'incomplete.mp3', 'not-an-audio-file.txt'];

let testDb: TestDb;
let db: Db;
let tmp: string;

before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-act-'));
});
after(async () => {
  await testDb?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function setup(name: string, faults: Faults = newFaults()) {
  const root = path.join(tmp, name);
  await mkdir(path.join(root, 'sub'), { recursive: true });
  for (const [i, f] of FILES.entries()) await copyFile(path.join(CORPUS, f), path.join(root, i % 2 ? 'sub' : '', f));
  const acts = createActivities({ db, providers: faultyRegistry(faults) });
  const profile = await insertProfile(db, { id: randomUUID(), name, provider: 'faulty', root });
  const newJob = async (mode: 'full' | 'incremental' = 'full') => {
    const jobId = randomUUID();
    await new MockActivityEnvironment().run(acts.startJob, { jobId, profileId: profile.id, mode, workflowId: `wf-${name}` });
    return jobId;
  };
  return { root, acts, profile, newJob, faults };
}

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment().run(fn, ...args);

/** A live track row of the library, as any earlier sync would have left it. */
function fakeTrack(profileId: string, trackPath: string): NewTrack {
  return {
    id: randomUUID(), profile_id: profileId, path: trackPath, file_id: trackPath, size: 1, modified_at: new Date(),
    content_hash: `sha256:${trackPath}`, audio_hash: null, audio_hash_scope: null, title: trackPath, artists: [], genres: [],
    mb_artist_ids: [], mb_album_artist_ids: [], has_artwork: false, updated_at: new Date(), deleted_at: null, last_job_id: null,
  } as NewTrack;
}

async function count(table: 'tracks' | 'scan_items' | 'sync_events', column: 'profile_id' | 'job_id', id: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where(column, '=', id).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('activities', () => {
  test('startJob, discover and filter run twice leave one set of rows and the same counters', async () => {
    const { acts, newJob } = await setup('twice');
    const jobId = await newJob();
    await run(acts.startJob, { jobId, profileId: (await db.selectFrom('sync_jobs').select('profile_id').where('id', '=', jobId).executeTakeFirstOrThrow()).profile_id, mode: 'full', workflowId: 'wf-twice' });
    assert.equal(await count('sync_events', 'job_id', jobId), 1, 'one Started event');
    const first = await run(acts.discover, { jobId, pageSize: 2 });
    const second = await run(acts.discover, { jobId, pageSize: 2 });
    assert.equal(first.discovered, FILES.length);
    assert.equal(second.discovered, FILES.length);
    assert.equal(await count('scan_items', 'job_id', jobId), FILES.length);
    const { counters: c1, ...f1 } = await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
    const { counters: c2, ...f2 } = await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
    assert.deepEqual(f1, { queued: FILES.length - 1, filtered: 1, unchanged: 0, renamed: 0 });
    assert.deepEqual(f2, f1);
    // The job's counters come back with the result, the same after the retry, as the database has them.
    assert.deepEqual(c2, c1);
    assert.deepEqual([c1.itemsDiscovered, c1.itemsQueued, c1.itemsFiltered, c1.itemsProcessed], [FILES.length, FILES.length - 1, 1, 0]);
    assert.deepEqual(second.counters, first.counters);
  });

  test('discover resumes from the page token it heartbeated', async () => {
    const { acts, newJob, faults } = await setup('resume');
    const jobId = await newJob();
    const beats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(acts.discover, { jobId, pageSize: 2 });
    assert.ok(beats.length >= 3, 'one heartbeat per page of 2');
    const firstPage = beats[0] as { pageToken: string; pages: number };
    // A retry that starts from the first checkpoint lists only the remaining pages.
    const jobB = await newJob();
    faults.listCalls = 0;
    await new MockActivityEnvironment({ heartbeatDetails: firstPage }).run(acts.discover, { jobId: jobB, pageSize: 2 });
    assert.equal(faults.listCalls, beats.length - 1, 'the first page is not listed again');
    assert.equal(await count('scan_items', 'job_id', jobB), FILES.length - 2);
  });

  test('processBatch is idempotent and records unreadable files with a reason', async () => {
    const { acts, newJob, profile } = await setup('process');
    const jobId = await newJob();
    await run(acts.discover, { jobId, pageSize: 100 });
    await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
    const input = { jobId, batchSize: 100, concurrency: 2, parseTimeoutMs: 10_000, progressEvery: 2 };
    const result = await run(acts.processBatch, input);
    assert.equal(result.processed, 5);
    assert.equal(result.remaining, 0);
    assert.equal(result.added + result.failed, 5);
    const tracksBefore = await db.selectFrom('tracks').select(['id', 'path']).where('profile_id', '=', profile.id).orderBy('path').execute();
    assert.equal(tracksBefore.length, result.added);
    for (const item of await db.selectFrom('scan_items').selectAll().where('job_id', '=', jobId).where('status', '=', 'failed').execute()) {
      assert.ok(item.reason && item.reason.length > 0, `${item.path} failed without a reason`);
    }
    // At-least-once: the same batch delivered again (its items pending again) changes no track.
    await db.updateTable('scan_items').set({ status: 'pending' }).where('job_id', '=', jobId).where('status', '=', 'done').execute();
    const again = await run(acts.processBatch, input);
    assert.equal(again.added, 0);
    assert.equal(again.unchanged, result.added);
    const tracksAfter = await db.selectFrom('tracks').select(['id', 'path']).where('profile_id', '=', profile.id).orderBy('path').execute();
    assert.deepEqual(tracksAfter, tracksBefore);
  });

  test('processBatch cancelled while reading writes nothing and leaves its items pending', async () => {
    const { acts, newJob, profile } = await setup('cancel', newFaults({ openDelayMs: 300 }));
    const jobId = await newJob();
    await run(acts.discover, { jobId, pageSize: 100 });
    await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
    const env = new MockActivityEnvironment();
    env.once('heartbeat', () => env.cancel());
    await assert.rejects(env.run(acts.processBatch, { jobId, batchSize: 100, concurrency: 1, parseTimeoutMs: 10_000, progressEvery: 100 }), (err: unknown) => {
      assert.ok(err instanceof CancelledFailure || (err as Error).name === 'AbortError', `got ${(err as Error).name}`);
      return true;
    });
    assert.equal(await count('tracks', 'profile_id', profile.id), 0);
    const pending = await db.selectFrom('scan_items').select('id').where('job_id', '=', jobId).where('status', '=', 'pending').execute();
    assert.equal(pending.length, 5);
  });

  test('validateSession applies the wifiOnly network policy to providers that use the network', async () => {
    const { newJob, root } = await setup('wifi');
    const providers = defaultProviders().with(overLocal('netlocal', (p) => Object.assign(new LocalProvider(p.root), { usesNetwork: true })));
    const metered = createActivities({ db, providers, networkPolicy: { isMetered: async () => true } });
    const jobId = await newJob();
    await db.updateTable('profiles').set({ provider: 'netlocal' }).where('root', '=', root).execute();
    await assert.rejects(run(metered.validateSession, { jobId, wifiOnly: true }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure && err.type === 'NetworkPolicy' && err.nonRetryable);
      return true;
    });
    await run(metered.validateSession, { jobId, wifiOnly: false });
    const unmetered = createActivities({ db, providers, networkPolicy: { isMetered: async () => false } });
    await run(unmetered.validateSession, { jobId, wifiOnly: true });
  });

  test('a retagged file and a renamed + retagged file keep their ids and get every new tag', async () => {
    const { acts, newJob, profile, root } = await setup('retag');
    await writeTrackFile(root, 'x/one.flac', { title: 'One', artists: ['A', 'B'], genre: 'Rock', year: 2001 }, { seed: 1 });
    await writeTrackFile(root, 'x/two.mp3', { title: 'Two', artists: ['C'], trackNo: 2 }, { seed: 2 });
    const sync = async () => {
      const jobId = await newJob();
      await run(acts.discover, { jobId, pageSize: 100 });
      await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
      return run(acts.processBatch, { jobId, batchSize: 100, concurrency: 2, parseTimeoutMs: 10_000, progressEvery: 100 });
    };
    await sync();
    const byPath = async (p: string) =>
      db.selectFrom('tracks').selectAll().where('profile_id', '=', profile.id).where('path', '=', p).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    const one = await byPath('x/one.flac');
    const two = await byPath('x/two.mp3');
    // Retag in place (a new file replaces the old one) and rename + retag (same inode, new tags).
    await writeTrackFile(root, 'x/one.flac', { title: 'One (remaster)', artists: ['A', 'D', 'E'], genre: 'Jazz', year: 2021 }, { seed: 1 });
    await rename(path.join(root, 'x/two.mp3'), path.join(root, 'two-renamed.mp3'));
    await writeFile(path.join(root, 'two-renamed.mp3'), encodeTrack({ title: 'Two!', artists: ['C', 'F'] }, { format: 'mp3', seed: 2 }));
    const second = await sync();
    assert.equal(second.updated, 1);
    assert.equal(second.renamed, 1);
    const oneAfter = await byPath('x/one.flac');
    assert.equal(oneAfter.id, one.id);
    assert.deepEqual([oneAfter.title, oneAfter.artists, oneAfter.genres, oneAfter.year], ['One (remaster)', ['A', 'D', 'E'], ['Jazz'], 2021]);
    const twoAfter = await byPath('two-renamed.mp3');
    assert.equal(twoAfter.id, two.id, 'same inode: identity kept across rename + retag');
    assert.deepEqual([twoAfter.title, twoAfter.artists, twoAfter.track_no], ['Two!', ['C', 'F'], null]);
  });

  test('rename keeps the track id, a deleted file is soft-deleted once, completeJob emits one terminal event', async () => {
    const { acts, newJob, profile, root } = await setup('rename');
    const full = async () => {
      const jobId = await newJob();
      await run(acts.discover, { jobId, pageSize: 100 });
      await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
      const batch = await run(acts.processBatch, { jobId, batchSize: 100, concurrency: 2, parseTimeoutMs: 10_000, progressEvery: 100 });
      const resolve = { jobId, massDeleteRatio: 0.9, massDeleteMinTracks: 20 };
      const resolved = await run(acts.resolveConflicts, resolve);
      assert.deepEqual(await run(acts.resolveConflicts, resolve), resolved, 'resolve run twice counts once');
      await run(acts.completeJob, { jobId, status: 'completed' });
      await run(acts.completeJob, { jobId, status: 'completed' });
      const terminal = await db.selectFrom('sync_events').select('id').where('job_id', '=', jobId).where('key', '=', 'terminal').execute();
      assert.equal(terminal.length, 1);
      return { batch, resolved };
    };
    await full();
    const before = await db.selectFrom('tracks').select(['id', 'path']).where('profile_id', '=', profile.id).execute();
    const flac = before.find((t) => t.path === '04 Long Drive.flac')!;
    await rename(path.join(root, '04 Long Drive.flac'), path.join(root, 'sub', 'renamed.flac'));
    await rm(path.join(root, 'sub', 'a kind of magic.flac'));
    await writeFile(path.join(root, 'sub', 'readme.md'), 'still not music');
    const second = await full();
    assert.equal(second.batch.renamed, 1);
    assert.equal(second.resolved.deleted, 1);
    const renamed = await db.selectFrom('tracks').selectAll().where('id', '=', flac.id).executeTakeFirstOrThrow();
    assert.equal(renamed.path, 'sub/renamed.flac');
    assert.equal(renamed.deleted_at, null);
    const gone = await db.selectFrom('tracks').selectAll().where('profile_id', '=', profile.id).where('path', '=', 'sub/a kind of magic.flac').executeTakeFirstOrThrow();
    assert.ok(gone.deleted_at instanceof Date, 'soft-deleted, not removed');
  });
  test('startJob binds the job to its run chain and to the library it starts from, once', async () => {
    const { acts, profile } = await setup('bind');
    const jobId = randomUUID();
    // The client's row comes first with the run id it started; the workflow's activity only adds what is missing.
    await insertJob(db, { id: jobId, profileId: profile.id, provider: 'faulty', mode: 'full', workflowId: 'wf-bind', status: 'queued', runId: 'run-1' });
    await db.insertInto('tracks').values(fakeTrack(profile.id, 'old.mp3')).execute();
    await run(acts.startJob, { jobId, profileId: profile.id, mode: 'full', workflowId: 'wf-bind', runId: 'run-other' });
    await db.insertInto('tracks').values(fakeTrack(profile.id, 'new.mp3')).execute();
    await run(acts.startJob, { jobId, profileId: profile.id, mode: 'full', workflowId: 'wf-bind', runId: 'run-2' });
    const row = await db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.run_id, row.tracks_before], ['running', 'run-1', 1]);
    // Without the client's row (a start from elsewhere), the workflow's run id is recorded.
    const other = randomUUID();
    await run(acts.startJob, { jobId: other, profileId: profile.id, mode: 'full', workflowId: 'wf-bind', runId: 'run-3' });
    await insertJob(db, { id: other, profileId: profile.id, provider: 'faulty', mode: 'full', workflowId: 'wf-bind', status: 'queued', runId: 'run-4' });
    const otherRow = await db.selectFrom('sync_jobs').selectAll().where('id', '=', other).executeTakeFirstOrThrow();
    assert.deepEqual([otherRow.status, otherRow.run_id, otherRow.tracks_before], ['running', 'run-3', 2]);
  });

  test('the mass-deletion guard measures against the library when the job started; a held job ends as needs_review', async () => {
    const { acts, newJob, profile, root } = await setup('baseline');
    for (const f of FILES) await rm(path.join(root, f), { force: true });
    await rm(path.join(root, 'sub'), { recursive: true, force: true });
    for (let i = 0; i < 4; i++) await writeTrackFile(root, `old/${i}.mp3`, { title: `Old ${i}`, artists: ['A'] }, { seed: 100 + i });
    const resolve = (jobId: string, confirmDeletions?: boolean) =>
      run(acts.resolveConflicts, { jobId, massDeleteRatio: 0.5, massDeleteMinTracks: 2, ...(confirmDeletions ? { confirmDeletions } : {}) });
    const sync = async (confirmDeletions?: boolean) => {
      const jobId = await newJob();
      await run(acts.discover, { jobId, pageSize: 100 });
      await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
      await run(acts.processBatch, { jobId, batchSize: 100, concurrency: 2, parseTimeoutMs: 10_000, progressEvery: 100 });
      const resolved = await resolve(jobId, confirmDeletions);
      const completed = await run(acts.completeJob, { jobId, status: 'completed' });
      return { jobId, resolved, completed };
    };
    await sync();
    const cursor = await currentCursor(db, profile.id);
    // 3 of the 4 tracks leave and 6 new ones come: 3 of 10 live tracks at the resolve phase, but 3 of
    // the 4 the library had when the job started.
    for (let i = 1; i < 4; i++) await rm(path.join(root, `old/${i}.mp3`));
    for (let i = 0; i < 6; i++) await writeTrackFile(root, `new/${i}.mp3`, { title: `New ${i}`, artists: ['B'] }, { seed: 200 + i });
    const held = await sync();
    assert.equal(held.resolved.deleted, 0);
    assert.match(held.resolved.needsReview ?? '', /no longer has 3 of the 4 tracks/);
    assert.deepEqual([held.completed.status, held.completed.needsReview], ['needs_review', held.resolved.needsReview]);
    const job = await db.selectFrom('sync_jobs').selectAll().where('id', '=', held.jobId).executeTakeFirstOrThrow();
    assert.deepEqual([job.status, job.tracks_before, job.phase], ['needs_review', 4, 'complete']);
    assert.equal(await currentCursor(db, profile.id), cursor, 'a held job keeps the old snapshot');
    const terminal = await db.selectFrom('sync_events').selectAll().where('job_id', '=', held.jobId).where('key', '=', 'terminal').executeTakeFirstOrThrow();
    assert.equal(terminal.type, 'needs_review');
    const payload = terminal.payload as Record<string, unknown>;
    assert.deepEqual([payload.gone, payload.baseline, payload.confirmCommand], [3, 4, 'music-sync sync baseline --confirm-deletions']);
    assert.equal(await count('tracks', 'profile_id', profile.id), 10, 'nothing deleted');

    const confirmed = await sync(true);
    assert.deepEqual([confirmed.resolved.deleted, confirmed.resolved.needsReview, confirmed.completed.status], [3, null, 'completed']);
    assert.notEqual(await currentCursor(db, profile.id), cursor);
  });
});

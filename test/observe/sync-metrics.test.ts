// The worker's counters as activities feed them, against a real Postgres and real audio files: each
// figure counted once although activities run at least once, the queue depth read at scrape time,
// and provider requests counted as their account's limiter sees them end.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { AccountLimiter } from '../../src/providers/remote/limiter.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const AUDIO = ['04 Long Drive.flac', 'id3v2.3.mp3', 'a kind of magic.flac'];

let testDb: TestDb;
let tmp: string;
before(async () => {
  testDb = await startTestDb();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-metrics-'));
});
after(async () => {
  await testDb?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args);

/** A sample's value on the registry's page. */
async function value(page: Promise<string>, series: string): Promise<number | undefined> {
  const line = (await page).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a sync\'s figures, each counted once when activities run twice', async () => {
  const { db } = testDb;
  const root = path.join(tmp, 'library');
  await rm(root, { recursive: true, force: true });
  await mkdir(root);
  for (const f of AUDIO) await copyFile(path.join(CORPUS, f), path.join(root, f));
  await writeFile(path.join(root, 'broken.flac'), 'fLaC and nothing else');
  const metrics = createMetrics({ db });
  const page = () => metrics.registry.metrics();
  const acts = createActivities({ db, providers: defaultProviders(), metrics });
  const profile = await insertProfile(db, { id: randomUUID(), name: 'counted', provider: 'local', root });
  const jobId = randomUUID();
  await run(acts.startJob, { jobId, profileId: profile.id, mode: 'full', workflowId: 'wf-counted' });
  await run(acts.discover, { jobId, pageSize: 100 });
  await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
  assert.equal(await value(page(), 'music_sync_queue_items'), AUDIO.length + 1, 'the running job\'s pending items');
  assert.equal(await value(page(), 'music_sync_running_syncs'), 1);

  const batch = { jobId, batchSize: 100, concurrency: 2, parseTimeoutMs: 10_000, progressEvery: 100 };
  const first = await run(acts.processBatch, batch);
  const again = await run(acts.processBatch, batch);
  assert.equal(again.processed, 0, 'the second run finds the batch written');
  await run(acts.resolveConflicts, { jobId, massDeleteRatio: 0.9, massDeleteMinTracks: 20 });
  await run(acts.completeJob, { jobId, status: 'completed' });
  await run(acts.completeJob, { jobId, status: 'completed' });

  assert.equal(await value(page(), 'music_sync_syncs_total{outcome="completed",provider="local",mode="full"}'), 1);
  assert.equal(await value(page(), 'music_sync_sync_duration_seconds_count{outcome="completed",provider="local",mode="full"}'), 1);
  assert.equal(await value(page(), 'music_sync_tracks_total{change="added",provider="local"}'), AUDIO.length);
  assert.equal(await value(page(), 'music_sync_files_failed_total{reason="unreadable",provider="local"}'), 1);
  assert.equal(await value(page(), 'music_sync_read_bytes_total{provider="local"}'), first.counters.bytesRead);
  assert.equal(await value(page(), 'music_sync_queue_items'), 0);
  assert.equal(await value(page(), 'music_sync_running_syncs'), 0);

  // The files deleted by a later sync are counted when it ends.
  await rm(path.join(root, AUDIO[0]!));
  const second = randomUUID();
  await run(acts.startJob, { jobId: second, profileId: profile.id, mode: 'full', workflowId: 'wf-counted' });
  await run(acts.discover, { jobId: second, pageSize: 100 });
  await run(acts.filter, { jobId: second, maxFileSize: 1 << 30 });
  await run(acts.processBatch, { ...batch, jobId: second });
  await run(acts.resolveConflicts, { jobId: second, massDeleteRatio: 0.9, massDeleteMinTracks: 20 });
  await run(acts.completeJob, { jobId: second, status: 'completed' });
  assert.equal(await value(page(), 'music_sync_tracks_total{change="deleted",provider="local"}'), 1);
  assert.equal(await value(page(), 'music_sync_syncs_total{outcome="completed",provider="local",mode="full"}'), 2);
  assert.equal(await value(page(), 'music_sync_tracks_total{change="added",provider="local"}'), AUDIO.length, 'nothing new added');
});

test('provider requests by outcome, as their account\'s limiter gives their slots back', async () => {
  const metrics = createMetrics({ db: testDb.db });
  const board = {
    publish: async () => undefined,
    read: async () => undefined,
    settled: (outcome: 'ok' | 'throttled' | 'failed') => metrics.providerRequest('webdav', outcome),
  };
  const limiter = new AccountLimiter({ account: `webdav test ${randomUUID()}`, maxConcurrency: 2, board });
  (await limiter.acquire())('ok');
  (await limiter.acquire())('failed');
  const release = await limiter.acquire();
  release('throttled', 1);
  release('ok'); // a second release does nothing, and counts nothing
  const page = metrics.registry.metrics();
  assert.equal(await value(page, 'music_sync_provider_requests_total{provider="webdav",outcome="ok"}'), 1);
  assert.equal(await value(page, 'music_sync_provider_requests_total{provider="webdav",outcome="failed"}'), 1);
  assert.equal(await value(page, 'music_sync_provider_requests_total{provider="webdav",outcome="throttled"}'), 1);
});

test('two apps in one process count apart (a registry each)', async () => {
  const one = createMetrics({ db: testDb.db });
  const two = createMetrics({ db: testDb.db });
  one.providerRequest('s3', 'ok');
  assert.equal(await value(one.registry.metrics(), 'music_sync_provider_requests_total{provider="s3",outcome="ok"}'), 1);
  assert.equal(await value(two.registry.metrics(), 'music_sync_provider_requests_total{provider="s3",outcome="ok"}'), undefined);
});

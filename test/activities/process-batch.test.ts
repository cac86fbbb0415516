// processBatch against a real Postgres and real files: one file the database refuses fails alone,
// with the database's reason, and two attempts of one batch that overlap write and count it once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { createActivities } from '../../src/activities/index.ts';
import type { Db } from '../../src/db/connect.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { writeTrackFile } from '../../src/testing/fixtures.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let db: Db;
let tmp: string;
before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-process-'));
});
after(async () => {
  await testDb?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => new MockActivityEnvironment().run(fn, ...args);

async function queuedJob(name: string, titles: string[]) {
  const root = path.join(tmp, name);
  for (const [i, title] of titles.entries()) await writeTrackFile(root, `${String(i).padStart(2, '0')}.mp3`, { title, artists: ['A'] }, { seed: i + 1 });
  const acts = createActivities({ db, providers: defaultProviders() });
  const profile = await insertProfile(db, { id: randomUUID(), name, provider: 'local', root });
  const jobId = randomUUID();
  await run(acts.startJob, { jobId, profileId: profile.id, mode: 'full', workflowId: `wf-${name}` });
  await run(acts.discover, { jobId, pageSize: 100 });
  await run(acts.filter, { jobId, maxFileSize: 1 << 30 });
  return { acts, profile, jobId, input: { jobId, batchSize: 100, concurrency: 4, parseTimeoutMs: 10_000, progressEvery: 100 } };
}

test('a file whose row the database refuses fails alone with the database\'s reason; the rest of the batch is imported', async () => {
  const { acts, profile, jobId, input } = await queuedJob('refused', ['one', 'poison', 'three', 'four']);
  // A rule of this database the product does not know about: the write of one row fails.
  await sql`alter table tracks add constraint refuse_poison check (title <> 'poison')`.execute(db);
  try {
    const result = await run(acts.processBatch, input);
    assert.deepEqual([result.processed, result.added, result.failed, result.remaining], [4, 3, 1, 0]);
    const failed = await db.selectFrom('scan_items').select(['path', 'reason']).where('job_id', '=', jobId).where('status', '=', 'failed').execute();
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.path, '01.mp3');
    assert.match(failed[0]!.reason ?? '', /could not be stored: .*refuse_poison/);
    const titles = (await db.selectFrom('tracks').select('title').where('profile_id', '=', profile.id).orderBy('title').execute()).map((t) => t.title);
    assert.deepEqual(titles, ['four', 'one', 'three']);
    assert.deepEqual([result.counters.itemsProcessed, result.counters.itemsAdded, result.counters.itemsFailed], [4, 3, 1]);
  } finally {
    await sql`alter table tracks drop constraint refuse_poison`.execute(db);
  }
});

test('two attempts of the same batch that overlap write each item and count it once', async () => {
  const titles = Array.from({ length: 12 }, (_, i) => `t${i}`);
  const { acts, profile, jobId, input } = await queuedJob('overlap', titles);
  const [a, b] = await Promise.all([run(acts.processBatch, input), run(acts.processBatch, input)]);
  assert.equal(a.processed + b.processed, 12, `${a.processed} + ${b.processed}`);
  assert.equal(a.added + b.added, 12);
  const tracks = await db.selectFrom('tracks').select('id').where('profile_id', '=', profile.id).execute();
  assert.equal(tracks.length, 12);
  const job = await db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  assert.deepEqual([job.items_processed, job.items_added], [12, 12]);
});

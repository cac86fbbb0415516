// SyncConfig's limits against a real Postgres: the widest statements the sizes feed run at the largest
// sizes the config accepts, and one more is refused before any sync starts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { IAudioMetadata } from 'music-metadata';
import {
  DEFAULT_SYNC_CONFIG, MAX_BATCH_SIZE, MAX_LIST_PAGE_SIZE, resolveConfig, TRACK_ROW_PARAMETERS,
} from '../../src/contract/config.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { persistBatch, type ReadItem } from '../../src/db/persist-batch.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { upsertListedFiles } from '../../src/db/scan-items.ts';
import { toTrackTags } from '../../src/media/tags.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;

before(async () => {
  testDb = await startTestDb();
});
after(async () => {
  await testDb?.close();
});

async function newJob(name: string): Promise<{ profileId: string; jobId: string }> {
  const profile = await insertProfile(testDb.db, { id: randomUUID(), name, provider: 'local', root: `/music/${name}` });
  const jobId = randomUUID();
  await insertJob(testDb.db, { id: jobId, profileId: profile.id, provider: 'local', mode: 'full', workflowId: `wf-${name}`, status: 'running' });
  return { profileId: profile.id, jobId };
}

describe('SyncConfig limits', () => {
  test('resolveConfig refuses what would break a statement, the server or the workflow, naming the field', () => {
    assert.deepEqual(resolveConfig(undefined), DEFAULT_SYNC_CONFIG);
    assert.equal(DEFAULT_SYNC_CONFIG.readStallTimeoutMs, 30_000);
    assert.equal(DEFAULT_SYNC_CONFIG.confirmDeletions, false);
    assert.equal(resolveConfig({ batchSize: MAX_BATCH_SIZE, listPageSize: MAX_LIST_PAGE_SIZE }).batchSize, MAX_BATCH_SIZE);
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ batchSize: MAX_BATCH_SIZE + 1 }, new RegExp(`batchSize must be at most ${MAX_BATCH_SIZE}.*65535`)],
      [{ listPageSize: MAX_LIST_PAGE_SIZE + 1 }, new RegExp(`listPageSize must be at most ${MAX_LIST_PAGE_SIZE}`)],
      [{ batchSize: 0 }, /batchSize must be a positive integer/],
      [{ listPageSize: -5 }, /listPageSize must be a positive integer/],
      [{ parallelBatches: 1.5 }, /parallelBatches/],
      [{ readStallTimeoutMs: 0 }, /readStallTimeoutMs/],
      [{ maxFileSize: Number.MAX_SAFE_INTEGER + 2 }, /maxFileSize/],
      [{ batchSize: '10' }, /batchSize must be a positive integer, got "10"/],
      [{ syncTimeoutSecs: 9 }, /syncTimeoutSecs must be at least 10 .*5 s/],
      [{ syncTimeoutSecs: 1e12 }, /syncTimeoutSecs must be at most 9223372036/],
      [{ massDeleteRatio: 0 }, /massDeleteRatio must be in \(0, 1\]/],
      [{ massDeleteRatio: 1.01 }, /massDeleteRatio/],
      [{ massDeleteRatio: Number.NaN }, /massDeleteRatio/],
      [{ confirmDeletions: 'yes' }, /confirmDeletions must be true or false/],
      [{ batchsize: 10 }, /SyncConfig has no field batchsize/],
    ];
    for (const [partial, message] of refused) {
      assert.throws(() => resolveConfig(partial as never), (err: unknown) => err instanceof RangeError && message.test(err.message), JSON.stringify(partial));
    }
    assert.equal(resolveConfig({ syncTimeoutSecs: 10 }).syncTimeoutSecs, 10);
    assert.equal(resolveConfig({ massDeleteRatio: 1 }).massDeleteRatio, 1);
  });

  test(`a listing page of ${MAX_LIST_PAGE_SIZE} files fits one statement`, { timeout: 120_000 }, async () => {
    const { jobId } = await newJob('page');
    const files = Array.from({ length: MAX_LIST_PAGE_SIZE }, (_, i) => ({
      fileId: `f${i}`, path: `d/${i}.mp3`, size: i, modifiedAt: new Date(), mimeType: 'audio/mpeg', providerHash: `md5:${i}`, revision: `"r${i}"`,
    }));
    assert.equal(await upsertListedFiles(testDb.db, jobId, files), MAX_LIST_PAGE_SIZE);
  });

  test(`a batch of ${MAX_BATCH_SIZE} new tracks (${TRACK_ROW_PARAMETERS} parameters each) fits its statements`, { timeout: 120_000 }, async () => {
    const { profileId, jobId } = await newJob('batch');
    const meta = {
      common: { track: { no: null, of: null }, disk: { no: null, of: null }, movementIndex: {} },
      format: { tagTypes: [], trackInfo: [] }, native: {}, quality: { warnings: [] },
    } as unknown as IAudioMetadata;
    const reads: ReadItem[] = Array.from({ length: MAX_BATCH_SIZE }, (_, i) => ({
      itemId: i + 1,
      file: { fileId: `f${i}`, path: `d/${i}.mp3`, size: i, modifiedAt: new Date() },
      tags: toTrackTags(meta, `d/${i}.mp3`),
      contentHash: `sha256:${i}`,
      audioHash: `sha256:audio-${i}`,
      audioHashScope: 'stream',
    }));
    const persisted = await testDb.db.transaction().execute((trx) => persistBatch(trx, profileId, jobId, reads));
    assert.equal(persisted.filter((p) => p.outcome === 'added').length, MAX_BATCH_SIZE);
  });
});

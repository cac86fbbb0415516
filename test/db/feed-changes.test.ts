// A change feed's pages in the job's queue (path removals and folder moves among file changes), and
// the folder index of providers whose feeds name folders by id: pending until the sync completes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/connect.ts';
import { commitFolders, loadFolders, recordFolders, startFolderFeed, startFolderListing } from '../../src/db/folders.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { applyChangePage } from '../../src/db/scan-items.ts';
import type { ProviderFile } from '../../src/providers/types.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let db: Db;
before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
});
after(() => testDb?.close());

async function profileAndJob() {
  const profile = await insertProfile(db, { id: randomUUID(), name: `p-${randomUUID().slice(0, 8)}`, provider: 'local', root: '/x' });
  const job = async () => {
    const jobId = randomUUID();
    await insertJob(db, { id: jobId, profileId: profile.id, provider: 'local', mode: 'incremental', workflowId: 'wf', status: 'running' });
    return jobId;
  };
  return { profileId: profile.id, job };
}

const file = (fileId: string, path: string, size = 10): ProviderFile => ({
  fileId, path, size, modifiedAt: new Date('2024-01-01T00:00:00Z'), mimeType: null, providerHash: `md5:${fileId}`, revision: null,
});

async function snapshot(profileId: string, jobId: string, files: ProviderFile[]) {
  await db.insertInto('listing_snapshots').values(files.map((f) => ({
    profile_id: profileId, path: f.path, file_id: f.fileId, size: f.size, modified_at: f.modifiedAt, provider_hash: f.providerHash,
    status: 'done', job_id: jobId, listed_at: new Date('2024-01-02T00:00:00Z'),
  }))).execute();
}

async function queue(jobId: string) {
  const rows = await db.selectFrom('scan_items').select(['file_id', 'path', 'status']).where('job_id', '=', jobId).orderBy('path').execute();
  return rows.map((r) => `${r.status} ${r.file_id} ${r.path}`);
}

describe('change pages', () => {
  test('a folder move queues what the snapshot knew under it at the new path, and moves what the page queued', async () => {
    const { profileId, job } = await profileAndJob();
    const old = await job();
    await snapshot(profileId, old, [file('a', 'Album/1.mp3'), file('b', 'Album/CD2/2.mp3'), file('c', 'Albums/3.mp3'), file('d', 'top.mp3')]);
    const jobId = await job();
    await applyChangePage(db, profileId, jobId, [
      { kind: 'upsert', file: file('e', 'Album/new.mp3') },
      { kind: 'movePath', from: 'Album', to: 'Moved/Album 2' },
      // A later change of a moved file wins.
      { kind: 'upsert', file: file('b', 'Moved/Album 2/CD2/2 renamed.mp3') },
    ]);
    assert.deepEqual(await queue(jobId), [
      'discovered a Moved/Album 2/1.mp3',
      'discovered b Moved/Album 2/CD2/2 renamed.mp3',
      'discovered e Moved/Album 2/new.mp3',
    ]);
  });

  test('a path removal removes what the page queued and what the snapshot knew there, case-insensitively where asked', async () => {
    const { profileId, job } = await profileAndJob();
    const old = await job();
    await snapshot(profileId, old, [file('a', 'Album/1.mp3'), file('b', 'Album/CD2/2.mp3'), file('c', 'Albums/3.mp3'), file('d', 'album.mp3')]);
    const jobId = await job();
    await applyChangePage(db, profileId, jobId, [
      { kind: 'upsert', file: file('e', 'Album/new.mp3') },
      { kind: 'upsert', file: file('b', 'Elsewhere/2.mp3') },
      { kind: 'removePath', path: 'album', caseInsensitive: true },
      // Then a new file at a removed path: it is there.
      { kind: 'upsert', file: file('f', 'Album/1.mp3') },
    ]);
    assert.deepEqual(await queue(jobId), [
      'discovered f Album/1.mp3',
      'removed e Album/new.mp3',
      'discovered b Elsewhere/2.mp3',
    ]);
    // Case-sensitive by default; `Albums` and `album.mp3` are other paths either way.
    const second = await job();
    await applyChangePage(db, profileId, second, [{ kind: 'removePath', path: 'album' }]);
    assert.deepEqual(await queue(second), []);
  });
});

describe('change pages: names and collisions', () => {
  test('folders named with characters outside the BMP, accents and case are removed and moved whole', async () => {
    const { profileId, job } = await profileAndJob();
    const old = await job();
    await snapshot(profileId, old, [file('a', '🎵 Mix/1.mp3'), file('b', 'Björk/Ísland/2.mp3'), file('c', 'ÄRZTE/3.mp3'), file('d', '🎵 Mixes/4.mp3')]);
    const jobId = await job();
    await applyChangePage(db, profileId, jobId, [
      { kind: 'removePath', path: '🎵 Mix' },
      { kind: 'movePath', from: 'Björk/Ísland', to: 'Björk/🇮🇸 Ísland' },
      { kind: 'removePath', path: 'ärzte', caseInsensitive: true },
    ]);
    assert.deepEqual((await queue(jobId)).sort(), [
      'discovered b Björk/🇮🇸 Ísland/2.mp3',
      'removed a 🎵 Mix/1.mp3',
      'removed c ÄRZTE/3.mp3',
    ].sort());
  });

  test('a run of path removals (a page of Dropbox deletions) is applied at once, the root among them', async () => {
    const { profileId, job } = await profileAndJob();
    const old = await job();
    await snapshot(profileId, old, [file('a', 'A/1.mp3'), file('b', 'A/B/2.mp3'), file('c', 'C/3.mp3'), file('d', 'D/4.mp3')]);
    const jobId = await job();
    await applyChangePage(db, profileId, jobId, [
      { kind: 'removePath', path: 'a', caseInsensitive: true },
      { kind: 'removePath', path: 'A/b', caseInsensitive: true },
      { kind: 'removePath', path: 'c/3.MP3', caseInsensitive: true },
      { kind: 'upsert', file: file('e', 'A/new.mp3') },
    ]);
    assert.deepEqual((await queue(jobId)).sort(), ['discovered e A/new.mp3', 'removed a A/1.mp3', 'removed b A/B/2.mp3', 'removed c C/3.mp3']);
    const whole = await job();
    await applyChangePage(db, profileId, whole, [{ kind: 'removePath', path: '' }, { kind: 'removePath', path: 'D' }]);
    assert.equal((await queue(whole)).filter((row) => row.startsWith('removed')).length, 4);
  });

  test('a folder renamed into the place of a deleted one takes its paths', async () => {
    const { profileId, job } = await profileAndJob();
    const old = await job();
    await snapshot(profileId, old, [file('a1', 'Album/01.mp3'), file('a2', 'Album (remaster)/01.mp3'), file('a3', 'Album (remaster)/02.mp3')]);
    const jobId = await job();
    await applyChangePage(db, profileId, jobId, [
      { kind: 'removePath', path: 'Album' },
      { kind: 'upsert', file: file('a3', 'Album (remaster)/02.mp3', 11) },
      { kind: 'movePath', from: 'Album (remaster)', to: 'Album' },
    ]);
    assert.deepEqual(await queue(jobId), ['discovered a2 Album/01.mp3', 'discovered a3 Album/02.mp3']);
  });
});

describe('folder index', () => {
  test('pending until the sync completes; a failed sync leaves the committed index; a whole listing replaces it', async () => {
    const { profileId, job } = await profileAndJob();
    const first = await job();
    await db.transaction().execute((trx) => startFolderListing(trx, profileId, first));
    await recordFolders(db, profileId, first, [
      { kind: 'upsert', folder: { id: 'root', parentId: null, name: '' } },
      { kind: 'upsert', folder: { id: 'f1', parentId: 'root', name: 'Album' } },
      { kind: 'upsert', folder: { id: 'f2', parentId: 'f1', name: 'CD2' } },
    ]);
    assert.deepEqual([...(await loadFolders(db, profileId, first)).keys()].sort(), ['f1', 'f2', 'root']);
    await db.transaction().execute((trx) => commitFolders(trx, profileId, first, true));

    // A feed sync renames f1 and removes f2, then fails: the next one starts from the committed index.
    const failed = await job();
    await db.transaction().execute((trx) => startFolderFeed(trx, profileId, failed));
    await recordFolders(db, profileId, failed, [{ kind: 'upsert', folder: { id: 'f1', parentId: 'root', name: 'Renamed' } }, { kind: 'remove', id: 'f2' }]);
    const seen = await loadFolders(db, profileId, failed);
    assert.equal(seen.get('f1')?.name, 'Renamed');
    assert.equal(seen.has('f2'), false);
    const next = await job();
    await db.transaction().execute((trx) => startFolderFeed(trx, profileId, next));
    const fresh = await loadFolders(db, profileId, next);
    assert.equal(fresh.get('f1')?.name, 'Album');
    assert.equal(fresh.has('f2'), true);

    // It completes with a rename and a new folder.
    await recordFolders(db, profileId, next, [{ kind: 'upsert', folder: { id: 'f1', parentId: 'root', name: 'Now' } }, { kind: 'upsert', folder: { id: 'f3', parentId: 'root', name: 'New' } }]);
    await db.transaction().execute((trx) => commitFolders(trx, profileId, next, false));
    const committed = await loadFolders(db, profileId, await job());
    assert.deepEqual([...committed.values()].map((f) => `${f.id}:${f.name}`).sort(), ['f1:Now', 'f2:CD2', 'f3:New', 'root:']);

    // A whole listing that no longer sees f2 and f3 replaces the index.
    const relist = await job();
    await db.transaction().execute((trx) => startFolderListing(trx, profileId, relist));
    assert.equal((await loadFolders(db, profileId, relist)).size, 0, 'a whole listing starts from nothing');
    await recordFolders(db, profileId, relist, [{ kind: 'upsert', folder: { id: 'root', parentId: null, name: '' } }, { kind: 'upsert', folder: { id: 'f1', parentId: 'root', name: 'Now' } }]);
    await db.transaction().execute((trx) => commitFolders(trx, profileId, relist, true));
    assert.deepEqual([...(await loadFolders(db, profileId, await job())).keys()].sort(), ['f1', 'root']);
  });
});

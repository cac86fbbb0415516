// Identity on evidence, at the layer that decides it: which track a file read in a job becomes.
// A provider id alone never ties a file to a track; the same bytes or the same audio stream do.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TrackTags } from '../../src/contract/track.ts';
import type { Db } from '../../src/db/connect.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { persistBatch, type ReadItem } from '../../src/db/persist-batch.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { claimPending, upsertListedFiles } from '../../src/db/scan-items.ts';
import { duplicateGroups, softDeleteGone } from '../../src/db/tracks.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let db: Db;
before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
});
after(() => testDb?.close());

interface FileState {
  path: string;
  fileId: string;
  content: string;
  audio: string;
  /** `file`: a format hashed whole (its audio hash is its content hash). */
  scope?: 'file';
}

const tags = (title: string): TrackTags => ({
  title, artists: [], album: null, albumArtist: null, trackNo: null, trackTotal: null, discNo: null, discTotal: null,
  year: null, genres: [], durationMs: null, codec: null, container: null, bitrate: null, sampleRate: null, channels: null,
  lossless: null, hasArtwork: false,
  musicbrainz: { trackId: null, recordingId: null, albumId: null, artistIds: [], albumArtistIds: [] },
  replayGain: { trackGainDb: null, trackPeak: null, albumGainDb: null, albumPeak: null },
});

/** A profile and a helper that runs one job over a listing: every file listed, read in the given
 * batches (each its own transaction), the rest of the library resolved as after a sync. */
async function library() {
  const profile = await insertProfile(db, { id: randomUUID(), name: `p-${randomUUID().slice(0, 8)}`, provider: 'local', root: '/x' });
  const sync = async (listing: FileState[], batches: string[][] = [listing.map((f) => f.path)]) => {
    const jobId = randomUUID();
    await insertJob(db, { id: jobId, profileId: profile.id, provider: 'local', mode: 'full', workflowId: 'wf', status: 'running' });
    await upsertListedFiles(db, jobId, listing.map((f) => ({
      fileId: f.fileId, path: f.path, size: 1, modifiedAt: null, mimeType: null, providerHash: null, revision: null,
    })));
    await db.updateTable('scan_items').set({ status: 'pending' }).where('job_id', '=', jobId).execute();
    const items = new Map((await db.selectFrom('scan_items').select(['id', 'path']).where('job_id', '=', jobId).execute()).map((i) => [i.path, i.id]));
    const outcomes = new Map<string, string>();
    for (const batch of batches) {
      await db.transaction().execute(async (trx) => {
        const reads: ReadItem[] = batch.map((p) => {
          const f = listing.find((x) => x.path === p)!;
          return {
            itemId: items.get(p)!, tags: tags(p), contentHash: `sha256:${f.content}`,
            audioHash: `sha256:${f.scope ? f.content : f.audio}`, audioHashScope: f.scope ?? 'stream',
            file: { fileId: f.fileId, path: f.path, size: 1, modifiedAt: null },
          };
        });
        await claimPending(trx, reads.map((r) => r.itemId));
        for (const p of await persistBatch(trx, profile.id, jobId, reads)) outcomes.set(batch[reads.findIndex((r) => r.itemId === p.itemId)]!, p.outcome);
        await trx.updateTable('scan_items').set({ status: 'done' }).where('id', 'in', reads.map((r) => r.itemId)).execute();
      });
    }
    await softDeleteGone(db, profile.id, jobId);
    const live = await db.selectFrom('tracks').select(['id', 'path']).where('profile_id', '=', profile.id).where('deleted_at', 'is', null).execute();
    return { outcomes, idAt: new Map(live.map((t) => [t.path, t.id])), live: live.length };
  };
  return { profile, sync };
}

describe('persistBatch: identity on evidence', () => {
  test('a new file that reuses a deleted file\'s id is a new track, and the deleted one is gone', async () => {
    const { sync } = await library();
    const first = await sync([{ path: 'a/x.mp3', fileId: '1:100', content: 'x', audio: 'ax' }, { path: 'a/keep.mp3', fileId: '1:5', content: 'k', audio: 'ak' }]);
    const x = first.idAt.get('a/x.mp3')!;
    // x.mp3 deleted; an unrelated file copied elsewhere gets the same inode.
    const second = await sync([{ path: 'b/y.mp3', fileId: '1:100', content: 'y', audio: 'ay' }, { path: 'a/keep.mp3', fileId: '1:5', content: 'k', audio: 'ak' }]);
    assert.equal(second.outcomes.get('b/y.mp3'), 'added');
    assert.notEqual(second.idAt.get('b/y.mp3'), x);
    assert.equal(second.idAt.has('a/x.mp3'), false);
    assert.equal(second.live, 2);
  });

  test('a rename keeps the id; a retag renamed elsewhere (new id, new bytes, same audio) keeps it too', async () => {
    const { sync } = await library();
    const first = await sync([{ path: 'a.mp3', fileId: '1:1', content: 'c1', audio: 'a1' }]);
    const id = first.idAt.get('a.mp3')!;
    const moved = await sync([{ path: 'sub/a.mp3', fileId: '1:1', content: 'c1', audio: 'a1' }]);
    assert.equal(moved.outcomes.get('sub/a.mp3'), 'renamed');
    assert.equal(moved.idAt.get('sub/a.mp3'), id);
    const retagged = await sync([{ path: 'other/A.mp3', fileId: '1:2', content: 'c2', audio: 'a1' }]);
    assert.equal(retagged.outcomes.get('other/A.mp3'), 'renamed');
    assert.equal(retagged.idAt.get('other/A.mp3'), id);
  });

  test('a retag written as a new file over the old path keeps the track; different audio there is a new track', async () => {
    const { sync } = await library();
    const first = await sync([{ path: 'a.flac', fileId: '1:1', content: 'c1', audio: 'a1' }]);
    const id = first.idAt.get('a.flac')!;
    const retag = await sync([{ path: 'a.flac', fileId: '1:9', content: 'c2', audio: 'a1' }]);
    assert.equal(retag.outcomes.get('a.flac'), 'updated');
    assert.equal(retag.idAt.get('a.flac'), id);
    // Another file with other audio now at that path: a new track, the old one gone.
    const replaced = await sync([{ path: 'a.flac', fileId: '1:77', content: 'c4', audio: 'a4' }]);
    assert.equal(replaced.outcomes.get('a.flac'), 'added');
    assert.notEqual(replaced.idAt.get('a.flac'), id);
    // The same provider id with other audio is not proof either: a new track.
    const rewritten = await sync([{ path: 'a.flac', fileId: '1:77', content: 'c5', audio: 'a5' }]);
    assert.equal(rewritten.outcomes.get('a.flac'), 'added');
    assert.notEqual(rewritten.idAt.get('a.flac'), replaced.idAt.get('a.flac'));
    assert.equal(rewritten.live, 1);
  });

  test('a format hashed whole keeps its track through an in-place retag (same file object), not through a new file', async () => {
    const { sync } = await library();
    const first = await sync([{ path: 'a.wma', fileId: '1:1', content: 'c1', audio: '', scope: 'file' }]);
    const id = first.idAt.get('a.wma')!;
    const retagged = await sync([{ path: 'a.wma', fileId: '1:1', content: 'c2', audio: '', scope: 'file' }]);
    assert.equal(retagged.outcomes.get('a.wma'), 'updated');
    assert.equal(retagged.idAt.get('a.wma'), id);
    const other = await sync([{ path: 'a.wma', fileId: '1:2', content: 'c3', audio: '', scope: 'file' }]);
    assert.equal(other.outcomes.get('a.wma'), 'added');
  });

  for (const [label, batches] of [
    ['in one batch', [['a.mp3', 'b.mp3']]],
    ['across batches', [['a.mp3'], ['b.mp3']]],
    ['across batches, the other way round', [['b.mp3'], ['a.mp3']]],
  ] as const) {
    test(`two files that swap paths keep their ids (${label})`, async () => {
      const { sync } = await library();
      const first = await sync([{ path: 'a.mp3', fileId: '1:1', content: 'ca', audio: 'aa' }, { path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
      const swapped = await sync(
        [{ path: 'a.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }, { path: 'b.mp3', fileId: '1:1', content: 'ca', audio: 'aa' }],
        batches.map((b) => [...b]),
      );
      assert.equal(swapped.idAt.get('a.mp3'), first.idAt.get('b.mp3'));
      assert.equal(swapped.idAt.get('b.mp3'), first.idAt.get('a.mp3'));
      assert.deepEqual([...swapped.outcomes.values()], ['renamed', 'renamed']);
      assert.equal(swapped.live, 2);
    });
  }

  test('a file replaced by a retagged copy of another becomes that recording, both kept, grouped as same audio', async () => {
    const { profile, sync } = await library();
    const first = await sync([{ path: 'a.mp3', fileId: '1:1', content: 'ca', audio: 'aa' }, { path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
    const after = await sync([{ path: 'a.mp3', fileId: '1:3', content: 'cb2', audio: 'ab' }, { path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
    assert.equal(after.idAt.get('b.mp3'), first.idAt.get('b.mp3'));
    assert.notEqual(after.idAt.get('a.mp3'), first.idAt.get('a.mp3'));
    assert.equal(after.live, 2);
    const groups = await duplicateGroups(db, profile.id);
    assert.deepEqual(groups.map((g) => [g.kind, g.paths]), [['same-audio', ['a.mp3', 'b.mp3']]]);
  });

  test('a deleted file that comes back is restored with its id, never duplicated', async () => {
    const { sync } = await library();
    const first = await sync([{ path: 'a.mp3', fileId: '1:1', content: 'ca', audio: 'aa' }, { path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
    await sync([{ path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
    const back = await sync([{ path: 'x/a.mp3', fileId: '1:50', content: 'ca', audio: 'aa' }, { path: 'b.mp3', fileId: '1:2', content: 'cb', audio: 'ab' }]);
    assert.equal(back.outcomes.get('x/a.mp3'), 'restored');
    assert.equal(back.idAt.get('x/a.mp3'), first.idAt.get('a.mp3'));
  });
});

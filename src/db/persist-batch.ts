import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TrackFile, TrackTags } from '../contract/track.ts';
import type { Db } from './connect.ts';
import type { NewTrack } from './schema.ts';
import { fileColumns, listedInJob, tagColumns } from './tracks.ts';

export type PersistOutcome = 'added' | 'updated' | 'unchanged' | 'renamed' | 'restored';

/** One file of the batch as it was read: the queue item it came from, the file, its tags and hash. */
export interface ReadItem {
  itemId: number;
  file: TrackFile;
  tags: TrackTags;
  contentHash: string;
}

export interface Persisted {
  itemId: number;
  trackId: string;
  outcome: PersistOutcome;
}

interface Candidate {
  id: string;
  file_id: string;
  content_hash: string;
  deleted_at: Date | null;
}

/**
 * Writes a batch of read files into the library with a handful of statements, keeping identity:
 * 1. a live track at the same path is updated in place (same id);
 * 2. else a track whose file is gone from this job's listing and that has the same provider file id
 *    (rename, even with new tags) or the same content hash (move across folders or devices) takes
 *    the new path, keeping its id; a soft-deleted one comes back (restored, never duplicated);
 * 3. else a new track. A copy of a file that is still listed is case 3: a new track, same hash.
 * Call inside a transaction: the `for update` locks keep a track from being claimed twice.
 */
export async function persistBatch(trx: Db, profileId: string, jobId: string, reads: ReadItem[]): Promise<Persisted[]> {
  if (reads.length === 0) return [];
  const atPath = new Map(
    (
      await trx
        .selectFrom('tracks')
        .select(['id', 'path', 'content_hash'])
        .where('profile_id', '=', profileId)
        .where('deleted_at', 'is', null)
        .where('path', 'in', reads.map((r) => r.file.path))
        .forUpdate()
        .execute()
    ).map((t) => [t.path, t]),
  );

  const homeless = reads.filter((r) => !atPath.has(r.file.path));
  const pool = homeless.length > 0 ? await movedCandidates(trx, profileId, jobId, homeless) : [];

  const now = new Date();
  const results: Persisted[] = [];
  const updates: (NewTrack & { id: string })[] = [];
  const inserts: NewTrack[] = [];
  for (const r of reads) {
    const row = {
      profile_id: profileId,
      ...fileColumns(r.file),
      content_hash: r.contentHash,
      last_job_id: jobId,
      updated_at: now,
      deleted_at: null,
      ...tagColumns(r.tags),
    };
    const existing = atPath.get(r.file.path);
    if (existing) {
      updates.push({ ...row, id: existing.id });
      results.push({ itemId: r.itemId, trackId: existing.id, outcome: existing.content_hash === r.contentHash ? 'unchanged' : 'updated' });
      continue;
    }
    const claimed = claim(pool, r);
    if (claimed) {
      updates.push({ ...row, id: claimed.id });
      results.push({ itemId: r.itemId, trackId: claimed.id, outcome: claimed.deleted_at ? 'restored' : 'renamed' });
      continue;
    }
    const id = randomUUID();
    inserts.push({ ...row, id });
    results.push({ itemId: r.itemId, trackId: id, outcome: 'added' });
  }

  if (updates.length > 0) await updateTracks(trx, updates);
  if (inserts.length > 0) await trx.insertInto('tracks').values(inserts).execute();
  return results;
}

/** Tracks that could be the same file at a new path: same file id or content hash, file gone from this listing. */
async function movedCandidates(trx: Db, profileId: string, jobId: string, reads: ReadItem[]): Promise<Candidate[]> {
  return trx
    .selectFrom('tracks as t')
    .select(['t.id', 't.file_id', 't.content_hash', 't.deleted_at'])
    .where('t.profile_id', '=', profileId)
    .where((eb) =>
      eb.or([
        eb('t.file_id', 'in', [...new Set(reads.map((r) => r.file.fileId))]),
        eb('t.content_hash', 'in', [...new Set(reads.map((r) => r.contentHash))]),
      ]),
    )
    .where((eb) => eb.or([eb('t.deleted_at', 'is not', null), eb.not(listedInJob(jobId))]))
    .orderBy('t.id')
    .forUpdate()
    .execute();
}

/** Best candidate for one file, removed from the pool so no two files claim the same track:
 * the same file id first, then a live track over a tombstone, then the newest tombstone. */
function claim(pool: Candidate[], r: ReadItem): Candidate | undefined {
  const rank = (c: Candidate) => [c.file_id === r.file.fileId ? 1 : 0, c.deleted_at ? 0 : 1, c.deleted_at?.getTime() ?? 0];
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const c = pool[i]!;
    if (c.file_id !== r.file.fileId && c.content_hash !== r.contentHash) continue;
    if (best < 0 || compare(rank(c), rank(pool[best]!)) > 0) best = i;
  }
  return best < 0 ? undefined : pool.splice(best, 1)[0];
}

/** One UPDATE for the whole batch: rows travel as a JSON array and are typed by the table itself. */
async function updateTracks(trx: Db, rows: (NewTrack & { id: string })[]): Promise<void> {
  const columns = Object.keys(rows[0]!).filter((c) => c !== 'id' && c !== 'profile_id');
  const assignments = sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`));
  await sql`
    update tracks as t set ${assignments}
    from jsonb_populate_recordset(null::tracks, ${JSON.stringify(rows)}::jsonb) as v
    where t.id = v.id`.execute(trx);
}

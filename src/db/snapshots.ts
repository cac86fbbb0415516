// listing_snapshots: each profile's listing as of its last successful sync, what incremental syncs
// diff against, and the cursors that name it.
import { sql } from 'kysely';
import type { Db } from './connect.ts';
import { samePath } from './paths.ts';

/** Files modified this close to their listing time are re-read: timestamps are coarse (a kernel tick
 * on Linux, 2 s on FAT), so a second write in the same tick can leave size and mtime unchanged. */
export const RACY_WINDOW = sql`interval '2 seconds'`;

/** The cursor of a profile whose current snapshot was committed by job `jobId`. */
function snapshotCursor(jobId: string): string {
  return `snapshot:${jobId}`;
}

/** Snapshot entry `ls` and item `s` are the same content: the same size and modification time (not
 * within the racy window of the listing that saw it) where neither the provider's content hash nor its
 * revision tag says otherwise (two files of one size swapped by renames keep their times), or the
 * same provider content hash. */
const SAME_CONTENT = sql`(
  (ls.size = s.size and ls.modified_at = s.modified_at and ls.modified_at < ls.listed_at - ${RACY_WINDOW}
    and ls.provider_hash is not distinct from s.provider_hash and ls.revision is not distinct from s.revision)
  or (ls.provider_hash is not null and ls.provider_hash = s.provider_hash and ls.size = s.size))`;

/**
 * Incremental sync, step 1: a pending item whose file is as the snapshot has it (same file id and
 * same content by SAME_CONTENT) is settled as unchanged without reading it; a file that failed before
 * keeps its reason. Returns how many were settled.
 */
export async function settleUnchanged(trx: Db, profileId: string, jobId: string): Promise<number> {
  const result = await sql`
    update scan_items as s
    set status = 'unchanged', outcome = 'unchanged', reason = ls.reason,
        track_id = (select t.id from tracks t where t.profile_id = ${profileId} and ${samePath('t.path', 's.path')} and t.deleted_at is null)
    from listing_snapshots as ls
    where s.job_id = ${jobId} and s.status = 'pending'
      and ls.profile_id = ${profileId} and ${samePath('ls.path', 's.path')} and ls.file_id = s.file_id and ${SAME_CONTENT}`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Incremental sync, step 2: a pending item that matches a snapshot entry whose path left the listing,
 * by file id and content (SAME_CONTENT) or by provider content hash alone (a move across drives or
 * accounts), is that file moved or renamed: its live track takes the new path (same id) without a
 * byte being read. A folder moved with 500 files is 500 renames here.
 */
export async function settleMoves(trx: Db, profileId: string, jobId: string): Promise<number> {
  const pairs = await sql<{ item_id: string; new_path: string; old_path: string }>`
    select s.id as item_id, s.path as new_path, ls.path as old_path
    from scan_items s
    join listing_snapshots ls
      on ls.profile_id = ${profileId} and ls.path <> s.path
     and ((ls.file_id = s.file_id and ${SAME_CONTENT})
          or (ls.provider_hash is not null and ls.provider_hash = s.provider_hash and ls.size = s.size))
    where s.job_id = ${jobId} and s.status = 'pending'
      and not exists (select 1 from scan_items s2 where s2.job_id = ${jobId} and ${samePath('s2.path', 'ls.path')} and s2.status <> 'removed')
    order by s.id`.execute(trx);
  // One old path per new path and the other way round (hard links can share a file id).
  const usedOld = new Set<string>();
  const usedNew = new Set<string>();
  const chosen = pairs.rows.filter((p) => {
    if (usedOld.has(p.old_path) || usedNew.has(p.item_id)) return false;
    usedOld.add(p.old_path);
    usedNew.add(p.item_id);
    return true;
  });
  if (chosen.length === 0) return 0;
  // Old paths are all unlisted and new paths all listed, so no two rows ever want the same live path.
  const moved = await sql<{ id: string; path: string }>`
    update tracks as t set path = v.new_path, last_job_id = ${jobId}, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(chosen)}::jsonb) as v(item_id bigint, new_path text, old_path text)
    where t.profile_id = ${profileId} and t.deleted_at is null and ${samePath('t.path', 'v.old_path')}
      and not exists (select 1 from tracks t2 where t2.profile_id = ${profileId} and ${samePath('t2.path', 'v.new_path')} and t2.deleted_at is null)
    returning t.id, t.path`.execute(trx);
  if (moved.rows.length === 0) return 0;
  const trackAt = new Map(moved.rows.map((r) => [r.path, r.id]));
  const done = chosen.flatMap((p) => (trackAt.has(p.new_path) ? [{ id: p.item_id, track_id: trackAt.get(p.new_path)! }] : []));
  await sql`
    update scan_items as s set status = 'done', outcome = 'renamed', track_id = v.track_id
    from jsonb_to_recordset(${JSON.stringify(done)}::jsonb) as v(id bigint, track_id text)
    where s.id = v.id`.execute(trx);
  return done.length;
}

/**
 * Makes this job's listing the profile's snapshot, touching only what changed: entries whose path
 * left the listing go, items that were read (or filtered) are upserted, unchanged ones stay as they
 * are. Runs in the transaction that completes the job, with the new cursor.
 */
export async function commitSnapshot(trx: Db, profileId: string, jobId: string): Promise<string> {
  await sql`
    delete from listing_snapshots ls
    where ls.profile_id = ${profileId}
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and ${samePath('s.path', 'ls.path')} and s.status <> 'removed')`.execute(trx);
  await sql`
    insert into listing_snapshots (profile_id, path, file_id, size, modified_at, provider_hash, revision, status, reason, job_id, listed_at)
    select ${profileId}, s.path, s.file_id, s.size, s.modified_at, s.provider_hash, s.revision, s.status, s.reason, ${jobId}, s.listed_at
    from scan_items s
    where s.job_id = ${jobId} and s.status in ('filtered', 'done', 'failed')
    on conflict (profile_id, md5(path)) do update set
      file_id = excluded.file_id, size = excluded.size, modified_at = excluded.modified_at, provider_hash = excluded.provider_hash,
      revision = excluded.revision,
      status = excluded.status, reason = excluded.reason, job_id = excluded.job_id, listed_at = excluded.listed_at`.execute(trx);
  await trx.updateTable('profiles').set({ snapshot_job_id: jobId }).where('id', '=', profileId).execute();
  const cursor = snapshotCursor(jobId);
  await trx.updateTable('sync_jobs').set({ cursor }).where('id', '=', jobId).execute();
  return cursor;
}

/** The cursor an incremental sync of the profile starts from: its current snapshot's, if it has one. */
export async function currentCursor(db: Db, profileId: string): Promise<string | undefined> {
  const row = await db.selectFrom('profiles').select('snapshot_job_id').where('id', '=', profileId).executeTakeFirst();
  return row?.snapshot_job_id ? snapshotCursor(row.snapshot_job_id) : undefined;
}

/** The change-feed cursor of the profile's current snapshot, if its provider has a feed. */
export async function currentProviderCursor(db: Db, profileId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles as p')
    .innerJoin('sync_jobs as j', 'j.id', 'p.snapshot_job_id')
    .select('j.provider_cursor')
    .where('p.id', '=', profileId)
    .executeTakeFirst();
  return row?.provider_cursor ?? undefined;
}

/**
 * Change-feed sync, last step: every snapshot entry the feed did not touch (by path or file id) joins
 * the job's queue as it was, so the job holds the whole listing (settled rows, no provider calls) and
 * moves, deletions, duplicates and the next snapshot work exactly as after a full listing.
 */
export async function carryOverSnapshot(trx: Db, profileId: string, jobId: string): Promise<void> {
  await sql`
    insert into scan_items (job_id, file_id, path, size, modified_at, provider_hash, revision, status, outcome, reason, track_id, listed_at)
    select ${jobId}, ls.file_id, ls.path, ls.size, ls.modified_at, ls.provider_hash, ls.revision,
           case when ls.status = 'filtered' then 'filtered' else 'unchanged' end,
           case when ls.status = 'filtered' then null else 'unchanged' end,
           ls.reason,
           (select t.id from tracks t where t.profile_id = ${profileId} and ${samePath('t.path', 'ls.path')} and t.deleted_at is null),
           ls.listed_at
    from listing_snapshots ls
    where ls.profile_id = ${profileId}
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and s.file_id = ls.file_id)
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and ${samePath('s.path', 'ls.path')})
    on conflict (job_id, md5(path)) do nothing`.execute(trx);
}

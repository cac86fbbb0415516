// What "the library is right" means after faults: it equals what a clean full sync of the same folder
// makes, it holds no duplicate rows, every finished item is a whole track, and each job's counters
// say exactly what its work queue says. Read straight from the tables, so nothing the product reports
// about itself is taken on trust.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { SyncClient } from '../../src/client/sync-client.ts';
import { COUNTER_NAMES, type Counters } from '../../src/contract/counters.ts';
import type { Db } from '../../src/db/connect.ts';
import { countersOf } from '../../src/db/jobs.ts';
import type { TrackRow } from '../../src/db/schema.ts';
import { tagsOf } from '../../src/db/tracks.ts';

/** A live track as a clean full sync would also make it: everything but ids, job ids and times of writing. */
export interface LiveTrack {
  fileId: string;
  size: number;
  modifiedAt: number | null;
  contentHash: string;
  audioHash: string | null;
  audioHashScope: string | null;
  tags: unknown;
}

export interface LibraryState {
  /** By path. */
  live: Map<string, LiveTrack & { id: string }>;
  /** Paths with a tombstone and no live track, sorted. */
  tombstones: string[];
  /** Each group's sorted paths, then its preferred copy. */
  duplicates: string[][];
}

function liveTrack(row: TrackRow): LiveTrack & { id: string } {
  return {
    id: row.id,
    fileId: row.file_id,
    size: row.size,
    modifiedAt: row.modified_at?.getTime() ?? null,
    contentHash: row.content_hash,
    audioHash: row.audio_hash ?? null,
    audioHashScope: row.audio_hash_scope ?? null,
    tags: tagsOf(row),
  };
}

export async function libraryState(db: Db, sync: SyncClient, profileId: string): Promise<LibraryState> {
  const rows = await db.selectFrom('tracks').selectAll().where('profile_id', '=', profileId).execute();
  const live = new Map<string, LiveTrack & { id: string }>();
  for (const row of rows) if (row.deleted_at === null) live.set(row.path, liveTrack(row));
  const tombstones = [...new Set(rows.filter((r) => r.deleted_at !== null && !live.has(r.path)).map((r) => r.path))].sort();
  const duplicates = (await sync.duplicates(profileId)).map((g) => [...g.paths, `preferred: ${g.preferred}`]);
  return { live, tombstones, duplicates };
}

/** Differences between two libraries, at most `limit` of them, each one line. */
export function libraryDiff(actual: LibraryState, expected: LibraryState, limit = 12): string[] {
  const out: string[] = [];
  const show = (p: string) => JSON.stringify(p).slice(0, 160);
  for (const [p, want] of expected.live) {
    const got = actual.live.get(p);
    if (!got) {
      out.push(`missing live track ${show(p)}`);
      continue;
    }
    const { id: _a, ...g } = got;
    const { id: _b, ...w } = want;
    for (const key of Object.keys(w) as (keyof LiveTrack)[]) {
      if (JSON.stringify(g[key]) !== JSON.stringify(w[key])) {
        out.push(`${show(p)}: ${key} is ${JSON.stringify(g[key]).slice(0, 200)}, a clean sync has ${JSON.stringify(w[key]).slice(0, 200)}`);
      }
    }
  }
  for (const p of actual.live.keys()) if (!expected.live.has(p)) out.push(`extra live track ${show(p)}`);
  const tombstones = new Set(actual.tombstones);
  for (const p of expected.tombstones) if (!tombstones.has(p)) out.push(`no tombstone at ${show(p)}`);
  for (const p of tombstones) if (!expected.tombstones.includes(p)) out.push(`extra tombstone at ${show(p)}`);
  if (JSON.stringify(actual.duplicates) !== JSON.stringify(expected.duplicates)) {
    out.push(`duplicate groups ${JSON.stringify(actual.duplicates).slice(0, 300)} != ${JSON.stringify(expected.duplicates).slice(0, 300)}`);
  }
  return out.length > limit ? [...out.slice(0, limit), `… and ${out.length - limit} more`] : out;
}

/** Live tracks (paths, content and audio hashes, file ids, tags), duplicate groups and tombstones are equal. */
export function assertSameLibrary(actual: LibraryState, expected: LibraryState, where: string): void {
  const diff = libraryDiff(actual, expected);
  assert.deepEqual(diff, [], `${where}: the library differs from a clean full sync of the same folder:\n  ${diff.join('\n  ')}`);
}

/** One live track per path in the profile; one work item per path in each of its jobs. */
export async function assertNoDuplicateRows(db: Db, profileId: string): Promise<void> {
  const tracks = await db
    .selectFrom('tracks')
    .select(['path', sql<number>`count(*)`.as('n')])
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .groupBy('path')
    .having(sql`count(*)`, '>', 1)
    .execute();
  assert.deepEqual(tracks, [], 'one live track per path');
  const items = await db
    .selectFrom('scan_items as s')
    .innerJoin('sync_jobs as j', 'j.id', 's.job_id')
    .select(['s.job_id', 's.path', sql<number>`count(*)`.as('n')])
    .where('j.profile_id', '=', profileId)
    .groupBy(['s.job_id', 's.path'])
    .having(sql`count(*)`, '>', 1)
    .execute();
  assert.deepEqual(items, [], 'one scan item per path per job');
}

/** The job's counters as its scan_items rows (and the tracks it tombstoned) say they must be. */
export async function countersFromRows(db: Db, jobId: string): Promise<Partial<Counters>> {
  const c = await db
    .selectFrom('scan_items')
    .select([
      sql<number>`count(*) filter (where status <> 'removed')`.as('itemsDiscovered'),
      sql<number>`count(*) filter (where status = 'filtered')`.as('itemsFiltered'),
      // Queued by the filter: not filtered out, and no longer waiting for its verdict.
      sql<number>`count(*) filter (where status not in ('discovered', 'filtered', 'removed'))`.as('itemsQueued'),
      sql<number>`count(*) filter (where status in ('done', 'failed', 'unchanged'))`.as('itemsProcessed'),
      sql<number>`count(*) filter (where outcome in ('added', 'restored'))`.as('itemsAdded'),
      sql<number>`count(*) filter (where outcome = 'updated')`.as('itemsUpdated'),
      sql<number>`count(*) filter (where outcome = 'renamed')`.as('itemsRenamed'),
      sql<number>`count(*) filter (where outcome = 'unchanged')`.as('itemsUnchanged'),
      sql<number>`count(*) filter (where status = 'failed')`.as('itemsFailed'),
    ])
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();
  const deleted = await db
    .selectFrom('tracks')
    .select(sql<number>`count(*)`.as('n'))
    .where('last_job_id', '=', jobId)
    .where('deleted_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return { ...c, itemsDeleted: deleted.n };
}

/**
 * A job that has ended, seen right after it ended (before a later job of the profile touches its
 * tracks): terminal with a finish time, its counters equal to its rows, every finished item a whole
 * live track at its path with the content the file had, and a completed job left nothing pending.
 * `fileHashes` (path → `sha256:…` of the bytes in the folder) checks each track against its file.
 */
export async function assertJobConsistent(
  db: Db,
  jobId: string,
  options: { fileHashes?: ReadonlyMap<string, string> } = {},
): Promise<Counters> {
  const job = await db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  assert.ok(!['queued', 'running'].includes(job.status), `job ${jobId} has ended (status ${job.status})`);
  assert.ok(job.finished_at instanceof Date, `job ${jobId} has a finish time`);
  const counters = countersOf(job);
  const fromRows = await countersFromRows(db, jobId);
  const recorded = Object.fromEntries(COUNTER_NAMES.filter((n) => n in fromRows).map((n) => [n, counters[n]]));
  assert.deepEqual(recorded, fromRows, `job ${jobId} (${job.status}): counters equal what its scan_items rows say`);
  assert.equal(
    counters.itemsProcessed,
    counters.itemsAdded + counters.itemsUpdated + counters.itemsRenamed + counters.itemsUnchanged + counters.itemsFailed,
    'every processed item has exactly one outcome',
  );
  if (job.status === 'completed') {
    const left = await db
      .selectFrom('scan_items')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('job_id', '=', jobId)
      .where('status', 'in', ['discovered', 'pending'])
      .groupBy('status')
      .execute();
    assert.deepEqual(left, [], 'a completed job left no item undecided');
  }

  // Every item the job finished with a track points at a whole live track at the item's path.
  const done = await db
    .selectFrom('scan_items as s')
    .leftJoin('tracks as t', 't.id', 's.track_id')
    .select(['s.path', 's.track_id', 's.size', 't.path as trackPath', 't.deleted_at', 't.content_hash', 't.title'])
    .where('s.job_id', '=', jobId)
    .where('s.status', '=', 'done')
    .execute();
  const problems: string[] = [];
  for (const d of done) {
    const where = JSON.stringify(d.path).slice(0, 160);
    if (!d.track_id || d.trackPath === null) problems.push(`${where}: done without a track`);
    else if (d.trackPath !== d.path) problems.push(`${where}: its track is at ${JSON.stringify(d.trackPath).slice(0, 160)}`);
    else if (d.deleted_at !== null) problems.push(`${where}: its track is a tombstone`);
    else if (!/^sha256:[0-9a-f]{64}$/.test(d.content_hash ?? '')) problems.push(`${where}: content hash ${d.content_hash}`);
    else if (!d.title) problems.push(`${where}: no title`);
    else if (options.fileHashes?.has(d.path) && options.fileHashes.get(d.path) !== d.content_hash) {
      problems.push(`${where}: content hash ${d.content_hash} is not the file's ${options.fileHashes.get(d.path)}`);
    }
  }
  assert.deepEqual(problems.slice(0, 12), [], `job ${jobId}: every finished item is a whole track (${problems.length} problems)`);
  // And every live track the job wrote is one of those items' tracks: no write outside a finished item.
  const finished = new Set(done.map((d) => d.track_id));
  const written = await db.selectFrom('tracks').select(['id', 'path']).where('last_job_id', '=', jobId).where('deleted_at', 'is', null).execute();
  const stray = written.filter((w) => !finished.has(w.id)).map((w) => JSON.stringify(w.path).slice(0, 160));
  assert.deepEqual(stray.slice(0, 12), [], `job ${jobId}: ${stray.length} live tracks written without a finished item`);
  return counters;
}

/** No job anywhere is still queued or running. */
export async function assertNoJobRunning(db: Db): Promise<void> {
  const open = await db.selectFrom('sync_jobs').select(['id', 'status', 'phase']).where('status', 'in', ['queued', 'running']).execute();
  assert.deepEqual(open, [], 'no job is left queued or running');
}

/** Everything a job and its profile have written, as counts and digests: equal fingerprints taken
 * seconds apart mean nothing was written in between. */
export interface WriteFingerprint {
  scanItems: string;
  tracks: string;
  tracksUpdatedAt: string | null;
  events: string;
  job: string;
  snapshot: string;
}

export async function writeFingerprint(db: Db, jobId: string, profileId: string): Promise<WriteFingerprint> {
  const digest = (table: string, where: ReturnType<typeof sql>) =>
    sql<string>`(select count(*) || ':' || md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from ${sql.table(table)} x where ${where})`;
  const row = await sql<WriteFingerprint>`select
      ${digest('scan_items', sql`x.job_id = ${jobId}`)} as "scanItems",
      ${digest('tracks', sql`x.profile_id = ${profileId}`)} as "tracks",
      (select max(updated_at)::text from tracks where profile_id = ${profileId}) as "tracksUpdatedAt",
      ${digest('sync_events', sql`x.job_id = ${jobId}`)} as "events",
      ${digest('sync_jobs', sql`x.id = ${jobId}`)} as "job",
      ${digest('listing_snapshots', sql`x.profile_id = ${profileId}`)} || (select coalesce(snapshot_job_id, '-') from profiles where id = ${profileId}) as "snapshot"`.execute(db);
  return row.rows[0]!;
}

// tracks: the library. A track keeps its id for as long as its file lives, through renames and moves;
// a file that left the listing leaves a tombstone (deleted_at), from which the same id comes back.
import { sql } from 'kysely';
import { FLAT_TAG_NAMES, flattenTags, nestTags, TRACK_FILE_KEYS, type FlatTrackTags, type TrackFile, type TrackTags } from '../contract/track.ts';
import { fromColumns, toColumns, type Columns } from './columns.ts';
import type { Db } from './connect.ts';
import type { TrackRow } from './schema.ts';
import { samePath } from './paths.ts';

/** A track's tags as the columns that store them. */
export function tagColumns(tags: TrackTags): Columns<FlatTrackTags> {
  return toColumns(flattenTags(tags), FLAT_TAG_NAMES);
}

export function tagsOf(row: TrackRow): TrackTags {
  return nestTags(fromColumns<FlatTrackTags>(row, FLAT_TAG_NAMES));
}

export function fileColumns(file: TrackFile): Columns<TrackFile> {
  return toColumns(file, TRACK_FILE_KEYS);
}

export function trackFileOf(row: TrackRow): TrackFile {
  return fromColumns<TrackFile>(row, TRACK_FILE_KEYS);
}

/** Item statuses that say a job's listing has an audio file at the item's path (or, `kept`, could
 * not look and keeps what was there). */
export const LISTED_STATUSES = sql`('pending', 'unchanged', 'done', 'failed', 'kept')`;

/** Whether job `jobId` listed an audio item at the path of track `t`. */
export function listedInJob(jobId: string) {
  return sql<boolean>`exists (
    select 1 from scan_items s
    where s.job_id = ${jobId} and ${samePath('s.path', 't.path')} and s.status in ${LISTED_STATUSES})`;
}

/** Live tracks whose path is not among the job's audio items (the listing no longer has them). */
export function goneTracksQuery(db: Db, profileId: string, jobId: string) {
  return db
    .selectFrom('tracks as t')
    .where('t.profile_id', '=', profileId)
    .where('t.deleted_at', 'is', null)
    .where((eb) => eb.not(listedInJob(jobId)));
}

export async function countLiveTracks(db: Db, profileId: string): Promise<number> {
  const row = await db
    .selectFrom('tracks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return row.n;
}

export async function softDeleteGone(db: Db, profileId: string, jobId: string): Promise<number> {
  const rows = await db
    .updateTable('tracks')
    .set({ deleted_at: new Date(), last_job_id: jobId })
    .where('id', 'in', goneTracksQuery(db, profileId, jobId).select('t.id'))
    .returning('id')
    .execute();
  return rows.length;
}

/** Tracks job `jobId` left as tombstones: gone from its listing, or off a path that now holds
 * another recording and not taken back by a file with their content. */
export async function countDeletedBy(db: Db, profileId: string, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('tracks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('profile_id', '=', profileId)
    .where('last_job_id', '=', jobId)
    .where('deleted_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return row.n;
}

export async function countGone(db: Db, profileId: string, jobId: string): Promise<number> {
  const row = await goneTracksQuery(db, profileId, jobId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

export async function liveTracks(db: Db, profileId: string): Promise<TrackRow[]> {
  return db
    .selectFrom('tracks')
    .selectAll()
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .orderBy('path')
    .execute();
}

/** Kinds of duplicates: byte-identical files, or the same audio stream under different tags. */
export type DuplicateKind = 'identical' | 'same-audio';

/** A group of live tracks with the same content (`identical`, keyed by content hash) or the same audio
 * stream and more than one content (`same-audio`, keyed by audio hash); `preferred` is the copy to
 * keep: the fewest folders deep, then the shortest path, then the first in code-unit order. It depends
 * only on the paths, so a library kept by incremental syncs and a fresh full sync agree on it. */
export interface DuplicateGroup {
  kind: DuplicateKind;
  hash: string;
  /** Sorted. */
  paths: string[];
  preferred: string;
}

const GROUP_COLUMNS = sql`array_agg(path order by path) as paths,
  (array_agg(path order by array_length(string_to_array(path, '/'), 1), length(path), path collate "C"))[1] as preferred`;

/** Identical groups, then same-audio groups, each sorted by first path. */
export async function duplicateGroups(db: Db, profileId: string): Promise<DuplicateGroup[]> {
  const identical = await sql<{ hash: string; paths: string[]; preferred: string }>`
    select content_hash as hash, ${GROUP_COLUMNS} from tracks
    where profile_id = ${profileId} and deleted_at is null
    group by content_hash having count(*) > 1`.execute(db);
  const sameAudio = await sql<{ hash: string; paths: string[]; preferred: string }>`
    select audio_hash as hash, ${GROUP_COLUMNS} from tracks
    where profile_id = ${profileId} and deleted_at is null and audio_hash_scope = 'stream'
    group by audio_hash having count(distinct content_hash) > 1`.execute(db);
  const byFirstPath = (a: DuplicateGroup, b: DuplicateGroup) => (a.paths[0]! < b.paths[0]! ? -1 : 1);
  return [
    ...identical.rows.map((r) => ({ kind: 'identical' as const, ...r })).sort(byFirstPath),
    ...sameAudio.rows.map((r) => ({ kind: 'same-audio' as const, ...r })).sort(byFirstPath),
  ];
}

/** Duplicate groups of both kinds. */
export async function countDuplicateGroups(db: Db, profileId: string): Promise<number> {
  const row = await sql<{ n: number }>`
    select (
      select count(*) from (
        select 1 from tracks where profile_id = ${profileId} and deleted_at is null
        group by content_hash having count(*) > 1) g
    ) + (
      select count(*) from (
        select 1 from tracks where profile_id = ${profileId} and deleted_at is null and audio_hash_scope = 'stream'
        group by audio_hash having count(distinct content_hash) > 1) a
    ) as n`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

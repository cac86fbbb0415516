// tracks: the library. A track keeps its id for as long as its file lives, through renames and moves;
// a file that left the listing leaves a tombstone (deleted_at), from which the same id comes back.
import { sql } from 'kysely';
import { FLAT_TAG_NAMES, flattenTags, nestTags, TRACK_FILE_KEYS, type FlatTrackTags, type TrackFile, type TrackTags } from '../contract/track.ts';
import { fromColumns, toColumns, type Columns } from './columns.ts';
import type { Db } from './connect.ts';
import type { TrackRow } from './schema.ts';
import { samePath } from './paths.ts';
import { containsText } from './text-search.ts';

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

/** Which of a profile's tracks a list shows. `pathPrefix` is compared as written (starts_with, no
 * pattern characters); `search` is text in the title, artists, album or album artist. */
export interface TrackFilter {
  profileId: string;
  status: 'live' | 'deleted' | 'all';
  pathPrefix?: string | undefined;
  search?: string | undefined;
}

function filteredTracks(db: Db, f: TrackFilter) {
  let q = db.selectFrom('tracks').where('profile_id', '=', f.profileId);
  if (f.status === 'live') q = q.where('deleted_at', 'is', null);
  if (f.status === 'deleted') q = q.where('deleted_at', 'is not', null);
  if (f.pathPrefix) q = q.where(sql<boolean>`starts_with(path, ${f.pathPrefix})`);
  if (f.search) q = q.where(containsText(f.search, ['title', 'album', 'album_artist'], ['artists']));
  return q;
}

/** Where a track stands in list order: its path, then its id (a path can have tombstones too). */
export interface TrackKey {
  path: string;
  id: string;
}

export async function trackKey(db: Db, profileId: string, trackId: string): Promise<TrackKey | undefined> {
  return db.selectFrom('tracks').select(['path', 'id']).where('profile_id', '=', profileId).where('id', '=', trackId).executeTakeFirst();
}

/**
 * One page of tracks in path order, after `after` (keyset: unaffected by tracks added or deleted
 * before it) or from `offset`. No index serves this order: a btree on the path would refuse paths
 * longer than its 2.7 kB row limit, so Postgres sorts the profile's matching rows, keeping only the
 * page's top rows (a few milliseconds for tens of thousands of tracks).
 */
export async function trackPage(db: Db, f: TrackFilter, page: { limit: number; offset?: number; after?: TrackKey }): Promise<TrackRow[]> {
  let q = filteredTracks(db, f).selectAll().orderBy('path').orderBy('id').limit(page.limit);
  if (page.after) q = q.where(sql<boolean>`(path, id) > (${page.after.path}::text, ${page.after.id}::text)`);
  if (page.offset) q = q.offset(page.offset);
  return q.execute();
}

/** How many tracks match, and how many of them come up to `upTo` in list order (0 without it). */
export async function countTracks(db: Db, f: TrackFilter, upTo?: TrackKey): Promise<{ total: number; upTo: number }> {
  const row = await filteredTracks(db, f)
    .select([
      sql<string>`count(*)`.as('total'),
      (upTo ? sql<string>`count(*) filter (where (path, id) <= (${upTo.path}::text, ${upTo.id}::text))` : sql<string>`0`).as('up_to'),
    ])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), upTo: Number(row.up_to) };
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

/** Which duplicate groups a list shows: a group matches `pathPrefix` or `search` when one of its
 * tracks does. */
export interface DuplicateFilter {
  profileId: string;
  kind?: DuplicateKind | undefined;
  pathPrefix?: string | undefined;
  search?: string | undefined;
}

/** Identical groups, then same-audio groups, each by first path (code-point order); a page of them
 * (`limit` null: all) with the number of groups that match. */
export async function duplicatePage(
  db: Db,
  f: DuplicateFilter,
  page: { limit: number | null; offset?: number },
): Promise<{ groups: DuplicateGroup[]; total: number }> {
  const matches = sql`bool_or(${f.pathPrefix ? sql`starts_with(path, ${f.pathPrefix})` : sql`true`})
    and bool_or(${f.search ? containsText(f.search, ['title', 'album', 'album_artist'], ['artists']) : sql`true`})`;
  const identical = sql`
    select 'identical' as kind, content_hash as hash, ${GROUP_COLUMNS}, ${matches} as matches from tracks
    where profile_id = ${f.profileId} and deleted_at is null
    group by content_hash having count(*) > 1`;
  const sameAudio = sql`
    select 'same-audio' as kind, audio_hash as hash, ${GROUP_COLUMNS}, ${matches} as matches from tracks
    where profile_id = ${f.profileId} and deleted_at is null and audio_hash_scope = 'stream'
    group by audio_hash having count(distinct content_hash) > 1`;
  const kinds = f.kind === 'identical' ? identical : f.kind === 'same-audio' ? sameAudio : sql`${identical} union all ${sameAudio}`;
  // One row whatever the page: the count stays right past the last group.
  const row = await sql<{ total: string; groups: DuplicateGroup[] }>`
    with g as (select kind, hash, paths, preferred from (${kinds}) k where matches)
    select (select count(*) from g) as total, coalesce((
      select json_agg(p order by p.kind = 'same-audio', p.paths[1] collate "C") from (
        select * from g order by kind = 'same-audio', paths[1] collate "C"
        ${page.limit === null ? sql`` : sql`limit ${page.limit}`} offset ${page.offset ?? 0}) p
    ), '[]') as groups`.execute(db);
  const result = row.rows[0]!;
  return { groups: result.groups, total: Number(result.total) };
}

/** Every group: identical groups, then same-audio groups, each sorted by first path. */
export async function duplicateGroups(db: Db, profileId: string): Promise<DuplicateGroup[]> {
  return (await duplicatePage(db, { profileId }, { limit: null })).groups;
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

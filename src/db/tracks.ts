import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { TrackTags } from '../sync/tags.ts';
import type { Database, ScanItem, TrackRow, TrackUpdate } from './schema.ts';

type Conn = Kysely<Database> | Transaction<Database>;

export type PersistOutcome = 'added' | 'updated' | 'unchanged' | 'renamed' | 'restored';

function columnsOf(tags: TrackTags): TrackUpdate {
  return {
    title: tags.title,
    artists: tags.artists,
    album: tags.album,
    album_artist: tags.albumArtist,
    track_no: tags.trackNo,
    track_total: tags.trackTotal,
    disc_no: tags.discNo,
    disc_total: tags.discTotal,
    year: tags.year,
    genres: tags.genres,
    duration_ms: tags.durationMs,
    codec: tags.codec,
    container: tags.container,
    bitrate: tags.bitrate,
    sample_rate: tags.sampleRate,
    channels: tags.channels,
    lossless: tags.lossless,
    mb_track_id: tags.mbTrackId,
    mb_recording_id: tags.mbRecordingId,
    mb_album_id: tags.mbAlbumId,
    mb_artist_ids: tags.mbArtistIds,
    mb_album_artist_ids: tags.mbAlbumArtistIds,
    replaygain_track_gain_db: tags.replaygainTrackGainDb,
    replaygain_track_peak: tags.replaygainTrackPeak,
    replaygain_album_gain_db: tags.replaygainAlbumGainDb,
    replaygain_album_peak: tags.replaygainAlbumPeak,
    has_artwork: tags.hasArtwork,
  };
}

export interface PersistInput {
  profileId: string;
  jobId: string;
  item: Pick<ScanItem, 'file_id' | 'path' | 'size' | 'modified_at'>;
  tags: TrackTags;
  contentHash: string;
}

/**
 * Writes one read file into the library, keeping track identity:
 * 1. a live track at the same path is updated in place (same id);
 * 2. else a track whose file is gone from this job's listing and that has the same provider file id
 *    (rename, even with new tags) or the same content hash (move across folders or devices) takes
 *    the new path, keeping its id; a soft-deleted one comes back (restored, never duplicated);
 * 3. else a new track. A copy of a file that is still there is case 3: a new track, same hash.
 * Call inside a transaction; the `for update` locks make racing batches claim a track once.
 */
export async function persistTrack(trx: Conn, input: PersistInput): Promise<{ trackId: string; outcome: PersistOutcome }> {
  const { profileId, jobId, item, tags, contentHash } = input;
  const file = {
    file_id: item.file_id,
    path: item.path,
    size: item.size,
    modified_at: item.modified_at,
    content_hash: contentHash,
    last_job_id: jobId,
    updated_at: new Date(),
    deleted_at: null,
    ...columnsOf(tags),
  };

  const atPath = await trx
    .selectFrom('tracks')
    .select(['id', 'content_hash'])
    .where('profile_id', '=', profileId)
    .where('path', '=', item.path)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (atPath) {
    await trx.updateTable('tracks').set(file).where('id', '=', atPath.id).execute();
    return { trackId: atPath.id, outcome: atPath.content_hash === contentHash ? 'unchanged' : 'updated' };
  }

  const moved = await trx
    .selectFrom('tracks as t')
    .select(['t.id', 't.deleted_at'])
    .where('t.profile_id', '=', profileId)
    .where((eb) => eb.or([eb('t.file_id', '=', item.file_id), eb('t.content_hash', '=', contentHash)]))
    .where((eb) =>
      eb.or([
        eb('t.deleted_at', 'is not', null),
        eb.not(
          eb.exists(
            eb
              .selectFrom('scan_items as s')
              .select(sql`1`.as('one'))
              .where('s.job_id', '=', jobId)
              .whereRef('s.path', '=', 't.path')
              .where('s.status', 'in', ['pending', 'done', 'failed']),
          ),
        ),
      ]),
    )
    // Prefer the same file id, then a live track over a tombstone, then the newest tombstone.
    .orderBy(sql`(t.file_id = ${item.file_id})`, 'desc')
    .orderBy(sql`(t.deleted_at is null)`, 'desc')
    .orderBy('t.deleted_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (moved) {
    await trx.updateTable('tracks').set(file).where('id', '=', moved.id).execute();
    return { trackId: moved.id, outcome: moved.deleted_at ? 'restored' : 'renamed' };
  }

  const id = randomUUID();
  await trx
    .insertInto('tracks')
    .values({ id, profile_id: profileId, ...file, title: tags.title })
    .execute();
  return { trackId: id, outcome: 'added' };
}

/** Live tracks whose path is not among the job's audio items (the listing no longer has them). */
export function goneTracksQuery(db: Conn, profileId: string, jobId: string) {
  return db
    .selectFrom('tracks as t')
    .where('t.profile_id', '=', profileId)
    .where('t.deleted_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('scan_items as s')
            .select(sql`1`.as('one'))
            .where('s.job_id', '=', jobId)
            .whereRef('s.path', '=', 't.path')
            .where('s.status', 'in', ['pending', 'done', 'failed']),
        ),
      ),
    );
}

export async function countLiveTracks(db: Conn, profileId: string): Promise<number> {
  const row = await db
    .selectFrom('tracks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function softDeleteGone(db: Conn, profileId: string, jobId: string): Promise<number> {
  const rows = await db
    .updateTable('tracks')
    .set({ deleted_at: new Date(), last_job_id: jobId })
    .where('id', 'in', goneTracksQuery(db, profileId, jobId).select('t.id'))
    .returning('id')
    .execute();
  return rows.length;
}

export async function countGone(db: Conn, profileId: string, jobId: string): Promise<number> {
  const row = await goneTracksQuery(db, profileId, jobId)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function liveTracks(db: Conn, profileId: string): Promise<TrackRow[]> {
  return db
    .selectFrom('tracks')
    .selectAll()
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .orderBy('path')
    .execute();
}

/** Live tracks sharing a content hash, each group's paths sorted; groups sorted by first path. */
export async function duplicateGroups(db: Conn, profileId: string): Promise<{ contentHash: string; paths: string[] }[]> {
  const rows = await db
    .selectFrom('tracks')
    .select(['content_hash', sql<string[]>`array_agg(path order by path)`.as('paths')])
    .where('profile_id', '=', profileId)
    .where('deleted_at', 'is', null)
    .groupBy('content_hash')
    .having(sql`count(*)`, '>', 1)
    .execute();
  return rows
    .map((r) => ({ contentHash: r.content_hash, paths: r.paths }))
    .sort((a, b) => (a.paths[0]! < b.paths[0]! ? -1 : 1));
}

export async function countDuplicateGroups(db: Conn, profileId: string): Promise<number> {
  const row = await sql<{ n: string }>`
    select count(*) as n from (
      select 1 from tracks where profile_id = ${profileId} and deleted_at is null
      group by content_hash having count(*) > 1
    ) g`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

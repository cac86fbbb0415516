import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AudioHashScope, TrackFile, TrackTags } from '../contract/track.ts';
import type { Db } from './connect.ts';
import type { NewTrack } from './schema.ts';
import { fileColumns, LISTED_STATUSES, listedInJob, tagColumns } from './tracks.ts';
import { samePath } from './paths.ts';

export type PersistOutcome = 'added' | 'updated' | 'unchanged' | 'renamed' | 'restored';

/** One file of the batch as it was read: the queue item it came from, the file, its tags and hashes. */
export interface ReadItem {
  itemId: number;
  file: TrackFile;
  tags: TrackTags;
  contentHash: string;
  /** Null when the audio was not read (a provider's hash stood for the content). */
  audioHash: string | null;
  audioHashScope: AudioHashScope | null;
}

export interface Persisted {
  itemId: number;
  trackId: string;
  outcome: PersistOutcome;
}

interface Known {
  id: string;
  path: string;
  file_id: string;
  content_hash: string;
  audio_hash: string | null;
  audio_hash_scope: AudioHashScope | null;
  deleted_at: Date | null;
  last_job_id: string | null;
}

/** A track that could be the file just read, and how it came to be free to take. */
interface Candidate extends Known {
  /** `gone`: its path left the listing; `displaced`: its path holds a file with another id now. */
  source: 'gone' | 'displaced' | 'tombstone';
}

const KNOWN_COLUMNS = ['id', 'path', 'file_id', 'content_hash', 'audio_hash', 'audio_hash_scope', 'deleted_at', 'last_job_id'] as const;

/** Content evidence that track `t` is the file read: the same bytes, or the same audio stream
 * (a retag). A provider id alone is never proof: ids are reused (inode numbers are, within seconds). */
function sameContent(t: Known, r: ReadItem): 'bytes' | 'audio' | undefined {
  if (t.content_hash === r.contentHash) return 'bytes';
  if (t.audio_hash_scope === 'stream' && r.audioHashScope === 'stream' && t.audio_hash === r.audioHash) return 'audio';
  return undefined;
}

/**
 * Writes a batch of read files into the library with a handful of statements, keeping identity on
 * evidence. Each file becomes the best of (see `choose`):
 * - the live track at its path, when the content agrees (same bytes, or same audio: a retag), when it
 *   was read before audio hashes existed, or, for formats hashed whole, when it is the same file
 *   object (`staysAtPath`);
 * - a track with content evidence (same bytes or same audio) that is free to take, keeping its id: one
 *   whose path left the listing (a rename or move), one whose file moved away and left another file
 *   at its path (same provider id too: a swap), or a tombstone (restored, never duplicated);
 * - where the audio was not told from the tags, the track whose path left the listing with the same
 *   provider id: the same file object moved and changed (`movedObject`);
 * - else a new track.
 * A track at a path of the batch that no file took has lost its path to another recording: it is
 * tombstoned by this job, and a later file with its content in this job takes it back.
 * Call inside a transaction: the `for update` locks keep a track from being claimed twice.
 */
export async function persistBatch(trx: Db, profileId: string, jobId: string, reads: ReadItem[]): Promise<Persisted[]> {
  if (reads.length === 0) return [];
  const known = await lockKnown(trx, profileId, jobId, reads);
  const hereAt = new Map(known.filter((t) => t.source === 'here').map((t) => [t.path, t]));
  const readAt = new Map(reads.map((r) => [r.file.path, r]));
  // The free tracks, and the tracks at this batch's paths whose file moved away (the path's file has
  // another id): another file of the batch may be theirs.
  const pool: Candidate[] = known.flatMap((t) => {
    if (t.source !== 'here') return [{ ...t, source: t.source }];
    return readAt.get(t.path)!.file.fileId !== t.file_id ? [{ ...t, source: 'displaced' as const }] : [];
  });
  const taken = new Set<string>();
  /** Tracks that stay at their own path. */
  const staying = new Set<string>();

  const now = new Date();
  const results: Persisted[] = [];
  const updates: (NewTrack & { id: string })[] = [];
  const inserts: NewTrack[] = [];
  for (const r of reads) {
    const row = {
      profile_id: profileId,
      ...fileColumns(r.file),
      content_hash: r.contentHash,
      audio_hash: r.audioHash,
      audio_hash_scope: r.audioHashScope,
      last_job_id: jobId,
      updated_at: now,
      deleted_at: null,
      ...tagColumns(r.tags),
    };
    const here = hereAt.get(r.file.path);
    const chosen = choose(pool, taken, r, here && !taken.has(here.id) ? here : undefined);
    if (chosen) {
      taken.add(chosen.id);
      if (chosen.source === 'here') staying.add(chosen.id);
      updates.push({ ...row, id: chosen.id });
      // A track this job itself took off a path (here or in an earlier batch) was moved, not restored.
      const outcome: PersistOutcome =
        chosen.source === 'here' ? (chosen.content_hash === r.contentHash ? 'unchanged' : 'updated')
        : chosen.source === 'tombstone' && chosen.last_job_id !== jobId ? 'restored'
        : 'renamed';
      results.push({ itemId: r.itemId, trackId: chosen.id, outcome });
      continue;
    }
    const id = randomUUID();
    inserts.push({ ...row, id });
    results.push({ itemId: r.itemId, trackId: id, outcome: 'added' });
  }

  // Every track at a path of this batch that does not stay there comes off it first, so no two live
  // tracks ever share a path mid-statement: the ones another file took come back live at their new
  // path in the update; the others have lost their path to another recording and stay tombstones of
  // this job, which a later file with their content may still take back.
  const leaving = [...hereAt.values()].filter((t) => !staying.has(t.id)).map((t) => t.id);
  if (leaving.length > 0) {
    await trx.updateTable('tracks').set({ deleted_at: now, last_job_id: jobId, updated_at: now }).where('id', 'in', leaving).execute();
  }
  if (updates.length > 0) await updateTracks(trx, updates);
  if (inserts.length > 0) await trx.insertInto('tracks').values(inserts).execute();
  return results;
}

/**
 * Every track the batch may touch, locked in one statement in id order (so two batches that want each
 * other's tracks queue instead of deadlocking): the live tracks at the batch's paths (`here`), and
 * the tracks content evidence may tie to a file of the batch that are free to take: tombstones, live
 * tracks whose path left this job's listing (`gone`), and live tracks whose path is listed with
 * another file id while their own file id is among the reads (`displaced`: their file moved away and
 * another took its place).
 */
async function lockKnown(
  trx: Db,
  profileId: string,
  jobId: string,
  reads: ReadItem[],
): Promise<(Known & { source: Candidate['source'] | 'here' })[]> {
  const paths = reads.map((r) => r.file.path);
  const contentHashes = [...new Set(reads.map((r) => r.contentHash))];
  const audioHashes = [...new Set(reads.flatMap((r) => (r.audioHashScope === 'stream' && r.audioHash ? [r.audioHash] : [])))];
  const fileIds = [...new Set(reads.map((r) => r.file.fileId))];
  const displaced = sql<boolean>`exists (select 1 from scan_items s where s.job_id = ${jobId} and ${samePath('s.path', 't.path')}
    and s.status in ${LISTED_STATUSES} and s.file_id <> t.file_id)`;
  return trx
    .selectFrom('tracks as t')
    .select([
      ...KNOWN_COLUMNS.map((c) => `t.${c}` as const),
      sql<Candidate['source'] | 'here'>`case
        when t.deleted_at is not null then 'tombstone'
        when t.path in (${sql.join(paths)}) then 'here'
        when not ${listedInJob(jobId)} then 'gone'
        else 'displaced' end`.as('source'),
    ])
    .where('t.profile_id', '=', profileId)
    .where((eb) =>
      eb.or([
        eb.and([eb('t.deleted_at', 'is', null), eb('t.path', 'in', paths)]),
        // The same file object moved (see `movedObject`).
        eb.and([eb('t.deleted_at', 'is', null), eb('t.file_id', 'in', fileIds), eb.not(listedInJob(jobId))]),
        eb.and([
          eb.or([eb('t.content_hash', 'in', contentHashes), ...(audioHashes.length > 0 ? [eb('t.audio_hash', 'in', audioHashes)] : [])]),
          eb.or([eb('t.deleted_at', 'is not', null), eb.not(listedInJob(jobId)), eb.and([eb('t.file_id', 'in', fileIds), displaced])]),
        ]),
      ]),
    )
    .orderBy('t.id')
    .forUpdate()
    .execute();
}

/**
 * Whether the live track at a path stays the track of the file now there: with content evidence; or
 * when it was read before audio hashes existed (its path is the evidence it always had); or, for a
 * format whose audio cannot be told from its tags (hashed whole), or a file whose audio was not read
 * (a provider hash stood for it), when it is the same file object. The same provider id with other
 * audio is another recording: a new track.
 */
function staysAtPath(here: Known, r: ReadItem): boolean {
  if (sameContent(here, r) || here.audio_hash === null) return true;
  const unsplit = here.audio_hash_scope === 'file' || r.audioHashScope !== 'stream';
  return unsplit && here.file_id === r.file.fileId;
}

/** `staysAtPath`'s rule for a file object that moved: where the audio cannot be told from the tags
 * (hashed whole, or not read because a provider hash stood for it), the same provider id at a new path,
 * its old one gone from the listing, is the same file, changed (a cloud file retagged and moved in one
 * sync keeps its track). */
function movedObject(c: Known & { source: Candidate['source'] | 'here' }, r: ReadItem): boolean {
  if (c.source !== 'gone' || c.file_id !== r.file.fileId) return false;
  return c.audio_hash_scope === 'file' || r.audioHashScope !== 'stream';
}

const SOURCE_RANK: Record<Candidate['source'] | 'here', number> = { here: 4, gone: 3, displaced: 2, tombstone: 1 };

/**
 * The track a file read is, if any: the track at its path when `staysAtPath` holds, or a candidate of
 * the pool with content evidence (a displaced one needs the same provider id too), ranked: the same
 * provider id first, then the same bytes over the same audio, then the track at the path, a track
 * whose path left the listing, a displaced one, a tombstone, and the newest tombstone. So a file that
 * moved keeps its track even where its new path held another version of the same recording.
 */
function choose(pool: Candidate[], taken: ReadonlySet<string>, r: ReadItem, here: Known | undefined): (Known & { source: Candidate['source'] | 'here' }) | undefined {
  let best: (Known & { source: Candidate['source'] | 'here' }) | undefined;
  let bestRank: number[] = [];
  const consider = (c: Known & { source: Candidate['source'] | 'here' }, evidence: number) => {
    const rank = [c.file_id === r.file.fileId ? 1 : 0, evidence, SOURCE_RANK[c.source], c.deleted_at?.getTime() ?? 0];
    if (!best || outranks(rank, bestRank)) {
      best = c;
      bestRank = rank;
    }
  };
  if (here && staysAtPath(here, r)) consider({ ...here, source: 'here' }, evidenceLevel(sameContent(here, r)));
  for (const c of pool) {
    if (taken.has(c.id) || c.id === here?.id) continue;
    const evidence = sameContent(c, r);
    if (!evidence) {
      if (movedObject(c, r)) consider(c, 0);
      continue;
    }
    if (c.source === 'displaced' && c.file_id !== r.file.fileId) continue;
    consider(c, evidenceLevel(evidence));
  }
  return best;
}

/** Lexicographic order of two ranks. */
function outranks(a: readonly number[], b: readonly number[]): boolean {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i >= 0 && a[i]! > b[i]!;
}

function evidenceLevel(evidence: 'bytes' | 'audio' | undefined): number {
  return evidence === 'bytes' ? 2 : evidence === 'audio' ? 1 : 0;
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

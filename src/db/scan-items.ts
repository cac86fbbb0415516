// scan_items: each job's durable work queue, one row per listed file with its verdict and outcome.
import { sql, type RawBuilder } from 'kysely';
import { PROVIDER_FILE_KEYS, type ProviderChange, type ProviderFile } from '../providers/types.ts';
import { fromColumns, toColumns } from './columns.ts';
import type { Db } from './connect.ts';
import type { ScanItem, ScanItemStatus } from './schema.ts';
import { containsText } from './text-search.ts';

const queued = (jobId: string, f: ProviderFile) => ({ job_id: jobId, ...toColumns(f, PROVIDER_FILE_KEYS) });

/** The job's one item per path. The unique index is on the path's md5, so paths of any length fit. */
const ONE_ITEM_PER_PATH = sql`job_id, md5(path)`;

/** The listed file an item stands for. */
export function fileOf(item: ScanItem): ProviderFile {
  return fromColumns<ProviderFile>(item, PROVIDER_FILE_KEYS);
}

/** Writes one listing page into the job's queue; a page listed twice (retry) changes nothing. */
export async function upsertListedFiles(db: Db, jobId: string, files: ProviderFile[]): Promise<number> {
  if (files.length === 0) return 0;
  const rows = await db
    .insertInto('scan_items')
    .values(files.map((f) => queued(jobId, f)))
    .onConflict((oc) => oc.expression(ONE_ITEM_PER_PATH).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** Empties the job's queue (an incremental sync that turns to a full listing). */
export async function clearQueue(db: Db, jobId: string): Promise<void> {
  await db.deleteFrom('scan_items').where('job_id', '=', jobId).execute();
  await db.updateTable('sync_jobs').set({ items_discovered: 0 }).where('id', '=', jobId).execute();
}

/** One of `slots` disjoint parts of a job's queue (by item id), for parallel batch loops. */
export interface Slot {
  slot: number;
  slots: number;
}

export async function countItems(db: Db, jobId: string, status: ScanItemStatus, slot?: Slot): Promise<number> {
  let q = db.selectFrom('scan_items').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', jobId).where('status', '=', status);
  if (slot) q = q.where(sql`id % ${slot.slots}`, '=', slot.slot);
  return (await q.executeTakeFirstOrThrow()).n;
}

/** Items of the job's listing that are audio: not filtered out, not reported removed by a change feed. */
export async function countAudioListed(db: Db, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('scan_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('job_id', '=', jobId)
    .where('status', 'not in', ['filtered', 'removed'])
    .executeTakeFirstOrThrow();
  return row.n;
}

export async function itemsByStatus(
  db: Db,
  jobId: string,
  status: ScanItemStatus,
  afterId: number,
  limit: number,
  slot?: Slot,
): Promise<ScanItem[]> {
  let q = db
    .selectFrom('scan_items')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('status', '=', status)
    .where('id', '>', afterId);
  if (slot) q = q.where(sql`id % ${slot.slots}`, '=', slot.slot);
  return q.orderBy('id').limit(limit).execute();
}

/**
 * Locks the given items that are still pending and returns their ids. Two attempts of one batch that
 * overlap (a worker that lost its heartbeat still runs while the retry does) queue on these locks, and
 * the later one finds the items already finished: nothing is written or counted twice.
 */
export async function claimPending(trx: Db, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await trx
    .selectFrom('scan_items')
    .select('id')
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Records what a listing page could not see. Each entry is a failed item naming the folder or file
 * and the reason; every track and snapshot entry under an unlisted folder is kept as it was (an item
 * `kept`): a folder that cannot be read is not an empty folder, so nothing under it is deleted.
 * Safe to replay. Returns how many entries were new (they count as discovered).
 */
export async function recordUnlisted(
  db: Db,
  profileId: string,
  jobId: string,
  unlisted: readonly { path: string; reason: string; folder?: boolean }[],
): Promise<number> {
  if (unlisted.length === 0) return 0;
  const inserted = await db
    .insertInto('scan_items')
    .values(unlisted.map((u) => ({ job_id: jobId, file_id: '', path: u.path, size: 0, status: 'failed' as const, outcome: 'failed', reason: u.reason })))
    .onConflict((oc) => oc.expression(ONE_ITEM_PER_PATH).doNothing())
    .returning('id')
    .execute();
  for (const u of unlisted.filter((e) => e.folder)) {
    const reason = `kept as it was: ${u.reason}`;
    await sql`
      insert into scan_items (job_id, file_id, path, size, modified_at, provider_hash, status, outcome, reason, track_id)
      select ${jobId}, t.file_id, t.path, t.size, t.modified_at, null, 'kept', 'kept', ${reason}, t.id
      from tracks t
      where t.profile_id = ${profileId} and t.deleted_at is null and starts_with(t.path, ${`${u.path}/`})
      on conflict (job_id, md5(path)) do nothing`.execute(db);
    await sql`
      insert into scan_items (job_id, file_id, path, size, modified_at, provider_hash, revision, status, outcome, reason)
      select ${jobId}, ls.file_id, ls.path, ls.size, ls.modified_at, ls.provider_hash, ls.revision, 'kept', 'kept', ${reason}
      from listing_snapshots ls
      where ls.profile_id = ${profileId} and starts_with(ls.path, ${`${u.path}/`})
      on conflict (job_id, md5(path)) do nothing`.execute(db);
  }
  return inserted.length;
}

/** Marks a batch of items with their verdicts in one statement. */
export async function finishItems(
  db: Db,
  rows: { id: number; status: 'done' | 'failed'; outcome: string; reason: string | null; track_id: string | null; bytes_read: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update scan_items as s set status = v.status, outcome = v.outcome, reason = v.reason, track_id = v.track_id, bytes_read = v.bytes_read
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id bigint, status text, outcome text, reason text, track_id text, bytes_read bigint)
    where s.id = v.id`.execute(db);
}

/** The filter's verdicts: audio items become pending, the others filtered with their reason. */
export async function setVerdicts(db: Db, pending: number[], filtered: ReadonlyMap<string, number[]>): Promise<void> {
  if (pending.length > 0) await db.updateTable('scan_items').set({ status: 'pending' }).where('id', 'in', pending).execute();
  for (const [reason, ids] of filtered) {
    await db.updateTable('scan_items').set({ status: 'filtered', reason }).where('id', 'in', ids).execute();
  }
}

/** Which of a job's failed files a list shows; `search` is text in the path or the reason. */
export interface FailedFilter {
  jobId: string;
  pathPrefix?: string | undefined;
  search?: string | undefined;
}

function filteredFailed(db: Db, f: FailedFilter) {
  let q = db
    .selectFrom('scan_items')
    .where('job_id', '=', f.jobId)
    // A file that failed before and has not changed since is still failed, though not read again.
    .where((eb) => eb.or([eb('status', '=', 'failed'), eb.and([eb('status', '=', 'unchanged'), eb('reason', 'is not', null)])]));
  if (f.pathPrefix) q = q.where(sql<boolean>`starts_with(path, ${f.pathPrefix})`);
  if (f.search) q = q.where(containsText(f.search, ['path', 'reason']));
  return q;
}

/** A page of the job's failed files in path order (a job has one item per path), from `offset` or
 * after the path `after`; `limit` null: all of them. */
export async function failedItems(
  db: Db,
  filter: string | FailedFilter,
  page: { limit: number | null; offset?: number; after?: string } = { limit: null },
): Promise<{ path: string; reason: string }[]> {
  const f = typeof filter === 'string' ? { jobId: filter } : filter;
  let q = filteredFailed(db, f).select(['path', 'reason']).orderBy('path');
  if (page.after !== undefined) q = q.where('path', '>', page.after);
  if (page.limit !== null) q = q.limit(page.limit);
  if (page.offset) q = q.offset(page.offset);
  const rows = await q.execute();
  return rows.map((r) => ({ path: r.path, reason: r.reason ?? 'unknown' }));
}

/** How many failed files match, and how many of them come up to the path `upTo` (0 without it). */
export async function countFailed(db: Db, f: FailedFilter, upTo?: string): Promise<{ total: number; upTo: number }> {
  const row = await filteredFailed(db, f)
    .select([
      sql<string>`count(*)`.as('total'),
      (upTo !== undefined ? sql<string>`count(*) filter (where path <= ${upTo})` : sql<string>`0`).as('up_to'),
    ])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), upTo: Number(row.up_to) };
}

/**
 * Writes one page of a change feed into the job's queue, change by change in order (runs of file
 * changes at once). The last word on a file wins: an upsert replaces the file's earlier entry (even at
 * another path), a removal replaces any entry and is kept as a `removed` item at the path the snapshot
 * knew. A path removal or a folder move acts on everything the job holds and the snapshot knew under
 * that path. Safe to replay.
 */
export async function applyChangePage(
  db: Db,
  profileId: string,
  jobId: string,
  changes: readonly ProviderChange[],
): Promise<void> {
  let run: FileChange[] = [];
  let removals: { paths: string[]; caseInsensitive: boolean } | undefined;
  const flush = async () => {
    await applyFileChanges(db, profileId, jobId, run);
    run = [];
    if (removals) await removePaths(db, profileId, jobId, removals.paths, removals.caseInsensitive);
    removals = undefined;
  };
  for (const change of changes) {
    if (change.kind === 'upsert' || change.kind === 'remove') {
      if (removals) await flush();
      run.push(change);
    } else if (change.kind === 'removePath') {
      // A run of path removals (Dropbox sends a page of deletions) is one statement.
      const caseInsensitive = change.caseInsensitive ?? false;
      if (run.length > 0 || (removals && removals.caseInsensitive !== caseInsensitive)) await flush();
      removals ??= { paths: [], caseInsensitive };
      removals.paths.push(change.path);
    } else {
      await flush();
      await movePath(db, profileId, jobId, change.from, change.to);
    }
  }
  await flush();
}

type FileChange = Extract<ProviderChange, { kind: 'upsert' | 'remove' }>;

async function applyFileChanges(db: Db, profileId: string, jobId: string, changes: readonly FileChange[]): Promise<void> {
  const last = new Map<string, FileChange>();
  for (const c of changes) last.set(c.kind === 'upsert' ? c.file.fileId : c.fileId, c);
  if (last.size === 0) return;
  await db.deleteFrom('scan_items').where('job_id', '=', jobId).where('file_id', 'in', [...last.keys()]).execute();
  // One row per path in one statement (two files of one page at one path: the later one).
  const byPath = new Map<string, ProviderFile>();
  for (const c of last.values()) if (c.kind === 'upsert') byPath.set(c.file.path, c.file);
  const upserts = [...byPath.values()];
  if (upserts.length > 0) {
    await db
      .insertInto('scan_items')
      .values(upserts.map((f) => queued(jobId, f)))
      // Another file now at the same path (a replace): the newer entry wins.
      .onConflict((oc) => oc.expression(ONE_ITEM_PER_PATH).doUpdateSet((eb) => ({
        file_id: eb.ref('excluded.file_id'), size: eb.ref('excluded.size'), modified_at: eb.ref('excluded.modified_at'),
        mime_type: eb.ref('excluded.mime_type'), provider_hash: eb.ref('excluded.provider_hash'), revision: eb.ref('excluded.revision'),
        status: 'discovered',
      })))
      .execute();
  }
  const removed = [...last.values()].flatMap((c) => (c.kind === 'remove' ? [c.fileId] : []));
  if (removed.length > 0) {
    await sql`
      insert into scan_items (job_id, file_id, path, size, modified_at, status)
      select ${jobId}, ls.file_id, ls.path, ls.size, ls.modified_at, 'removed'
      from listing_snapshots ls
      where ls.profile_id = ${profileId} and ls.file_id in (${sql.join(removed)})
      on conflict (job_id, md5(path)) do nothing`.execute(db);
  }
}

/** `column` is `path` or under it (`path` '' is the root: everything). Lengths and case are
 * Postgres's own (characters, not UTF-16 units), so a folder named with an emoji matches. */
function underPath(column: string, path: string | RawBuilder<string>, caseInsensitive: boolean) {
  if (path === '') return sql<boolean>`true`;
  const given = typeof path === 'string' ? sql`${path}::text` : path;
  const c = caseInsensitive ? sql`lower(${sql.ref(column)})` : sql.ref(column);
  const p = caseInsensitive ? sql`lower(${given})` : given;
  return sql<boolean>`(${c} = ${p} or starts_with(${c}, ${p} || '/'))`;
}

/** Everything at or under each of `paths` is gone: what the job holds there is removed, and what the
 * snapshot knew there is recorded as removed (unless the job holds that file elsewhere). */
async function removePaths(db: Db, profileId: string, jobId: string, paths: readonly string[], caseInsensitive: boolean): Promise<void> {
  if (paths.length === 0) return;
  // The root itself gone: everything.
  const all = paths.includes('');
  const under = (column: string) => (all ? sql<boolean>`true` : underPath(column, sql<string>`v.p`, caseInsensitive));
  await sql`
    update scan_items s set status = 'removed'
    from unnest(${[...paths]}::text[]) as v(p)
    where s.job_id = ${jobId} and ${under('s.path')}`.execute(db);
  await sql`
    insert into scan_items (job_id, file_id, path, size, modified_at, status)
    select distinct on (ls.path) ${jobId}, ls.file_id, ls.path, ls.size, ls.modified_at, 'removed'
    from listing_snapshots ls, unnest(${[...paths]}::text[]) as v(p)
    where ls.profile_id = ${profileId} and ${under('ls.path')}
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and s.file_id = ls.file_id)
    on conflict (job_id, md5(path)) do nothing`.execute(db);
}

/** The folder at `from` is now at `to`: what the job holds under it moves along, and what the
 * snapshot knew under it (and the job does not hold) is queued at its new path, as listed then: the
 * filter settles those as renames by file id and content without reading them. A `removed` row at a
 * new path (a folder renamed into the place of a deleted one) gives way: the removal it records is
 * kept by the moved file's own row, which holds that path now. */
async function movePath(db: Db, profileId: string, jobId: string, from: string, to: string): Promise<void> {
  if (from === to || from === '') return;
  const moved = (column: string) => sql<string>`${to}::text || substr(${sql.ref(column)}, char_length(${from}::text) + 1)`;
  const under = (column: string) => sql<boolean>`(${underPath(column, from, false)} and ${sql.ref(column)} <> ${from})`;
  await sql`
    delete from scan_items o
    using scan_items s
    where s.job_id = ${jobId} and ${under('s.path')} and o.job_id = ${jobId} and o.status = 'removed' and o.path = ${moved('s.path')}`.execute(db);
  await sql`
    delete from scan_items o
    using listing_snapshots ls
    where ls.profile_id = ${profileId} and ${under('ls.path')} and o.job_id = ${jobId} and o.status = 'removed' and o.path = ${moved('ls.path')}
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and s.file_id = ls.file_id)`.execute(db);
  await sql`
    update scan_items s set path = ${moved('s.path')}
    where s.job_id = ${jobId} and ${under('s.path')}
      and not exists (select 1 from scan_items o where o.job_id = ${jobId} and o.path = ${moved('s.path')})`.execute(db);
  await sql`
    insert into scan_items (job_id, file_id, path, size, modified_at, provider_hash, revision, status)
    select ${jobId}, ls.file_id, ${moved('ls.path')}, ls.size, ls.modified_at, ls.provider_hash, ls.revision, 'discovered'
    from listing_snapshots ls
    where ls.profile_id = ${profileId} and ${under('ls.path')}
      and not exists (select 1 from scan_items s where s.job_id = ${jobId} and s.file_id = ls.file_id)
    on conflict (job_id, md5(path)) do nothing`.execute(db);
}

/** What reading cost a job: the files it read, their size, and the bytes transferred to read them. */
export async function readCost(db: Db, jobId: string): Promise<{ filesRead: number; fileBytes: number; bytesRead: number }> {
  const row = await db
    .selectFrom('scan_items')
    .select([
      sql<string>`count(*)`.as('files'),
      sql<string>`coalesce(sum(size), 0)`.as('size'),
      sql<string>`coalesce(sum(bytes_read), 0)`.as('read'),
    ])
    .where('job_id', '=', jobId)
    .where('bytes_read', 'is not', null)
    .executeTakeFirstOrThrow();
  return { filesRead: Number(row.files), fileBytes: Number(row.size), bytesRead: Number(row.read) };
}

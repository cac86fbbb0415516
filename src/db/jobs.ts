// sync_jobs: one row per sync, the owner of its status, phase and counters. Counters change only here,
// inside the transaction of the change they count; a retried step derives them from the queue again
// or adds nothing twice.
import { sql } from 'kysely';
import { COUNTER_NAMES, type Counters } from '../contract/counters.ts';
import type { JobStatus, SyncMode, SyncPhase, TerminalStatus } from '../contract/sync.ts';
import { fromColumns, snakeCase } from './columns.ts';
import type { Db } from './connect.ts';
import { emitEvent } from './events.ts';
import type { SyncJobRow } from './schema.ts';

export function countersOf(row: SyncJobRow): Counters {
  return fromColumns<Counters>(row, COUNTER_NAMES);
}

export async function insertJob(
  db: Db,
  job: { id: string; profileId: string; provider: string; mode: SyncMode; workflowId: string; status: JobStatus },
): Promise<void> {
  await db
    .insertInto('sync_jobs')
    .values({
      id: job.id,
      profile_id: job.profileId,
      provider: job.provider,
      mode: job.mode,
      status: job.status,
      workflow_id: job.workflowId,
      started_at: job.status === 'running' ? new Date() : null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Moves a queued job to running; a job already further along is left as it is. */
export async function markRunning(db: Db, jobId: string): Promise<void> {
  await db
    .updateTable('sync_jobs')
    .set({ status: 'running', started_at: sql<Date>`coalesce(started_at, now())` })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** The only writer of a job's phase: records it with a Progress event carrying the counters so far
 * (once per phase, however often it is retried). Call inside a transaction. */
export async function enterPhase(db: Db, jobId: string, phase: SyncPhase): Promise<SyncJobRow> {
  const row = await db.updateTable('sync_jobs').set({ phase }).where('id', '=', jobId).returningAll().executeTakeFirstOrThrow();
  await emitEvent(db, jobId, `phase:${phase}`, 'progress', { phase, counters: countersOf(row) });
  return row;
}

/** The job's final status (and error), once: a job that has ended keeps its first ending. */
export async function finishJob(db: Db, jobId: string, ending: { status: TerminalStatus; error?: { message: string; kind: string } }): Promise<void> {
  await db
    .updateTable('sync_jobs')
    .set({ status: ending.status, finished_at: new Date(), error: ending.error?.message ?? null, error_kind: ending.error?.kind ?? null })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export async function getJob(db: Db, jobId: string): Promise<SyncJobRow | undefined> {
  return db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

/** Adds to a job's counters (inside the transaction that made the change). */
export async function addCounters(db: Db, jobId: string, delta: Partial<Counters>): Promise<SyncJobRow> {
  const set = Object.fromEntries(
    COUNTER_NAMES.filter((name) => delta[name]).map((name) => {
      const column = snakeCase(name);
      return [column, sql`${sql.ref(column)} + ${delta[name]}`];
    }),
  );
  if (Object.keys(set).length === 0) return (await getJob(db, jobId))!;
  return db.updateTable('sync_jobs').set(set).where('id', '=', jobId).returningAll().executeTakeFirstOrThrow();
}

/** Derives `itemsDiscovered` from the queue (every item a change feed did not report removed), so a
 * replayed page cannot count twice. */
export async function recountDiscovered(db: Db, jobId: string): Promise<SyncJobRow> {
  return db
    .updateTable('sync_jobs')
    .set({ items_discovered: sql<number>`(select count(*) from scan_items where job_id = ${jobId} and status <> 'removed')` })
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * After the filter: queued, filtered, unchanged and renamed derived from the queue, so a retried
 * filter cannot count an item twice. Items settled without a read (unchanged, renamed) count as
 * processed: they are decided, only without reading a byte.
 */
export async function recountFiltered(db: Db, jobId: string): Promise<SyncJobRow> {
  const counts = db
    .selectFrom('scan_items')
    .select([
      sql<number>`count(*) filter (where status = 'filtered')`.as('filtered'),
      sql<number>`count(*) filter (where status not in ('filtered', 'removed'))`.as('queued'),
      sql<number>`count(*) filter (where status = 'unchanged')`.as('unchanged'),
      sql<number>`count(*) filter (where outcome = 'renamed')`.as('renamed'),
    ])
    .where('job_id', '=', jobId);
  const c = await counts.executeTakeFirstOrThrow();
  return db
    .updateTable('sync_jobs')
    .set({
      items_queued: c.queued, items_filtered: c.filtered, items_unchanged: c.unchanged, items_renamed: c.renamed,
      items_processed: c.unchanged + c.renamed,
    })
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** What deleting and counting duplicates found: deletions add up (a retry deletes nothing more), the
 * duplicate count and the review note are as of now. */
export async function recordResolution(
  db: Db,
  jobId: string,
  r: { deleted: number; duplicateGroups: number; needsReview: string | null },
): Promise<SyncJobRow> {
  return db
    .updateTable('sync_jobs')
    .set((eb) => ({ items_deleted: eb('items_deleted', '+', r.deleted), duplicate_groups: r.duplicateGroups, needs_review: r.needsReview }))
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The change-feed cursor a full sync takes before listing: set once, a retry keeps the first. */
export async function setStartCursor(db: Db, jobId: string, cursor: string): Promise<void> {
  await db.updateTable('sync_jobs').set({ provider_cursor: cursor }).where('id', '=', jobId).where('provider_cursor', 'is', null).execute();
}

/** The change feed's cursor after the last page an incremental sync read. */
export async function setProviderCursor(db: Db, jobId: string, cursor: string): Promise<void> {
  await db.updateTable('sync_jobs').set({ provider_cursor: cursor }).where('id', '=', jobId).execute();
}

export async function listJobs(db: Db, filter: { provider?: string; profileId?: string; limit: number }): Promise<SyncJobRow[]> {
  let q = db.selectFrom('sync_jobs').selectAll().orderBy('created_at', 'desc').limit(filter.limit);
  if (filter.provider) q = q.where('provider', '=', filter.provider);
  if (filter.profileId) q = q.where('profile_id', '=', filter.profileId);
  return q.execute();
}

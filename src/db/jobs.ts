// sync_jobs: one row per sync, the owner of its status, phase and counters. Counters change only here,
// inside the transaction of the change they count; a retried step derives them from the queue again
// or adds nothing twice.
import { sql } from 'kysely';
import { COUNTER_NAMES, type Counters } from '../contract/counters.ts';
import { isTerminal, type CancelRequest, type JobStatus, type SyncMode, type SyncPhase, type TerminalStatus } from '../contract/sync.ts';
import { fromColumns, snakeCase } from './columns.ts';
import type { Db } from './connect.ts';
import { emitEvent } from './events.ts';
import type { EventType, SyncJobRow } from './schema.ts';

export function countersOf(row: SyncJobRow): Counters {
  return fromColumns<Counters>(row, COUNTER_NAMES);
}

/** Creates the job row once; whoever comes second (the client or the workflow's first activity) only
 * fills in the run id if the row has none yet. */
export async function insertJob(
  db: Db,
  job: { id: string; profileId: string; provider: string; mode: SyncMode; workflowId: string; status: JobStatus; runId?: string; requestedBy?: string },
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
      run_id: job.runId ?? null,
      requested_by: job.requestedBy ?? null,
      started_at: job.status === 'running' ? new Date() : null,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        run_id: sql<string | null>`coalesce(sync_jobs.run_id, excluded.run_id)`,
        requested_by: sql<string | null>`coalesce(sync_jobs.requested_by, excluded.requested_by)`,
      }),
    )
    .execute();
}

/** Moves a queued job to running, recording once the run chain that runs it and the live library it
 * starts from (the mass-deletion guard's baseline); a job already further along is left as it is. */
export async function markRunning(db: Db, jobId: string, start: { runId?: string; tracksBefore: number }): Promise<void> {
  await db
    .updateTable('sync_jobs')
    .set({
      status: 'running',
      started_at: sql<Date>`coalesce(started_at, now())`,
      run_id: sql<string | null>`coalesce(run_id, ${start.runId ?? null})`,
      tracks_before: sql<number | null>`coalesce(tracks_before, ${start.tracksBefore}::integer)`,
    })
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

/** How a job ended: its final status, the error of a job that did not complete, who stopped a cancelled
 * one, and, when reconciliation recorded it, the run's own ending it was taken from. */
export interface JobEnding {
  status: TerminalStatus;
  error?: { message: string; kind: string; recoverable?: boolean };
  cancel?: CancelRequest;
  reconciled?: { from: string; runId: string | null };
}

/** The job's final status (and error, and who cancelled it), once: a job that has ended keeps its
 * first ending. */
export async function finishJob(db: Db, jobId: string, ending: JobEnding): Promise<void> {
  await db
    .updateTable('sync_jobs')
    .set({
      status: ending.status,
      finished_at: new Date(),
      error: ending.error?.message ?? null,
      error_kind: ending.error?.kind ?? null,
      cancelled_by: ending.status === 'cancelled' ? (ending.cancel?.by ?? null) : null,
      cancel_reason: ending.status === 'cancelled' ? (ending.cancel?.reason ?? null) : null,
    })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

const TERMINAL_EVENT: Record<TerminalStatus, EventType> = {
  completed: 'completed', needs_review: 'needs_review', cancelled: 'cancelled', failed: 'failed', timed_out: 'failed',
};

/**
 * Ends a job: phase `complete`, the final status, and the terminal event (the job's last), in the
 * caller's transaction. Used by the workflow's ending and by reconciliation alike; a job that has
 * already ended keeps its ending, and the terminal event is written once. `details` go into the
 * event (the mass-deletion guard's numbers). Returns the row as it is now.
 */
export async function endJob(db: Db, jobId: string, ending: JobEnding, details: Record<string, unknown> = {}): Promise<SyncJobRow> {
  const before = await getJob(db, jobId);
  if (!before) throw new Error(`sync job ${jobId} does not exist`);
  if (!isTerminal(before.status)) {
    await enterPhase(db, jobId, 'complete');
    await finishJob(db, jobId, ending);
  }
  const job = (await getJob(db, jobId))!;
  const status = job.status as TerminalStatus;
  await emitEvent(db, jobId, 'terminal', TERMINAL_EVENT[status], {
    status,
    counters: countersOf(job),
    ...(job.needs_review ? { needsReview: job.needs_review } : {}),
    ...(job.error
      ? { message: job.error, kind: job.error_kind, recoverable: ending.error?.recoverable ?? status === 'timed_out' }
      : {}),
    ...(job.cancelled_by ? { cancelledBy: job.cancelled_by } : {}),
    ...(job.cancel_reason ? { cancelReason: job.cancel_reason } : {}),
    ...(ending.reconciled && !isTerminal(before.status) ? { reconciled: ending.reconciled } : {}),
    ...details,
  });
  return job;
}

export async function getJob(db: Db, jobId: string): Promise<SyncJobRow | undefined> {
  return db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

/** The job's row, locked until the transaction ends: two attempts at ending one job (a retry that
 * overlaps a stalled first try) take turns, and the second sees the ending of the first. */
export async function getJobForUpdate(trx: Db, jobId: string): Promise<SyncJobRow | undefined> {
  return trx.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
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
      sql<number>`count(*) filter (where status not in ('filtered', 'removed', 'kept'))`.as('queued'),
      sql<number>`count(*) filter (where status = 'unchanged')`.as('unchanged'),
      sql<number>`count(*) filter (where outcome = 'renamed')`.as('renamed'),
      // Before processing, only what the listing could not see has failed.
      sql<number>`count(*) filter (where status = 'failed')`.as('failed'),
    ])
    .where('job_id', '=', jobId);
  const c = await counts.executeTakeFirstOrThrow();
  return db
    .updateTable('sync_jobs')
    .set({
      items_queued: c.queued, items_filtered: c.filtered, items_unchanged: c.unchanged, items_renamed: c.renamed,
      items_failed: c.failed, items_processed: c.unchanged + c.renamed + c.failed,
    })
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** What deleting and counting duplicates found, as of now: `deleted` is every track the job left a
 * tombstone (derived from the tracks, so a retry cannot count twice), with the duplicate count and the
 * review note. */
export async function recordResolution(
  db: Db,
  jobId: string,
  r: { deleted: number; duplicateGroups: number; needsReview: string | null },
): Promise<SyncJobRow> {
  return db
    .updateTable('sync_jobs')
    .set({ items_deleted: r.deleted, duplicate_groups: r.duplicateGroups, needs_review: r.needsReview })
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The change-feed cursor a full sync takes before listing: set once, a retry keeps the first. */
export async function setStartCursor(db: Db, jobId: string, cursor: string): Promise<void> {
  await db.updateTable('sync_jobs').set({ provider_cursor: cursor }).where('id', '=', jobId).where('provider_cursor', 'is', null).execute();
}

/** The change feed's cursor after the last page an incremental sync read. */
export async function setProviderCursor(db: Db, jobId: string, cursor: string | null): Promise<void> {
  await db.updateTable('sync_jobs').set({ provider_cursor: cursor }).where('id', '=', jobId).execute();
}

/** Jobs not yet ended (queued or running), oldest first: what reconciliation looks at (indexed by status). */
export async function listUnfinishedJobs(db: Db, limit = 1000): Promise<SyncJobRow[]> {
  return db.selectFrom('sync_jobs').selectAll().where('status', 'in', ['queued', 'running']).orderBy('created_at').limit(limit).execute();
}

/** Which jobs a list shows. */
export interface JobFilter {
  provider?: string | undefined;
  profileId?: string | undefined;
  status?: JobStatus | undefined;
}

function filteredJobs(db: Db, f: JobFilter) {
  let q = db.selectFrom('sync_jobs');
  if (f.provider) q = q.where('provider', '=', f.provider);
  if (f.profileId) q = q.where('profile_id', '=', f.profileId);
  if (f.status) q = q.where('status', '=', f.status);
  return q;
}

/** The key of job `jobId` in list order, compared in the database (a JS Date would lose the
 * timestamp's microseconds). */
const keyOf = (jobId: string) => sql`(select k.created_at, k.id from sync_jobs k where k.id = ${jobId})`;

/** Jobs newest first (then by id), from `offset` or after job `after` (keyset). */
export async function listJobs(db: Db, filter: JobFilter & { limit: number; offset?: number; after?: string }): Promise<SyncJobRow[]> {
  let q = filteredJobs(db, filter).selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
  if (filter.after) q = q.where(sql<boolean>`(created_at, id) < ${keyOf(filter.after)}`);
  if (filter.offset) q = q.offset(filter.offset);
  return q.execute();
}

/** How many jobs match, and how many of them come up to job `upTo` in list order (0 without it). */
export async function countJobs(db: Db, filter: JobFilter, upTo?: string): Promise<{ total: number; upTo: number }> {
  const row = await filteredJobs(db, filter)
    .select([
      sql<string>`count(*)`.as('total'),
      (upTo ? sql<string>`count(*) filter (where (created_at, id) >= ${keyOf(upTo)})` : sql<string>`0`).as('up_to'),
    ])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), upTo: Number(row.up_to) };
}

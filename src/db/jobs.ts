import { sql } from 'kysely';
import type { Counters, JobStatus, SyncMode, SyncPhase } from '../sync/contract.ts';
import type { Database, SyncJobRow } from './schema.ts';
import type { Kysely, Transaction } from 'kysely';

type Conn = Kysely<Database> | Transaction<Database>;

export function countersOf(row: SyncJobRow): Counters {
  return {
    itemsDiscovered: row.items_discovered,
    itemsFiltered: row.items_filtered,
    itemsQueued: row.items_queued,
    itemsProcessed: row.items_processed,
    itemsAdded: row.items_added,
    itemsUpdated: row.items_updated,
    itemsRenamed: row.items_renamed,
    itemsUnchanged: row.items_unchanged,
    itemsFailed: row.items_failed,
    itemsDeleted: row.items_deleted,
    duplicateGroups: row.duplicate_groups,
    bytesRead: Number(row.bytes_read),
  };
}

export async function insertJob(
  db: Conn,
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
export async function markRunning(db: Conn, jobId: string): Promise<void> {
  await db
    .updateTable('sync_jobs')
    .set({ status: 'running', started_at: sql<Date>`coalesce(started_at, now())` })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export async function setPhase(db: Conn, jobId: string, phase: SyncPhase): Promise<void> {
  await db.updateTable('sync_jobs').set({ phase }).where('id', '=', jobId).execute();
}

export async function getJob(db: Conn, jobId: string): Promise<SyncJobRow | undefined> {
  return db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

/** Adds to a job's counters (used inside the transaction that made the change). */
export async function addCounters(db: Conn, jobId: string, delta: Partial<Counters>): Promise<SyncJobRow> {
  const inc = (col: keyof SyncJobRow, n: number | undefined) => sql`${sql.ref(col)} + ${n ?? 0}`;
  return db
    .updateTable('sync_jobs')
    .set({
      items_discovered: inc('items_discovered', delta.itemsDiscovered),
      items_filtered: inc('items_filtered', delta.itemsFiltered),
      items_queued: inc('items_queued', delta.itemsQueued),
      items_processed: inc('items_processed', delta.itemsProcessed),
      items_added: inc('items_added', delta.itemsAdded),
      items_updated: inc('items_updated', delta.itemsUpdated),
      items_renamed: inc('items_renamed', delta.itemsRenamed),
      items_unchanged: inc('items_unchanged', delta.itemsUnchanged),
      items_failed: inc('items_failed', delta.itemsFailed),
      items_deleted: inc('items_deleted', delta.itemsDeleted),
      bytes_read: inc('bytes_read', delta.bytesRead),
    } as never)
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listJobs(
  db: Conn,
  filter: { provider?: string; profileId?: string; limit: number },
): Promise<SyncJobRow[]> {
  let q = db.selectFrom('sync_jobs').selectAll().orderBy('created_at', 'desc').limit(filter.limit);
  if (filter.provider) q = q.where('provider', '=', filter.provider);
  if (filter.profileId) q = q.where('profile_id', '=', filter.profileId);
  return q.execute();
}

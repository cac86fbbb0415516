// What the running syncs still have to do, for the worker's metrics: read at every scrape, so it is
// one cheap statement (running jobs are few, and each one's pending items are an index range).
import { sql } from 'kysely';
import type { Db } from './connect.ts';

export interface QueueDepth {
  /** Jobs whose status is `running`. */
  runningJobs: number;
  /** Their queued items not yet processed. */
  pendingItems: number;
}

export async function readQueueDepth(db: Db): Promise<QueueDepth> {
  const row = await db
    .selectFrom('sync_jobs as j')
    .where('j.status', '=', 'running')
    .select([
      (eb) => eb.fn.countAll<number>().as('running_jobs'),
      sql<number>`coalesce(sum((select count(*) from scan_items s where s.job_id = j.id and s.status = 'pending')), 0)`.as('pending_items'),
    ])
    .executeTakeFirstOrThrow();
  return { runningJobs: Number(row.running_jobs), pendingItems: Number(row.pending_items) };
}

import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { emitEvent } from '../db/events.ts';
import { countersOf, getJob, setPhase } from '../db/jobs.ts';
import { itemsByStatus } from '../db/scan-items.ts';
import { settleMoves, settleUnchanged } from '../db/snapshots.ts';
import { filterFile } from '../sync/audio-formats.ts';
import type { FilterInput, FilterResult } from '../sync/contract.ts';
import type { ActivityDeps } from './deps.ts';

const CHUNK = 2000;

export function filterActivities({ db }: ActivityDeps) {
  return {
    /** Sorts discovered items into pending (audio, within size) and filtered (with a reason); in an
     * incremental sync, then settles unchanged and moved files against the snapshot without reading them. */
    async filter(input: FilterInput): Promise<FilterResult> {
      const ctx = Context.current();
      await setPhase(db, input.jobId, 'filter');
      let afterId = '0';
      for (;;) {
        const items = await itemsByStatus(db, input.jobId, 'discovered', afterId, CHUNK);
        if (items.length === 0) break;
        const keep: string[] = [];
        const drop = new Map<string, string[]>();
        for (const item of items) {
          const verdict = filterFile({ path: item.path, size: Number(item.size), mimeType: item.mime_type }, input.maxFileSize);
          if (verdict.keep) keep.push(item.id);
          else drop.set(verdict.reason, [...(drop.get(verdict.reason) ?? []), item.id]);
        }
        await db.transaction().execute(async (trx) => {
          if (keep.length > 0) {
            await trx.updateTable('scan_items').set({ status: 'pending' }).where('id', 'in', keep).execute();
          }
          for (const [reason, ids] of drop) {
            await trx.updateTable('scan_items').set({ status: 'filtered', reason }).where('id', 'in', ids).execute();
          }
        });
        afterId = items.at(-1)!.id;
        ctx.heartbeat();
      }
      // Counters are derived from the queue, so a retried filter cannot count an item twice.
      return db.transaction().execute(async (trx) => {
        if (input.mode === 'incremental') {
          const job = (await getJob(trx, input.jobId))!;
          await settleUnchanged(trx, job.profile_id, input.jobId);
          await settleMoves(trx, job.profile_id, input.jobId);
        }
        const counts = await trx
          .selectFrom('scan_items')
          .select([
            sql<string>`count(*) filter (where status = 'filtered')`.as('filtered'),
            sql<string>`count(*) filter (where status not in ('filtered', 'removed'))`.as('queued'),
            sql<string>`count(*) filter (where status = 'unchanged')`.as('unchanged'),
            sql<string>`count(*) filter (where outcome = 'renamed')`.as('renamed'),
          ])
          .where('job_id', '=', input.jobId)
          .executeTakeFirstOrThrow();
        const queued = Number(counts.queued);
        const filtered = Number(counts.filtered);
        const unchanged = Number(counts.unchanged);
        const renamed = Number(counts.renamed);
        // Settled items count as processed: they are decided, only without a read.
        await trx
          .updateTable('sync_jobs')
          .set({
            items_queued: queued, items_filtered: filtered, items_unchanged: unchanged, items_renamed: renamed,
            items_processed: unchanged + renamed,
          })
          .where('id', '=', input.jobId)
          .execute();
        const job = (await getJob(trx, input.jobId))!;
        await emitEvent(trx, input.jobId, 'filter:done', 'progress', { phase: 'filter', counters: countersOf(job) });
        return { queued, filtered, unchanged, renamed };
      });
    },
  };
}

import { Context } from '@temporalio/activity';
import type { FilterInput, FilterResult } from '../contract/sync.ts';
import { emitEvent } from '../db/events.ts';
import { countersOf, getJob, recountFiltered } from '../db/jobs.ts';
import { fileOf, itemsByStatus, setVerdicts } from '../db/scan-items.ts';
import { settleMoves, settleUnchanged } from '../db/snapshots.ts';
import { filterFile } from '../media/audio-formats.ts';
import type { ActivityDeps } from './deps.ts';

const CHUNK = 2000;

export function filterActivities({ db }: ActivityDeps) {
  return {
    /** Sorts discovered items into pending (audio, within size) and filtered (with a reason); in an
     * incremental sync, then settles unchanged and moved files against the snapshot without reading them. */
    async filter(input: FilterInput): Promise<FilterResult> {
      const ctx = Context.current();
      let afterId = 0;
      for (;;) {
        const items = await itemsByStatus(db, input.jobId, 'discovered', afterId, CHUNK);
        if (items.length === 0) break;
        const pending: number[] = [];
        const filtered = new Map<string, number[]>();
        for (const item of items) {
          const verdict = filterFile(fileOf(item), input.maxFileSize);
          if (verdict.keep) pending.push(item.id);
          else if (filtered.has(verdict.reason)) filtered.get(verdict.reason)!.push(item.id);
          else filtered.set(verdict.reason, [item.id]);
        }
        await db.transaction().execute((trx) => setVerdicts(trx, pending, filtered));
        afterId = items.at(-1)!.id;
        ctx.heartbeat();
      }
      return db.transaction().execute(async (trx) => {
        if (input.mode === 'incremental') {
          const job = (await getJob(trx, input.jobId))!;
          await settleUnchanged(trx, job.profile_id, input.jobId);
          await settleMoves(trx, job.profile_id, input.jobId);
        }
        const row = await recountFiltered(trx, input.jobId);
        const counters = countersOf(row);
        await emitEvent(trx, input.jobId, 'filter:done', 'progress', { phase: 'filter', counters });
        return {
          queued: counters.itemsQueued, filtered: counters.itemsFiltered, unchanged: counters.itemsUnchanged,
          renamed: counters.itemsRenamed, counters,
        };
      });
    },
  };
}

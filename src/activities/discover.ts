import { Context } from '@temporalio/activity';
import { addCounters, getJob, setPhase } from '../db/jobs.ts';
import { upsertListedFiles } from '../db/scan-items.ts';
import { emitEvent } from '../db/events.ts';
import type { DiscoverInput, DiscoverResult } from '../sync/contract.ts';
import type { ActivityDeps } from './deps.ts';
import { toActivityFailure } from './failures.ts';
import { loadJob } from './job-context.ts';

interface DiscoverCheckpoint {
  pageToken: string | undefined;
  pages: number;
}

export function discoverActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /** Lists the whole tree page by page into scan_items. The page token is heartbeated, so a retry
     * resumes at the page where the last attempt stopped; nothing per file enters history. */
    async discover(input: DiscoverInput): Promise<DiscoverResult> {
      const ctx = Context.current();
      const { provider } = await loadJob(deps, input.jobId);
      const checkpoint = (ctx.info.heartbeatDetails as DiscoverCheckpoint | undefined) ?? { pageToken: undefined, pages: 0 };
      await setPhase(db, input.jobId, 'discover');
      let { pageToken, pages } = checkpoint;
      do {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        let page;
        try {
          page = await provider.list(pageToken, input.pageSize);
        } catch (err) {
          throw toActivityFailure(err);
        }
        await db.transaction().execute(async (trx) => {
          const added = await upsertListedFiles(trx, input.jobId, page.files);
          const row = await addCounters(trx, input.jobId, { itemsDiscovered: added });
          await emitEvent(trx, input.jobId, `discover:${pages}`, 'progress', {
            phase: 'discover', itemsDiscovered: row.items_discovered,
          });
        });
        pageToken = page.nextPageToken;
        pages += 1;
        ctx.heartbeat({ pageToken, pages } satisfies DiscoverCheckpoint);
      } while (pageToken);
      const final = (await getJob(db, input.jobId))!;
      return { discovered: final.items_discovered };
    },
  };
}

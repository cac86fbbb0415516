import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { emitEvent } from '../db/events.ts';
import { addCounters, getJob, setPhase } from '../db/jobs.ts';
import { applyChangePage, upsertListedFiles } from '../db/scan-items.ts';
import { carryOverSnapshot, currentProviderCursor } from '../db/snapshots.ts';
import type { ChangeFeed } from '../providers/types.ts';
import type { DiscoverInput, DiscoverResult } from '../sync/contract.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';
import { loadJob } from './job-context.ts';

interface DiscoverCheckpoint {
  pageToken: string | undefined;
  pages: number;
}

export function discoverActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Calls the provider; its failures become retryable or not at the one boundary. */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toActivityFailure(err);
    }
  };

  return {
    /**
     * Fills the job's queue: a full listing page by page, or, in an incremental sync of a provider
     * with a change feed, the feed's pages since the snapshot's cursor plus the untouched rest of the
     * snapshot. The page token is heartbeated, so a retry resumes at the page where the last attempt
     * stopped; nothing per file enters history.
     */
    async discover(input: DiscoverInput): Promise<DiscoverResult> {
      const ctx = Context.current();
      const { job, profile, provider } = await loadJob(deps, input.jobId);
      const checkpoint = (ctx.info.heartbeatDetails as DiscoverCheckpoint | undefined) ?? { pageToken: undefined, pages: 0 };
      await setPhase(db, input.jobId, 'discover');
      const feed = provider.changeFeed;
      if (feed && input.mode === 'incremental') {
        return readFeed(feed, profile.id, input, checkpoint, ctx);
      }
      if (feed && !job.provider_cursor) {
        // Taken before listing: whatever changes while we list is in the next sync's feed.
        const cursor = await call(() => feed.getStartCursor());
        await db.updateTable('sync_jobs').set({ provider_cursor: cursor }).where('id', '=', input.jobId).where('provider_cursor', 'is', null).execute();
      }
      let { pageToken, pages } = checkpoint;
      do {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const page = await call(() => provider.list(pageToken, input.pageSize));
        await db.transaction().execute(async (trx) => {
          const added = await upsertListedFiles(trx, input.jobId, page.files);
          const row = await addCounters(trx, input.jobId, { itemsDiscovered: added });
          await emitEvent(trx, input.jobId, `discover:${pages}`, 'progress', { phase: 'discover', itemsDiscovered: row.items_discovered });
        });
        pageToken = page.nextPageToken;
        pages += 1;
        ctx.heartbeat({ pageToken, pages } satisfies DiscoverCheckpoint);
      } while (pageToken);
      const final = (await getJob(db, input.jobId))!;
      return { discovered: final.items_discovered };
    },
  };

  async function readFeed(
    feed: ChangeFeed,
    profileId: string,
    input: DiscoverInput,
    checkpoint: DiscoverCheckpoint,
    ctx: Context,
  ): Promise<DiscoverResult> {
    const cursor = await currentProviderCursor(db, profileId);
    if (!cursor) throw invalidInput('the profile has no change-feed cursor: run a full sync');
    let { pageToken, pages } = checkpoint;
    for (;;) {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      const page = await call(() => feed.getChanges(cursor, pageToken, input.pageSize));
      const last = !page.nextPageToken;
      if (last && !page.newCursor) throw invalidInput('the change feed ended without a new cursor');
      await db.transaction().execute(async (trx) => {
        await applyChangePage(trx, profileId, input.jobId, page.changes);
        if (last) {
          await carryOverSnapshot(trx, profileId, input.jobId);
          await trx.updateTable('sync_jobs').set({ provider_cursor: page.newCursor! }).where('id', '=', input.jobId).execute();
        }
        // The queue is the truth: derive the count, so a replayed page cannot count twice.
        const row = await trx
          .updateTable('sync_jobs')
          .set({
            items_discovered: sql<number>`(select count(*) from scan_items where job_id = ${input.jobId} and status <> 'removed')`,
          })
          .where('id', '=', input.jobId)
          .returning('items_discovered')
          .executeTakeFirstOrThrow();
        await emitEvent(trx, input.jobId, `discover:${pages}`, 'progress', { phase: 'discover', itemsDiscovered: row.items_discovered });
      });
      pageToken = page.nextPageToken;
      pages += 1;
      ctx.heartbeat({ pageToken, pages } satisfies DiscoverCheckpoint);
      if (last) break;
    }
    const final = (await getJob(db, input.jobId))!;
    return { discovered: final.items_discovered };
  }
}

import { Context } from '@temporalio/activity';
import type { DiscoverInput, DiscoverResult } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { emitEvent } from '../db/events.ts';
import { addCounters, countersOf, getJob, recountDiscovered, setProviderCursor, setStartCursor } from '../db/jobs.ts';
import { applyChangePage, recordUnlisted, upsertListedFiles } from '../db/scan-items.ts';
import { carryOverSnapshot, currentProviderCursor } from '../db/snapshots.ts';
import type { ChangeFeed } from '../providers/types.ts';
import { AUDIO_EXTENSIONS, extensionOf } from '../media/audio-formats.ts';
import { loadJobContext } from './context.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';

interface DiscoverCheckpoint {
  pageToken: string | undefined;
  pages: number;
}

/** Calls the provider; its failures become retryable or not at the one boundary. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}

export function discoverActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Fills the job's queue: a full listing page by page, or, in an incremental sync of a provider
     * with a change feed, the feed's pages since the snapshot's cursor plus the untouched rest of the
     * snapshot. The page token is heartbeated, so a retry resumes at the page where the last attempt
     * stopped; nothing per file enters history.
     */
    async discover(input: DiscoverInput): Promise<DiscoverResult> {
      const ctx = Context.current();
      const { job, profile, provider } = await loadJobContext(deps, input.jobId);
      const checkpoint = (ctx.info.heartbeatDetails as DiscoverCheckpoint | undefined) ?? { pageToken: undefined, pages: 0 };
      const feed = provider.changeFeed;
      if (feed && input.mode === 'incremental') {
        await readFeed(db, feed, profile.id, input, checkpoint, ctx);
        return discovered(db, input.jobId);
      }
      if (feed && !job.provider_cursor) {
        // Taken before listing: whatever changes while we list is in the next sync's feed.
        await setStartCursor(db, input.jobId, await call(() => feed.getStartCursor()));
      }
      let { pageToken, pages } = checkpoint;
      do {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const page = await call(() => provider.list(pageToken, input.pageSize));
        await db.transaction().execute(async (trx) => {
          const listed = await upsertListedFiles(trx, input.jobId, page.files);
          // What the provider could not list is neither re-read nor deleted: recorded, and kept.
          // Entries that are not music (a `cover.jpg` link leaving the folder) are left out.
          const unlisted = (page.unlisted ?? []).filter((u) => u.folder || AUDIO_EXTENSIONS.has(extensionOf(u.path)));
          const unseen = await recordUnlisted(trx, profile.id, input.jobId, unlisted);
          const row = await addCounters(trx, input.jobId, { itemsDiscovered: listed + unseen });
          await emitEvent(trx, input.jobId, `discover:${pages}`, 'progress', { phase: 'discover', itemsDiscovered: row.items_discovered });
        });
        pageToken = page.nextPageToken;
        pages += 1;
        ctx.heartbeat({ pageToken, pages } satisfies DiscoverCheckpoint);
      } while (pageToken);
      return discovered(db, input.jobId);
    },
  };
}

async function discovered(db: Db, jobId: string): Promise<DiscoverResult> {
  const counters = countersOf((await getJob(db, jobId))!);
  return { discovered: counters.itemsDiscovered, counters };
}

async function readFeed(db: Db, feed: ChangeFeed, profileId: string, input: DiscoverInput, checkpoint: DiscoverCheckpoint, ctx: Context): Promise<void> {
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
        await setProviderCursor(trx, input.jobId, page.newCursor!);
      }
      // The queue is the truth: a replayed page cannot count twice.
      const row = await recountDiscovered(trx, input.jobId);
      await emitEvent(trx, input.jobId, `discover:${pages}`, 'progress', { phase: 'discover', itemsDiscovered: row.items_discovered });
    });
    pageToken = page.nextPageToken;
    pages += 1;
    ctx.heartbeat({ pageToken, pages } satisfies DiscoverCheckpoint);
    if (last) break;
  }
}

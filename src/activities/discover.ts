import { Context } from '@temporalio/activity';
import type { DiscoverInput, DiscoverResult } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { emitEvent } from '../db/events.ts';
import { addCounters, countersOf, getJob, recountDiscovered, setProviderCursor, setStartCursor } from '../db/jobs.ts';
import { recordFolders, startFolderFeed, startFolderListing } from '../db/folders.ts';
import { applyChangePage, clearQueue, recordUnlisted, upsertListedFiles } from '../db/scan-items.ts';
import { carryOverSnapshot, currentProviderCursor } from '../db/snapshots.ts';
import type { ChangeFeed, ChangePage } from '../providers/types.ts';
import { ProviderError } from '../providers/types.ts';
import { AUDIO_EXTENSIONS, extensionOf } from '../media/audio-formats.ts';
import { loadJobContext } from './context.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';

interface DiscoverCheckpoint {
  pageToken: string | undefined;
  pages: number;
  /** An incremental sync whose feed could not be read from its cursor lists the whole root instead. */
  listing?: boolean;
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
      const { profile, provider } = await loadJobContext(deps, input.jobId);
      const checkpoint = (ctx.info.heartbeatDetails as DiscoverCheckpoint | undefined) ?? { pageToken: undefined, pages: 0 };
      const feed = provider.changeFeed;
      let { pageToken, pages, listing } = checkpoint;
      if (feed && input.mode === 'incremental' && !listing) {
        const read = await readFeed(db, feed, profile.id, input, checkpoint, ctx);
        if (read === 'read') return discovered(db, input.jobId);
        // The provider no longer knows the cursor (or there is none): the sync lists everything
        // instead, and the snapshot diff finds what changed. Nothing of the feed stays queued.
        await db.transaction().execute(async (trx) => {
          await clearQueue(trx, input.jobId);
          await setProviderCursor(trx, input.jobId, null);
          await emitEvent(trx, input.jobId, 'discover:relist', 'progress', { phase: 'discover', note: read.note });
        });
        ({ pageToken, pages, listing } = { pageToken: undefined, pages: 0, listing: true });
        ctx.heartbeat({ pageToken, pages, listing } satisfies DiscoverCheckpoint);
      }
      if (feed && !(await getJob(db, input.jobId))!.provider_cursor) {
        // Taken before listing: whatever changes while we list is in the next sync's feed.
        await setStartCursor(db, input.jobId, await call(() => feed.getStartCursor()));
      }
      if (pages === 0) await db.transaction().execute((trx) => startFolderListing(trx, profile.id, input.jobId));
      do {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const page = await call(() => provider.list(pageToken, input.pageSize));
        await db.transaction().execute(async (trx) => {
          const listed = await upsertListedFiles(trx, input.jobId, page.files);
          // What the provider could not list is neither re-read nor deleted: recorded, and kept.
          // Entries that are not music (a `cover.jpg` link leaving the folder) are left out.
          const unlisted = (page.unlisted ?? []).filter((u) => u.folder || AUDIO_EXTENSIONS.has(extensionOf(u.path)));
          const unseen = await recordUnlisted(trx, profile.id, input.jobId, unlisted);
          await recordFolders(trx, profile.id, input.jobId, (page.folders ?? []).map((folder) => ({ kind: 'upsert', folder })));
          const row = await addCounters(trx, input.jobId, { itemsDiscovered: listed + unseen });
          await emitEvent(trx, input.jobId, `discover:${listing ? 'relist:' : ''}${pages}`, 'progress', { phase: 'discover', itemsDiscovered: row.items_discovered });
        });
        pageToken = page.nextPageToken;
        pages += 1;
        ctx.heartbeat({ pageToken, pages, ...(listing ? { listing } : {}) } satisfies DiscoverCheckpoint);
      } while (pageToken);
      return discovered(db, input.jobId);
    },
  };
}

async function discovered(db: Db, jobId: string): Promise<DiscoverResult> {
  const counters = countersOf((await getJob(db, jobId))!);
  return { discovered: counters.itemsDiscovered, counters };
}

/** Reads the change feed since the snapshot's cursor into the job's queue. Answers why not when the
 * feed cannot be read from there (no cursor, or one the provider has forgotten). */
async function readFeed(
  db: Db, feed: ChangeFeed, profileId: string, input: DiscoverInput, checkpoint: DiscoverCheckpoint, ctx: Context,
): Promise<'read' | { note: string }> {
  const cursor = await currentProviderCursor(db, profileId);
  if (!cursor) return { note: 'no change-feed cursor yet: listing everything' };
  let { pageToken, pages } = checkpoint;
  if (pages === 0) await db.transaction().execute((trx) => startFolderFeed(trx, profileId, input.jobId));
  for (;;) {
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    let page: ChangePage;
    try {
      page = await feed.getChanges(cursor, pageToken, input.pageSize);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'cursorExpired') {
        return { note: `the change feed's cursor has expired (${err.message}): listing everything instead` };
      }
      throw toActivityFailure(err);
    }
    const last = !page.nextPageToken;
    if (last && !page.newCursor) throw invalidInput('the change feed ended without a new cursor');
    await db.transaction().execute(async (trx) => {
      await applyChangePage(trx, profileId, input.jobId, page.changes);
      await recordFolders(trx, profileId, input.jobId, page.folders ?? []);
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
    if (last) return 'read';
  }
}

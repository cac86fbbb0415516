import { Context } from '@temporalio/activity';
import type { ProcessBatchInput, ProcessBatchResult } from '../contract/sync.ts';
import { emitEvent } from '../db/events.ts';
import { addCounters, countersOf } from '../db/jobs.ts';
import { persistBatch, type PersistOutcome, type ReadItem } from '../db/persist-batch.ts';
import { countItems, fileOf, finishItems, itemsByStatus } from '../db/scan-items.ts';
import { readTrack, UnreadableFileError } from '../media/read-track.ts';
import { ProviderError } from '../providers/types.ts';
import { loadJobContext } from './context.ts';
import type { ActivityDeps } from './deps.ts';
import { toActivityFailure } from './failures.ts';
import { mapLimit } from './map-limit.ts';

type ReadOutcome =
  | { itemId: number; ok: true; read: ReadItem; bytesRead: number }
  | { itemId: number; ok: false; reason: string };

export function processActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Reads the next batch of pending items (tags from the few bytes music-metadata needs, sha256 of
     * the whole file) with bounded parallelism, then writes every track, item verdict and counter
     * in one transaction: a retried or cancelled batch leaves either all of its rows or none.
     */
    async processBatch(input: ProcessBatchInput): Promise<ProcessBatchResult> {
      const ctx = Context.current();
      const { profile, provider } = await loadJobContext(deps, input.jobId);
      const slot = input.slots ? { slot: input.slot ?? 0, slots: input.slots } : undefined;
      const items = await itemsByStatus(db, input.jobId, 'pending', 0, input.batchSize, slot);
      let read = 0;
      const beat = setInterval(() => ctx.heartbeat({ read }), 2_000);
      let outcomes: ReadOutcome[];
      try {
        outcomes = await mapLimit(items.map((item) => ({ itemId: item.id, file: fileOf(item) })), input.concurrency, async ({ itemId, file }) => {
          ctx.cancellationSignal.throwIfAborted();
          try {
            const result = await readTrack(provider, file, { parseTimeoutMs: input.parseTimeoutMs, signal: ctx.cancellationSignal });
            const read: ReadItem = { itemId, file, tags: result.tags, contentHash: result.contentHash };
            return { itemId, ok: true, read, bytesRead: result.bytesRead } satisfies ReadOutcome;
          } catch (err) {
            if (err instanceof UnreadableFileError) return { itemId, ok: false, reason: err.message } satisfies ReadOutcome;
            if (err instanceof ProviderError && err.kind === 'notFound') {
              return { itemId, ok: false, reason: 'file disappeared before it could be read' } satisfies ReadOutcome;
            }
            throw toActivityFailure(err);
          } finally {
            read += 1;
            ctx.heartbeat({ read });
          }
        });
      } finally {
        clearInterval(beat);
      }
      // Cancelled while reading: write nothing, the items stay pending for a later sync.
      ctx.cancellationSignal.throwIfAborted();

      const reads = outcomes.flatMap((o) => (o.ok ? [o.read] : []));
      const batch = {
        processed: outcomes.length, added: 0, updated: 0, renamed: 0, unchanged: 0,
        failed: outcomes.length - reads.length,
        bytesRead: outcomes.reduce((n, o) => n + (o.ok ? o.bytesRead : 0), 0),
      };
      const row = await db.transaction().execute(async (trx) => {
        const persisted = await persistBatch(trx, profile.id, input.jobId, reads);
        for (const p of persisted) batch[countedAs(p.outcome)] += 1;
        await finishItems(trx, [
          ...persisted.map((p) => ({ id: p.itemId, status: 'done' as const, outcome: p.outcome, reason: null, track_id: p.trackId })),
          ...outcomes.flatMap((o) =>
            o.ok ? [] : [{ id: o.itemId, status: 'failed' as const, outcome: 'failed', reason: o.reason, track_id: null }],
          ),
        ]);
        const row = await addCounters(trx, input.jobId, {
          itemsProcessed: batch.processed, itemsAdded: batch.added, itemsUpdated: batch.updated,
          itemsRenamed: batch.renamed, itemsUnchanged: batch.unchanged, itemsFailed: batch.failed,
          bytesRead: batch.bytesRead,
        });
        // One Progress event each time the processed count crosses a multiple of progressEvery.
        const mark = Math.floor(row.items_processed / input.progressEvery);
        if (mark > Math.floor((row.items_processed - batch.processed) / input.progressEvery)) {
          await emitEvent(trx, input.jobId, `process:${mark * input.progressEvery}`, 'progress', {
            phase: 'process', counters: countersOf(row),
          });
        }
        return row;
      });
      return { ...batch, remaining: await countItems(db, input.jobId, 'pending', slot), counters: countersOf(row) };
    },
  };
}

/** A restored track is an added one, as far as the counters go. */
function countedAs(outcome: PersistOutcome): 'added' | 'updated' | 'renamed' | 'unchanged' {
  return outcome === 'restored' ? 'added' : outcome;
}

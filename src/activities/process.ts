import { Context } from '@temporalio/activity';
import { emitEvent } from '../db/events.ts';
import { addCounters, countersOf, setPhase } from '../db/jobs.ts';
import { countItems, finishItems, itemsByStatus } from '../db/scan-items.ts';
import type { ScanItem } from '../db/schema.ts';
import { persistBatch, type PersistOutcome } from '../db/persist-batch.ts';
import { ProviderError } from '../providers/types.ts';
import type { ProcessBatchInput, ProcessBatchResult } from '../sync/contract.ts';
import { mapLimit } from '../sync/map-limit.ts';
import { readTrack, UnreadableFileError, type ReadTrackResult } from '../sync/read-track.ts';
import type { ActivityDeps } from './deps.ts';
import { toActivityFailure } from './failures.ts';
import { loadJob } from './job-context.ts';

type ReadOutcome = { item: ScanItem; ok: true; read: ReadTrackResult } | { item: ScanItem; ok: false; reason: string };

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
      const { job, profile, provider } = await loadJob(deps, input.jobId);
      if (job.phase !== 'process') await setPhase(db, input.jobId, 'process');

      const slot = input.slots ? { slot: input.slot ?? 0, slots: input.slots } : undefined;
      const items = await itemsByStatus(db, input.jobId, 'pending', '0', input.batchSize, slot);
      let read = 0;
      const beat = setInterval(() => ctx.heartbeat({ read }), 2_000);
      let outcomes: ReadOutcome[];
      try {
        outcomes = await mapLimit(items, input.concurrency, async (item): Promise<ReadOutcome> => {
          ctx.cancellationSignal.throwIfAborted();
          try {
            const result = await readTrack(provider, { fileId: item.file_id, path: item.path, mimeType: item.mime_type }, {
              parseTimeoutMs: input.parseTimeoutMs,
              signal: ctx.cancellationSignal,
            });
            return { item, ok: true, read: result };
          } catch (err) {
            if (err instanceof UnreadableFileError) return { item, ok: false, reason: err.message };
            if (err instanceof ProviderError && err.kind === 'notFound') {
              return { item, ok: false, reason: 'file disappeared before it could be read' };
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

      const result: ProcessBatchResult = {
        processed: 0, added: 0, updated: 0, renamed: 0, unchanged: 0, failed: 0, bytesRead: 0, remaining: 0,
      };
      await db.transaction().execute(async (trx) => {
        const reads = outcomes.flatMap((o) => (o.ok ? [{ item: o.item, tags: o.read.tags, contentHash: o.read.contentHash }] : []));
        const persisted = await persistBatch(trx, profile.id, input.jobId, reads);
        for (const p of persisted) count(result, p.outcome);
        result.processed = outcomes.length;
        result.failed = outcomes.length - reads.length;
        result.bytesRead = outcomes.reduce((n, o) => n + (o.ok ? o.read.bytesRead : 0), 0);
        await finishItems(trx, [
          ...persisted.map((p) => ({ id: p.itemId, status: 'done' as const, outcome: p.outcome, reason: null, track_id: p.trackId })),
          ...outcomes.flatMap((o) =>
            o.ok ? [] : [{ id: o.item.id, status: 'failed' as const, outcome: 'failed', reason: o.reason, track_id: null }],
          ),
        ]);
        const row = await addCounters(trx, input.jobId, {
          itemsProcessed: result.processed, itemsAdded: result.added, itemsUpdated: result.updated,
          itemsRenamed: result.renamed, itemsUnchanged: result.unchanged, itemsFailed: result.failed,
          bytesRead: result.bytesRead,
        });
        // One Progress event each time the processed count crosses a multiple of progressEvery.
        const mark = Math.floor(row.items_processed / input.progressEvery);
        if (mark > Math.floor((row.items_processed - result.processed) / input.progressEvery)) {
          await emitEvent(trx, input.jobId, `process:${mark * input.progressEvery}`, 'progress', {
            phase: 'process', counters: countersOf(row),
          });
        }
      });
      result.remaining = await countItems(db, input.jobId, 'pending', slot);
      return result;
    },
  };
}

function count(result: ProcessBatchResult, outcome: PersistOutcome): void {
  if (outcome === 'added' || outcome === 'restored') result.added += 1;
  else if (outcome === 'updated') result.updated += 1;
  else if (outcome === 'renamed') result.renamed += 1;
  else result.unchanged += 1;
}

import { Context } from '@temporalio/activity';
import type { ProcessBatchInput, ProcessBatchResult } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { isTransientDbError } from '../db/errors.ts';
import { emitEvent } from '../db/events.ts';
import { addCounters, countersOf, getJob } from '../db/jobs.ts';
import { persistBatch, type PersistOutcome, type ReadItem } from '../db/persist-batch.ts';
import type { SyncJobRow } from '../db/schema.ts';
import { claimPending, countItems, fileOf, finishItems, itemsByStatus } from '../db/scan-items.ts';
import { readTrack, UnreadableFileError } from '../media/read-track.ts';
import { ProviderError } from '../providers/types.ts';
import { loadJobContext } from './context.ts';
import type { ActivityDeps } from './deps.ts';
import { toActivityFailure } from './failures.ts';
import { mapLimit } from './map-limit.ts';
import type { FileFailure } from '../observe/metrics.ts';

type ReadOutcome =
  | { itemId: number; ok: true; read: ReadItem; bytesRead: number }
  | { itemId: number; ok: false; reason: string; bytesRead: number; failure: FileFailure };

type Tally = Omit<ProcessBatchResult, 'remaining' | 'counters'>;

const emptyTally = (): Tally => ({ processed: 0, added: 0, updated: 0, renamed: 0, unchanged: 0, failed: 0, bytesRead: 0 });

export function processActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * Reads the next batch of pending items (tags from the few bytes music-metadata needs, the
     * file's and its audio stream's hashes in one pass) with bounded parallelism, then writes every
     * track, item verdict and counter in one transaction: a retried or cancelled batch leaves either
     * all of its rows or none. If that write fails on one file's data, the batch is written file by
     * file, so only that file fails, with the database's reason.
     */
    async processBatch(input: ProcessBatchInput): Promise<ProcessBatchResult> {
      const ctx = Context.current();
      const { profile, provider, tempDir } = await loadJobContext(deps, input.jobId);
      const slot = input.slots ? { slot: input.slot ?? 0, slots: input.slots } : undefined;
      const items = await itemsByStatus(db, input.jobId, 'pending', 0, input.batchSize, slot);
      // Each file read is heartbeated with the batch's position (nothing resumes from it: a retried batch
      // reads its pending items again); between them the worker's keep-alive resends the last one.
      let read = 0;
      let bytes = 0;
      const outcomes: ReadOutcome[] = await mapLimit(
        items.map((item) => ({ itemId: item.id, file: fileOf(item) })),
        input.concurrency,
        async ({ itemId, file }) => {
          ctx.cancellationSignal.throwIfAborted();
          try {
            const result = await readTrack(provider, file, {
              parseTimeoutMs: input.parseTimeoutMs,
              stallTimeoutMs: input.readStallTimeoutMs ?? input.parseTimeoutMs,
              signal: ctx.cancellationSignal,
              tempDir,
            });
            bytes += result.bytesRead;
            const read: ReadItem = {
              itemId, file, tags: result.tags, contentHash: result.contentHash,
              audioHash: result.audioHash, audioHashScope: result.audioHashScope,
            };
            return { itemId, ok: true, read, bytesRead: result.bytesRead } satisfies ReadOutcome;
          } catch (err) {
            if (ctx.cancellationSignal.aborted) throw err;
            if (err instanceof UnreadableFileError) bytes += err.bytesRead;
            if (err instanceof UnreadableFileError) return { itemId, ok: false, reason: err.message, bytesRead: err.bytesRead, failure: 'unreadable' } satisfies ReadOutcome;
            // This file's own verdict (gone, refused, changed, not a file): it fails alone.
            if (err instanceof ProviderError && (err.kind === 'notFound' || err.kind === 'forbidden' || err.kind === 'invalid')) {
              const reason = err.kind === 'notFound' ? 'file disappeared before it could be read' : err.message;
              return { itemId, ok: false, reason, bytesRead: 0, failure: err.kind === 'notFound' ? 'not_found' : err.kind } satisfies ReadOutcome;
            }
            throw toActivityFailure(err);
          } finally {
            read += 1;
            ctx.heartbeat({ files: read, of: items.length, bytes, path: file.path });
          }
        },
      );
      // Cancelled while reading: write nothing, the items stay pending for a later sync.
      ctx.cancellationSignal.throwIfAborted();

      const write = async (some: ReadOutcome[]) => {
        const done = await db.transaction().execute((trx) => writeOutcomes(trx, profile.id, input.jobId, some, input.progressEvery));
        // Counted once committed: what a retry finds finished is not written, nor counted, again.
        deps.metrics?.batchCommitted({ provider: profile.provider, ...done.tally, failures: done.failures });
        return done;
      };
      let written: { tally: Tally; row: SyncJobRow | undefined };
      try {
        written = await write(outcomes);
      } catch (err) {
        if (isTransientDbError(err)) throw err;
        written = { tally: emptyTally(), row: undefined };
        for (const outcome of outcomes) {
          let one;
          try {
            one = await write([outcome]);
          } catch (fileErr) {
            if (isTransientDbError(fileErr)) throw fileErr;
            one = await write([{ itemId: outcome.itemId, ok: false, reason: `could not be stored: ${messageOf(fileErr)}`, bytesRead: outcome.bytesRead, failure: 'not_stored' }]);
          }
          addTally(written.tally, one.tally);
          written.row = one.row ?? written.row;
        }
      }
      const remaining = await countItems(db, input.jobId, 'pending', slot);
      const row = written.row ?? (await getJob(db, input.jobId))!;
      return { ...written.tally, remaining, counters: countersOf(row) };
    },
  };
}

/**
 * Writes the verdicts of the items that are still pending (claimed under lock), their tracks and the
 * counters they add, with one Progress event each time the processed count crosses a multiple of
 * `progressEvery`. Items another attempt already finished are skipped, so nothing counts twice.
 */
async function writeOutcomes(
  trx: Db,
  profileId: string,
  jobId: string,
  outcomes: readonly ReadOutcome[],
  progressEvery: number,
): Promise<{ tally: Tally; row: SyncJobRow | undefined; failures: FileFailure[] }> {
  const claimed = await claimPending(trx, outcomes.map((o) => o.itemId));
  const mine = outcomes.filter((o) => claimed.has(o.itemId));
  const tally = emptyTally();
  if (mine.length === 0) return { tally, row: undefined, failures: [] };
  const reads = mine.flatMap((o) => (o.ok ? [o.read] : []));
  tally.processed = mine.length;
  tally.failed = mine.length - reads.length;
  tally.bytesRead = mine.reduce((n, o) => n + o.bytesRead, 0);
  const persisted = await persistBatch(trx, profileId, jobId, reads);
  for (const p of persisted) tally[countedAs(p.outcome)] += 1;
  const bytesOf = new Map(mine.map((o) => [o.itemId, o.bytesRead]));
  await finishItems(trx, [
    ...persisted.map((p) => ({ id: p.itemId, status: 'done' as const, outcome: p.outcome, reason: null, track_id: p.trackId, bytes_read: bytesOf.get(p.itemId)! })),
    ...mine.flatMap((o) => (o.ok ? [] : [{ id: o.itemId, status: 'failed' as const, outcome: 'failed', reason: o.reason, track_id: null, bytes_read: o.bytesRead }])),
  ]);
  const row = await addCounters(trx, jobId, {
    itemsProcessed: tally.processed, itemsAdded: tally.added, itemsUpdated: tally.updated,
    itemsRenamed: tally.renamed, itemsUnchanged: tally.unchanged, itemsFailed: tally.failed,
    bytesRead: tally.bytesRead,
  });
  const mark = Math.floor(row.items_processed / progressEvery);
  if (mark > Math.floor((row.items_processed - tally.processed) / progressEvery)) {
    await emitEvent(trx, jobId, `process:${mark * progressEvery}`, 'progress', { phase: 'process', counters: countersOf(row) });
  }
  return { tally, row, failures: mine.flatMap((o) => (o.ok ? [] : [o.failure])) };
}

function addTally(into: Tally, more: Tally): void {
  for (const key of Object.keys(into) as (keyof Tally)[]) into[key] += more[key];
}

function messageOf(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** A restored track is an added one, as far as the counters go. */
function countedAs(outcome: PersistOutcome): 'added' | 'updated' | 'renamed' | 'unchanged' {
  return outcome === 'restored' ? 'added' : outcome;
}

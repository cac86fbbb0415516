import {
  ActivityCancellationType, ApplicationFailure, CancellationScope, condition, continueAsNew, defineQuery,
  defineSignal, isCancellation, log, patched, proxyActivities, setHandler, sleep, workflowInfo, allHandlersFinished,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.ts';
import { gracePeriodMs } from '../sync/config.ts';
import type { Counters, JobStatus, SyncPhase, SyncProgress, SyncResult, SyncWorkflowInput } from '../sync/contract.ts';
import { CANCEL_SIGNAL, PROGRESS_QUERY, ZERO_COUNTERS } from '../sync/contract.ts';

export const cancelSignal = defineSignal<[{ reason?: string }?]>(CANCEL_SIGNAL);
export const progressQuery = defineQuery<SyncProgress>(PROGRESS_QUERY);

function activities(input: SyncWorkflowInput) {
  const retry = {
    maximumAttempts: input.config.retryAttempts,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  };
  const short = proxyActivities<SyncActivities>({ startToCloseTimeout: '1m', retry });
  const long = proxyActivities<SyncActivities>({
    startToCloseTimeout: '2h',
    heartbeatTimeout: '1m',
    retry,
    // Wait for an in-flight batch to stop before the job is recorded as cancelled: its transaction
    // either committed whole or not at all, so the library never holds half a track.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return { short, long };
}

/**
 * One sync of one profile: validate, discover, filter, process in batches, resolve conflicts,
 * complete. Cancel by signal or by a cancellation request; a graceful deadline before the run
 * timeout ends the job as timed out. Long syncs continue as new between batches.
 */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncResult> {
  const { short, long } = activities(input);
  const info = workflowInfo();
  const counters: Counters = { ...(input.resume?.counters ?? ZERO_COUNTERS) };
  let phase: SyncPhase = input.resume?.phase ?? 'queued';
  let status: JobStatus = 'running';
  let stopReason: 'cancelled' | 'timeout' | undefined;

  const deadlineEpochMs =
    input.resume?.deadlineEpochMs ??
    info.runStartTime.getTime() + (info.runTimeoutMs ?? input.config.syncTimeoutSecs * 1000) -
      gracePeriodMs(input.config.syncTimeoutSecs);

  setHandler(progressQuery, () => ({ jobId: input.jobId, phase, status, counters: { ...counters } }));

  const work = new CancellationScope();
  setHandler(cancelSignal, () => {
    stopReason ??= 'cancelled';
    work.cancel();
  });
  const deadline = new CancellationScope();
  deadline
    .run(() => sleep(Math.max(0, deadlineEpochMs - Date.now())))
    .then(() => {
      stopReason ??= 'timeout';
      work.cancel();
    })
    .catch(() => undefined); // the deadline timer is cancelled when the sync ends first

  const enter = async (next: SyncPhase): Promise<void> => {
    phase = next;
    if (next !== 'validate') await short.enterPhase({ jobId: input.jobId, phase: next });
  };

  let stopLoops = false;
  const processLoop = async (slot: number, slots: number): Promise<'continue' | 'done'> => {
    for (;;) {
      if (stopLoops) return 'continue';
      const batch = await long.processBatch({
        jobId: input.jobId,
        batchSize: input.config.batchSize,
        concurrency: input.config.maxConcurrentDownloads,
        parseTimeoutMs: input.config.parseTimeoutMs,
        progressEvery: input.config.progressEvery,
        ...(slots > 1 ? { slot, slots } : {}),
      });
      counters.itemsProcessed += batch.processed;
      counters.itemsAdded += batch.added;
      counters.itemsUpdated += batch.updated;
      counters.itemsRenamed += batch.renamed;
      counters.itemsUnchanged += batch.unchanged;
      counters.itemsFailed += batch.failed;
      counters.bytesRead += batch.bytesRead;
      if (batch.remaining === 0 || batch.processed === 0) return 'done';
      const now = workflowInfo();
      if (now.continueAsNewSuggested || now.historyLength >= input.config.historyEventsPerRun) {
        stopLoops = true; // the other loops stop after their batch in flight
        return 'continue';
      }
    }
  };

  const run = async (): Promise<'continue' | 'done'> => {
    if (!input.resume) {
      await short.startJob({ jobId: input.jobId, profileId: input.profileId, mode: input.mode, workflowId: info.workflowId });
      await enter('validate');
      await short.validateSession({ jobId: input.jobId, wifiOnly: input.config.wifiOnly });
      await enter('discover');
      counters.itemsDiscovered = (await long.discover({ jobId: input.jobId, pageSize: input.config.listPageSize, mode: input.mode })).discovered;
      await enter('filter');
      const filtered = await long.filter({ jobId: input.jobId, maxFileSize: input.config.maxFileSize, mode: input.mode });
      counters.itemsQueued = filtered.queued;
      counters.itemsFiltered = filtered.filtered;
      counters.itemsUnchanged = filtered.unchanged ?? 0;
      counters.itemsRenamed = filtered.renamed ?? 0;
      counters.itemsProcessed = counters.itemsUnchanged + counters.itemsRenamed;
      await enter('process');
    }
    if (phase === 'process') {
      // Several batch loops over disjoint slots of the queue, so one batch's database writes overlap
      // the next one's reads. Runs recorded before slots existed replay with a single loop.
      const slots = patched('parallel-batch-slots') ? (input.config.parallelBatches ?? 1) : 1;
      const loops = await Promise.all(Array.from({ length: slots }, (_, slot) => processLoop(slot, slots)));
      if (loops.includes('continue')) return 'continue';
      await enter('resolve');
    }
    const resolved = await long.resolveConflicts({
      jobId: input.jobId,
      massDeleteRatio: input.config.massDeleteRatio,
      massDeleteMinTracks: input.config.massDeleteMinTracks,
    });
    counters.itemsDeleted = resolved.deleted;
    counters.duplicateGroups = resolved.duplicateGroups;
    return 'done';
  };

  let outcome: 'continue' | 'done';
  try {
    outcome = await work.run(run);
  } catch (err) {
    deadline.cancel();
    if (isCancellation(err) || stopReason) {
      const timedOut = stopReason === 'timeout';
      const ending = timedOut ? 'timed_out' : 'cancelled';
      status = ending;
      const final = await CancellationScope.nonCancellable(() =>
        short.completeJob({
          jobId: input.jobId,
          status: ending,
          ...(timedOut
            ? { error: { message: `sync did not finish within ${input.config.syncTimeoutSecs} s`, kind: 'timeout', recoverable: true } }
            : {}),
        }),
      );
      Object.assign(counters, final.counters);
      phase = 'complete';
      if (timedOut) {
        throw ApplicationFailure.create({
          message: `sync timed out after ${input.config.syncTimeoutSecs} s; processed ${counters.itemsProcessed} items`,
          type: 'SyncTimeout',
          nonRetryable: true,
          details: [{ jobId: input.jobId, counters }],
        });
      }
      // A cancellation request (Web UI, `temporal workflow cancel`) ends the run as Cancelled; our cancel
      // signal is not a request in Temporal's eyes, so that run ends with a typed SyncCancelled failure.
      if (stopReason === 'cancelled') {
        throw ApplicationFailure.create({ message: 'sync cancelled', type: 'SyncCancelled', nonRetryable: true, details: [{ jobId: input.jobId, counters }] });
      }
      throw err;
    }
    const message = messageOf(err);
    status = 'failed';
    await CancellationScope.nonCancellable(() =>
      short.completeJob({ jobId: input.jobId, status: 'failed', error: { message, kind: failureKind(err), recoverable: true } }),
    );
    phase = 'complete';
    log.warn('sync failed', { jobId: input.jobId, message });
    throw ApplicationFailure.create({ message, type: 'SyncFailed', nonRetryable: true, cause: err as Error });
  }

  if (outcome === 'continue') {
    deadline.cancel();
    await condition(allHandlersFinished);
    return continueAsNew<typeof syncWorkflow>({ ...input, resume: { phase, counters, deadlineEpochMs } });
  }

  await enter('complete');
  const final = await short.completeJob({ jobId: input.jobId, status: 'completed' });
  deadline.cancel();
  status = 'completed';
  Object.assign(counters, final.counters);
  return { jobId: input.jobId, status, counters: { ...counters }, needsReview: final.needsReview };
}

function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // ActivityFailure wraps the real reason in `cause`.
  while (e?.cause && (e as { name?: string }).name === 'ActivityFailure') e = e.cause as typeof e;
  return e?.message ?? String(err);
}

function failureKind(err: unknown): string {
  let e = err as { type?: string; cause?: unknown; name?: string } | undefined;
  while (e?.cause && e.name === 'ActivityFailure') e = e.cause as typeof e;
  return e?.type ?? 'internal';
}

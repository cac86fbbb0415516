import {
  ActivityCancellationType, ApplicationFailure, CancellationScope, CancelledFailure, condition, continueAsNew, defineQuery,
  defineSignal, isCancellation, log, patched, proxyActivities, setCurrentDetails, setHandler, sleep, workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities/index.ts';
import { gracePeriodMs } from '../contract/config.ts';
import { ZERO_COUNTERS, type Counters } from '../contract/counters.ts';
import { CANCEL_SIGNAL, PROGRESS_QUERY } from '../contract/sync.ts';
import type {
  CancelRequest, JobStatus, SyncPhase, SyncProgress, SyncResult, SyncWorkflowInput, TerminalStatus,
} from '../contract/sync.ts';
import { describeSync, summaries } from './sync-details.ts';

export const cancelSignal = defineSignal<[CancelRequest?]>(CANCEL_SIGNAL);
export const progressQuery = defineQuery<SyncProgress>(PROGRESS_QUERY);

/** Runs recorded before this patch let `validateSession` record the validate phase itself and called
 * `enterPhase` for `complete` before `completeJob`; since it, the workflow records every phase it
 * enters and `completeJob` records the ending's. */
const WORKFLOW_RECORDS_PHASES = 'workflow-records-phases';

/** Since this patch a stop is settled before the job ends, so nothing is written after its terminal
 * event and no cancel is lost: when one batch loop fails or is cancelled, the other loops' batches are
 * cancelled and awaited; a step in flight is awaited too when the sync is cancelled; a cancel signal
 * or cancellation request that comes while the run is about to continue as new ends the job instead
 * of being dropped with the run; and a cancellation request while the job is being completed lets it
 * complete. */
const SETTLED_STOPS = 'settled-stops';

/** Since this patch a cancelled run ends as Canceled in the Web UI whenever a cancellation request came
 * (alone, or after a cancel signal that announced it: the run waits for it), with a CancelledFailure
 * naming who cancelled it and why; a cancel signal alone still ends it with the SyncCancelled failure. */
const CANCELED_IN_WEB_UI = 'cancel-ends-canceled';

/** How long a cancel signal that announced a cancellation request waits for it (it is sent right
 * after the signal, so it normally comes within milliseconds). */
const ANNOUNCED_REQUEST_WAIT = '1 minute';

function activities(input: SyncWorkflowInput, settlesStops: boolean) {
  const retry = {
    maximumAttempts: input.config.retryAttempts,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  };
  const short = proxyActivities<SyncActivities>({
    startToCloseTimeout: '1m',
    // The worker heartbeats every activity that has a heartbeat timeout while it lives (see
    // src/workers/worker.ts), so a worker killed during a short step is noticed in seconds, not after
    // the minute its start-to-close allows.
    heartbeatTimeout: '10s',
    retry,
    ...(settlesStops ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {}),
  });
  const long = proxyActivities<SyncActivities>({
    startToCloseTimeout: '2h',
    heartbeatTimeout: '10s',
    retry,
    // Wait for an in-flight batch to stop before the job is recorded as cancelled: its transaction
    // either committed whole or not at all, so the library never holds half a track.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return { short, long };
}

/**
 * One sync of one profile: validate, discover, filter, process in batches, resolve, complete. Cancel
 * by signal or by a cancellation request; a graceful deadline before the run timeout ends the job as
 * timed out. Long syncs continue as new between batches.
 *
 * The workflow owns the phase: it decides each one and records it through `enterPhase` (the job's
 * ending, phase `complete`, is recorded by `completeJob`). The database owns the counters: activities
 * change them in their own transactions and hand back the job's totals, which the workflow keeps only
 * to answer the progress query.
 */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncResult> {
  const info = workflowInfo();
  const recordsPhases = patched(WORKFLOW_RECORDS_PHASES);
  const settlesStops = patched(SETTLED_STOPS);
  const endsCanceled = patched(CANCELED_IN_WEB_UI);
  /** The run's root scope: cancelled by a cancellation request. */
  const root = CancellationScope.current();
  const { short, long } = activities(input, settlesStops);
  const counters: Counters = { ...(input.resume?.counters ?? ZERO_COUNTERS) };
  let phase: SyncPhase = input.resume?.phase ?? 'queued';
  let status: JobStatus = 'running';
  let stopReason: 'cancelled' | 'timeout' | undefined;
  /** Who asked the job to stop, and why (the first to ask). */
  let cancel: CancelRequest | undefined;
  /** The cancel signal said a cancellation request follows it. */
  let requestFollows = false;
  /** Batches the job has run, across its runs (numbers their summaries). */
  let batches = input.resume?.batches ?? 0;

  /** The Web UI's current details of the run (no history event: the metadata query answers them). */
  const show = (): void => setCurrentDetails(describeSync({ phase, status, counters, ...(cancel ? { cancel } : {}) }));

  /** The job's counters as an activity last reported them. Parallel batches may report out of order;
   * a report with fewer items processed is the older one and is ignored. */
  const report = (latest: Counters | undefined): void => {
    if (latest && latest.itemsProcessed >= counters.itemsProcessed) Object.assign(counters, latest);
    show();
  };

  const deadlineEpochMs =
    input.resume?.deadlineEpochMs ??
    info.runStartTime.getTime() + (info.runTimeoutMs ?? input.config.syncTimeoutSecs * 1000) -
      gracePeriodMs(input.config.syncTimeoutSecs);

  setHandler(progressQuery, () => ({ jobId: input.jobId, phase, status, counters: { ...counters } }));
  show();

  const work = new CancellationScope();
  setHandler(cancelSignal, (request) => {
    if (!stopReason) {
      stopReason = 'cancelled';
      cancel = { by: request?.by ?? 'signal', ...(request?.reason ? { reason: request.reason } : {}) };
      requestFollows = request?.withRequest === true;
    }
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
    show();
    if (next !== 'validate' || recordsPhases) await short.enterPhase({ jobId: input.jobId, phase: next });
  };

  /** Records the job's ending (and with it phase `complete`); the final counters come from the database. */
  const complete = async (ending: TerminalStatus, error?: { message: string; kind: string; recoverable: boolean }) => {
    if (ending === 'completed' && !recordsPhases) await enter('complete');
    phase = 'complete';
    const final = await short.completeJob.executeWithOptions({ summary: summaries.complete(ending, cancel) }, [{
      jobId: input.jobId, status: ending, ...(error ? { error } : {}), ...(ending === 'cancelled' && cancel ? { cancel } : {}),
    }]);
    status = final.status ?? ending;
    Object.assign(counters, final.counters);
    show();
    return final;
  };

  let stopLoops = false;
  const processLoop = async (slot: number, slots: number): Promise<'continue' | 'done'> => {
    for (;;) {
      if (stopLoops) return 'continue';
      batches += 1;
      const summary = summaries.batch(batches, slot, slots, input.config.batchSize);
      const batch = await long.processBatch.executeWithOptions({ summary }, [{
        jobId: input.jobId,
        batchSize: input.config.batchSize,
        concurrency: input.config.maxConcurrentDownloads,
        parseTimeoutMs: input.config.parseTimeoutMs,
        readStallTimeoutMs: input.config.readStallTimeoutMs,
        progressEvery: input.config.progressEvery,
        ...(slots > 1 ? { slot, slots } : {}),
      }]);
      report(batch.counters);
      if (batch.remaining === 0 || batch.processed === 0) return 'done';
      const now = workflowInfo();
      if (now.continueAsNewSuggested || now.historyLength >= input.config.historyEventsPerRun) {
        stopLoops = true; // the other loops stop after their batch in flight
        return 'continue';
      }
    }
  };

  /** The batch loops side by side. Once stops are settled, one loop failing or cancelled cancels the
   * others, and every batch in flight is awaited before the error goes on: with
   * WAIT_CANCELLATION_COMPLETED a batch either committed whole or wrote nothing, and either way it is
   * over before the job's ending is recorded. */
  const processAll = async (slots: number): Promise<('continue' | 'done')[]> => {
    if (!settlesStops) return Promise.all(Array.from({ length: slots }, (_, slot) => processLoop(slot, slots)));
    const scopes = Array.from({ length: slots }, () => new CancellationScope());
    const loops = scopes.map((scope, slot) => scope.run(() => processLoop(slot, slots)));
    try {
      return await Promise.all(loops);
    } catch (err) {
      for (const scope of scopes) scope.cancel();
      await Promise.allSettled(loops);
      throw err;
    }
  };

  const run = async (): Promise<'continue' | 'done'> => {
    if (!input.resume) {
      await short.startJob({
        jobId: input.jobId, profileId: input.profileId, mode: input.mode, workflowId: info.workflowId, runId: info.firstExecutionRunId,
      });
      await enter('validate');
      await short.validateSession({ jobId: input.jobId, wifiOnly: input.config.wifiOnly });
      await enter('discover');
      const listing = { jobId: input.jobId, pageSize: input.config.listPageSize, mode: input.mode };
      report((await long.discover.executeWithOptions({ summary: summaries.discover(input.mode) }, [listing])).counters);
      await enter('filter');
      const filtering = { jobId: input.jobId, maxFileSize: input.config.maxFileSize, mode: input.mode };
      report((await long.filter.executeWithOptions({ summary: summaries.filter(input.mode, counters.itemsDiscovered) }, [filtering])).counters);
      await enter('process');
    }
    if (phase === 'process') {
      // Several batch loops over disjoint slots of the queue, so one batch's database writes overlap
      // the next one's reads. Runs recorded before slots existed replay with a single loop.
      const slots = patched('parallel-batch-slots') ? (input.config.parallelBatches ?? 1) : 1;
      const loops = await processAll(slots);
      if (loops.includes('continue')) return 'continue';
      await enter('resolve');
    }
    report(
      (
        await long.resolveConflicts.executeWithOptions({ summary: summaries.resolve(input.config.confirmDeletions) }, [{
          jobId: input.jobId,
          massDeleteRatio: input.config.massDeleteRatio,
          massDeleteMinTracks: input.config.massDeleteMinTracks,
          confirmDeletions: input.config.confirmDeletions,
        }])
      ).counters,
    );
    return 'done';
  };

  /** Ends a stopped job (cancelled, or timed out at the graceful deadline) and the run with it. A
   * cancellation request (Web UI, `temporal workflow cancel`, the client's and the actor's cancel after
   * their signal) ends the run as Canceled; a cancel signal alone is not a request in Temporal's eyes,
   * so that run ends with a typed SyncCancelled failure. */
  const endStopped = async (err: unknown): Promise<never> => {
    const timedOut = stopReason === 'timeout';
    if (!stopReason && settlesStops) cancel ??= { by: 'cancellation request' };
    await CancellationScope.nonCancellable(() =>
      complete(
        timedOut ? 'timed_out' : 'cancelled',
        timedOut ? { message: `sync did not finish within ${input.config.syncTimeoutSecs} s`, kind: 'timeout', recoverable: true } : undefined,
      ),
    );
    if (endsCanceled && !timedOut) {
      if (requestFollows && !root.consideredCancelled) {
        await CancellationScope.nonCancellable(() => condition(() => root.consideredCancelled, ANNOUNCED_REQUEST_WAIT));
      }
      if (root.consideredCancelled) {
        const who = cancel ?? { by: 'cancellation request' };
        throw new CancelledFailure(`sync cancelled by ${who.by}${who.reason ? `: ${who.reason}` : ''}`);
      }
    }
    if (timedOut) {
      throw ApplicationFailure.create({
        message: `sync timed out after ${input.config.syncTimeoutSecs} s; processed ${counters.itemsProcessed} items`,
        type: 'SyncTimeout',
        nonRetryable: true,
        details: [{ jobId: input.jobId, counters }],
      });
    }
    if (stopReason === 'cancelled') {
      throw ApplicationFailure.create({ message: 'sync cancelled', type: 'SyncCancelled', nonRetryable: true, details: [{ jobId: input.jobId, counters }] });
    }
    throw err;
  };

  let outcome: 'continue' | 'done';
  try {
    outcome = await work.run(run);
  } catch (err) {
    deadline.cancel();
    if (isCancellation(err) || stopReason) return endStopped(err);
    const message = messageOf(err);
    await CancellationScope.nonCancellable(() => complete('failed', { message, kind: failureKind(err), recoverable: true }));
    log.warn('sync failed', { jobId: input.jobId, message });
    throw ApplicationFailure.create({ message, type: 'SyncFailed', nonRetryable: true, cause: err as Error });
  }

  if (outcome === 'continue') {
    deadline.cancel();
    if (!settlesStops) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof syncWorkflow>({ ...input, resume: { phase, counters, deadlineEpochMs, batches } });
    }
    // A cancel that came after the last batch (signal or request) ends the job here: the next run would
    // never hear of it.
    let requested: unknown;
    try {
      await condition(allHandlersFinished);
    } catch (err) {
      if (!isCancellation(err)) throw err;
      requested = err;
    }
    if (!requested && CancellationScope.current().consideredCancelled) requested = new CancelledFailure('sync cancelled');
    if (stopReason || requested) return endStopped(requested ?? new CancelledFailure('sync cancelled'));
    return continueAsNew<typeof syncWorkflow>({ ...input, resume: { phase, counters, deadlineEpochMs, batches } });
  }

  // Once resolved, the job completes: a cancel that comes now is too late to undo its deletions.
  const final = settlesStops ? await CancellationScope.nonCancellable(() => complete('completed')) : await complete('completed');
  deadline.cancel();
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

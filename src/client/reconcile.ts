// Reconciliation: a job whose run chain has closed without recording the job's ending (the run was
// terminated, timed out by the server, reset, or failed while completing the job) gets the run's real
// ending, so no job stays `running` for a run that is gone. Called when the client reads a job's
// status, when a worker starts, and every few minutes while one runs.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { isTerminal, type SyncResult } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { endJob, getJob, listUnfinishedJobs, type JobEnding } from '../db/jobs.ts';
import type { SyncJobRow } from '../db/schema.ts';
import { jobChain } from './runs.ts';

export interface ReconcileDeps {
  db: Db;
  temporal: Client;
}

/**
 * Records the real ending of a job that has not ended but whose run chain has closed, through the same
 * repository function as the workflow's own ending (phase, status, error, who cancelled, the terminal
 * event, whose payload says `reconciled: { from, runId }`), without making its listing the profile's
 * snapshot: the next sync diffs against the last one that completed. A job whose chain still runs, or
 * whose workflow the server does not know (it may be another server's), is left as it is. Returns the
 * job's row as it is now.
 */
export async function reconcileJob(deps: ReconcileDeps, job: SyncJobRow): Promise<SyncJobRow> {
  if (isTerminal(job.status)) return job;
  const ending = await closedChainEnding(deps.temporal, job);
  if (!ending) return job;
  return deps.db.transaction().execute((trx) => endJob(trx, job.id, ending));
}

/** Every job still queued or running: the ones whose chain has closed get its ending. One job's error
 * does not stop the others; it is reported through `log`. */
export async function reconcileJobs(
  deps: ReconcileDeps,
  options: { log?: (line: string) => void } = {},
): Promise<{ checked: number; reconciled: SyncJobRow[] }> {
  const reconciled: SyncJobRow[] = [];
  const jobs = await listUnfinishedJobs(deps.db);
  for (const job of jobs) {
    try {
      const now = await reconcileJob(deps, job);
      if (isTerminal(now.status)) {
        reconciled.push(now);
        options.log?.(`job ${job.id} ended with its workflow run: recorded as ${now.status.replace('_', ' ')}${now.error ? ` (${now.error})` : ''}`);
      }
    } catch (err) {
      options.log?.(`job ${job.id}: could not reconcile: ${(err as Error).message}`);
    }
  }
  return { checked: jobs.length, reconciled };
}

/** Reconciles now and then every `everyMs` (5 minutes by default) until stopped; a pass that takes
 * longer than `passTimeoutMs` gives up on its remaining Temporal calls. */
export function keepReconciling(
  deps: ReconcileDeps,
  options: { everyMs?: number; passTimeoutMs?: number; log?: (line: string) => void } = {},
): { stop: () => Promise<void> } {
  const everyMs = options.everyMs ?? 5 * 60_000;
  const passTimeoutMs = options.passTimeoutMs ?? 60_000;
  let pass: Promise<unknown> = Promise.resolve();
  const runPass = () => {
    pass = pass
      .then(() => deps.temporal.withDeadline(Date.now() + passTimeoutMs, () => reconcileJobs(deps, options)))
      .catch((err: unknown) => options.log?.(`reconciling jobs: ${(err as Error).message}`));
  };
  runPass();
  const timer = setInterval(runPass, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await pass;
    },
  };
}

/** The job's row after reconciling it, for reads that must not wait on or fail for Temporal: within
 * `timeoutMs`, and a server out of reach leaves the row as it is (the workers' passes catch up). */
export async function reconciledRow(deps: ReconcileDeps, job: SyncJobRow, timeoutMs = 2_000): Promise<SyncJobRow> {
  if (isTerminal(job.status)) return job;
  try {
    return await deps.temporal.withDeadline(Date.now() + timeoutMs, () => reconcileJob(deps, job));
  } catch {
    return (await getJob(deps.db, job.id)) ?? job;
  }
}

/** The ending of a job whose chain has closed, from the chain's last run; undefined while it runs or
 * when the server does not know the workflow. */
async function closedChainEnding(temporal: Client, job: SyncJobRow): Promise<JobEnding | undefined> {
  const chain = await jobChain(temporal, job);
  if (chain.state === 'running' || chain.state === 'unknown') return undefined;
  if (chain.state === 'superseded' && !job.run_id) {
    return {
      status: 'failed',
      error: { message: 'its workflow run ended without recording the job\'s ending, and a newer sync of the profile started since', kind: 'reconciled' },
      reconciled: { from: 'UNKNOWN', runId: null },
    };
  }
  // The chain's last run: the latest run under the workflow id, or, when a newer job's run came since,
  // the end of the chain followed from its first run.
  const runId = chain.state === 'closed' ? chain.runId : job.run_id!;
  try {
    const result = (await temporal.workflow.getHandle(job.workflow_id, runId).result()) as SyncResult;
    return { status: result.status === 'needs_review' ? 'needs_review' : 'completed', reconciled: { from: 'COMPLETED', runId } };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return endingOfFailure(err, runId);
  }
}

function endingOfFailure(err: WorkflowFailedError, runId: string): JobEnding {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) {
    return { status: 'cancelled', cancel: { by: 'cancellation request' }, reconciled: { from: 'CANCELED', runId } };
  }
  if (cause instanceof TerminatedFailure) {
    return {
      status: 'failed',
      error: { message: `its workflow run was terminated: ${cause.message || 'no reason given'}`, kind: 'terminated', recoverable: true },
      reconciled: { from: 'TERMINATED', runId },
    };
  }
  if (cause instanceof TimeoutFailure) {
    return {
      status: 'timed_out',
      error: { message: 'its workflow run reached its run timeout on the server', kind: 'timeout', recoverable: true },
      reconciled: { from: 'TIMED_OUT', runId },
    };
  }
  const reconciled = { from: 'FAILED', runId };
  if (cause instanceof ApplicationFailure && cause.type === 'SyncTimeout') {
    return { status: 'timed_out', error: { message: cause.message, kind: 'timeout', recoverable: true }, reconciled };
  }
  if (cause instanceof ApplicationFailure && cause.type === 'SyncCancelled') {
    return { status: 'cancelled', cancel: { by: 'signal' }, reconciled };
  }
  const inner = innermostFailure(cause) ?? err;
  return {
    status: 'failed',
    error: { message: inner.message, kind: (inner instanceof ApplicationFailure && inner.type) || 'internal', recoverable: true },
    reconciled,
  };
}

/** The failure that says what went wrong: through ActivityFailure and the workflow's own wrapper. */
function innermostFailure(err: Error | undefined): Error | undefined {
  let e = err;
  while (e && (e instanceof ActivityFailure || (e instanceof ApplicationFailure && e.type === 'SyncFailed')) && e.cause) e = e.cause;
  return e;
}

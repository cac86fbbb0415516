import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure, type ChildWorkflowFailure } from '@temporalio/workflow';
import type { JobStatus } from '../contract/sync.ts';

export interface SyncOutcome {
  status: JobStatus;
  error?: string;
  /** The failure's kind: the innermost typed failure (`Provider.unauthorized`, `SecretKey`, ...). */
  kind?: string;
}

/** How a sync that did not complete ended, from the failure its child workflow ended with. */
export function syncOutcome(err: ChildWorkflowFailure): SyncOutcome {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) return { status: 'cancelled' };
  if (cause instanceof TimeoutFailure) return { status: 'timed_out', error: 'the sync reached its run timeout', kind: 'timeout' };
  if (cause instanceof TerminatedFailure) return { status: 'failed', error: 'the sync was terminated', kind: 'terminated' };
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'SyncCancelled') return { status: 'cancelled' };
    if (cause.type === 'SyncTimeout') return { status: 'timed_out', error: cause.message, kind: 'timeout' };
    return { status: 'failed', error: cause.message, kind: innermostType(cause) ?? cause.type ?? 'internal' };
  }
  return { status: 'failed', error: cause?.message ?? err.message, kind: 'internal' };
}

function innermostType(failure: ApplicationFailure): string | undefined {
  let type: string | undefined;
  let e: unknown = failure.cause;
  while (e) {
    if (e instanceof ApplicationFailure && e.type) type = e.type;
    e = (e as { cause?: unknown }).cause;
  }
  return type;
}

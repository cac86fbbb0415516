// What the workflow, its activities and the client pass each other: ids, counts and cursors, never file
// lists. Pure types and constants; workflow code imports them.
import type { SyncConfig } from './config.ts';
import type { Counters } from './counters.ts';

export type SyncMode = 'full' | 'incremental';
/** `needs_review`: the mass-deletion guard stopped the job's deletions; nothing was deleted, and a
 * confirmed sync deletes them. */
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'needs_review';
export type TerminalStatus = Exclude<JobStatus, 'queued' | 'running'>;
export type SyncPhase =
  | 'queued' | 'validate' | 'discover' | 'filter' | 'process' | 'resolve' | 'complete';

const TERMINAL: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'timed_out', 'needs_review'];

/** A job in one of these states has ended and never changes again. */
export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL as readonly string[]).includes(status);
}

export interface SyncWorkflowInput {
  jobId: string;
  profileId: string;
  mode: SyncMode;
  config: SyncConfig;
  /** Set when the run continues as new, so the next run picks up where this one was (`batches`: how
   * many batches the job has run, for their summaries; absent in runs recorded before it was carried). */
  resume?: { phase: SyncPhase; counters: Counters; deadlineEpochMs: number; batches?: number };
}

/** Who asks a job to stop, and why: the payload of the cancel signal, and what the job records
 * (`cancelled_by`, `cancel_reason`). The client sends `by: 'client'` unless told otherwise, the CLI
 * `by: 'cli'`; a Temporal cancellation request is recorded as `by: 'cancellation request'`. */
export interface CancelRequest {
  by?: string;
  reason?: string;
  /** The sender requests cancellation of the run right after this signal (the client and the actor
   * do), so the run waits for that request and ends as Canceled in the Web UI. Never recorded. */
  withRequest?: boolean;
}

/** How a sync ended without failing: `completed`, or `needs_review` when the mass-deletion guard held
 * its deletions back (then `needsReview` says what and how to confirm them). */
export interface SyncResult {
  jobId: string;
  status: JobStatus;
  counters: Counters;
  needsReview: string | null;
}

export interface SyncProgress {
  jobId: string;
  phase: SyncPhase;
  status: JobStatus;
  counters: Counters;
}

// ---- activities: one input object per call; results that change counters carry the job's counters

/** `runId`: the first run id of the workflow execution chain that runs the job (recorded once). */
export interface StartJobInput { jobId: string; profileId: string; mode: SyncMode; workflowId: string; runId?: string }
export interface PhaseInput { jobId: string; phase: SyncPhase }
export interface ValidateInput { jobId: string; wifiOnly: boolean }
export interface DiscoverInput { jobId: string; pageSize: number; mode?: SyncMode }
export interface DiscoverResult { discovered: number; counters: Counters }
export interface FilterInput { jobId: string; maxFileSize: number; mode?: SyncMode }
/** `unchanged` and `renamed` are settled by the incremental diff without reading a byte. */
export interface FilterResult { queued: number; filtered: number; unchanged: number; renamed: number; counters: Counters }
export interface ProcessBatchInput {
  jobId: string;
  batchSize: number;
  concurrency: number;
  parseTimeoutMs: number;
  /** A single read that makes no progress for this long fails its file (absent in runs recorded
   * before it existed: parseTimeoutMs then). */
  readStallTimeoutMs?: number;
  progressEvery: number;
  /** With `slots`, this batch takes only items whose id % slots = slot (parallel batch loops). */
  slot?: number;
  slots?: number;
}
/** What one batch did; `counters` are the job's totals after it. */
export interface ProcessBatchResult {
  processed: number;
  added: number;
  updated: number;
  renamed: number;
  unchanged: number;
  failed: number;
  bytesRead: number;
  /** Items still pending after this batch (in its slot, when it has one). */
  remaining: number;
  counters: Counters;
}
/** `confirmDeletions`: delete what the mass-deletion guard would hold back (this sync only). */
export interface ResolveInput { jobId: string; massDeleteRatio: number; massDeleteMinTracks: number; confirmDeletions?: boolean }
export interface ResolveResult { deleted: number; duplicateGroups: number; needsReview: string | null; counters: Counters }
/** `status: 'completed'` of a job the mass-deletion guard held back ends it as `needs_review`. */
export interface CompleteJobInput {
  jobId: string;
  status: TerminalStatus;
  error?: { message: string; kind: string; recoverable: boolean };
  /** Who stopped a cancelled job, and why. */
  cancel?: CancelRequest;
}
/** `status`: the job's final status (absent in results recorded before it was returned). */
export interface CompleteJobResult { counters: Counters; needsReview: string | null; status?: TerminalStatus }

// ---- names shared by the workflow, the worker and the client

export const SYNC_TASK_QUEUE = 'music-sync';
export const SYNC_WORKFLOW_TYPE = 'syncWorkflow';
export const CANCEL_SIGNAL = 'cancel';
export const PROGRESS_QUERY = 'progress';

/** One workflow id per profile: Temporal's id-conflict policy is what makes a second start fail. The
 * profile's actor starts its syncs under `syncIdForProfile` (the name a person knows); syncs started
 * before it did, and by clients of the version before actors, run under this one, so whoever looks a
 * sync up goes by its job's recorded workflow id, or tries both. */
export function workflowIdForProfile(profileId: string): string {
  return `music-sync/${profileId}`;
}

/** The workflow id of the syncs a profile's actor starts: `music-sync/profile/<name>/sync`, beside the
 * actor's own `music-sync/profile/<name>` (profile names are unique and never change). */
export function syncIdForProfile(profileName: string): string {
  return `music-sync/profile/${profileName}/sync`;
}

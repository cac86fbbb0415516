// What the workflow, its activities and the client pass each other: ids, counts and cursors, never file
// lists. Pure types and constants; workflow code imports them.
import type { SyncConfig } from './config.ts';
import type { Counters } from './counters.ts';

export type SyncMode = 'full' | 'incremental';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
export type TerminalStatus = Exclude<JobStatus, 'queued' | 'running'>;
export type SyncPhase =
  | 'queued' | 'validate' | 'discover' | 'filter' | 'process' | 'resolve' | 'complete';

const TERMINAL: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'timed_out'];

/** A job in one of these states has ended and never changes again. */
export function isTerminal(status: string): status is TerminalStatus {
  return (TERMINAL as readonly string[]).includes(status);
}

export interface SyncWorkflowInput {
  jobId: string;
  profileId: string;
  mode: SyncMode;
  config: SyncConfig;
  /** Set when the run continues as new, so the next run picks up where this one was. */
  resume?: { phase: SyncPhase; counters: Counters; deadlineEpochMs: number };
}

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

export interface StartJobInput { jobId: string; profileId: string; mode: SyncMode; workflowId: string }
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
export interface ResolveInput { jobId: string; massDeleteRatio: number; massDeleteMinTracks: number }
export interface ResolveResult { deleted: number; duplicateGroups: number; needsReview: string | null; counters: Counters }
export interface CompleteJobInput {
  jobId: string;
  status: TerminalStatus;
  error?: { message: string; kind: string; recoverable: boolean };
}
export interface CompleteJobResult { counters: Counters; needsReview: string | null }

// ---- names shared by the workflow, the worker and the client

export const SYNC_TASK_QUEUE = 'music-sync';
export const SYNC_WORKFLOW_TYPE = 'syncWorkflow';
export const CANCEL_SIGNAL = 'cancel';
export const PROGRESS_QUERY = 'progress';

/** One workflow id per profile: Temporal's id-conflict policy is what makes a second start fail. */
export function workflowIdForProfile(profileId: string): string {
  return `music-sync/${profileId}`;
}

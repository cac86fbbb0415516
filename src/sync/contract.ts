// What the workflow and its activities pass each other: ids, counts and cursors, never file lists.
// Pure types and constants, imported by the workflow.
import type { SyncConfig } from './config.ts';

export type SyncMode = 'full' | 'incremental';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
export type SyncPhase =
  | 'queued' | 'validate' | 'discover' | 'filter' | 'process' | 'resolve' | 'complete';

export interface Counters {
  itemsDiscovered: number;
  itemsFiltered: number;
  itemsQueued: number;
  itemsProcessed: number;
  itemsAdded: number;
  itemsUpdated: number;
  itemsRenamed: number;
  itemsUnchanged: number;
  itemsFailed: number;
  itemsDeleted: number;
  duplicateGroups: number;
  bytesRead: number;
}

export const ZERO_COUNTERS: Counters = {
  itemsDiscovered: 0, itemsFiltered: 0, itemsQueued: 0, itemsProcessed: 0, itemsAdded: 0,
  itemsUpdated: 0, itemsRenamed: 0, itemsUnchanged: 0, itemsFailed: 0, itemsDeleted: 0,
  duplicateGroups: 0, bytesRead: 0,
};

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

export interface StartJobInput { jobId: string; profileId: string; mode: SyncMode; workflowId: string }
export interface ValidateInput { jobId: string; wifiOnly: boolean }
export interface DiscoverInput { jobId: string; pageSize: number; mode?: SyncMode }
export interface DiscoverResult { discovered: number }
export interface FilterInput { jobId: string; maxFileSize: number; mode?: SyncMode }
/** `unchanged` and `renamed` are settled by the incremental diff without reading a byte. */
export interface FilterResult { queued: number; filtered: number; unchanged?: number; renamed?: number }
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
}
export interface ResolveInput { jobId: string; massDeleteRatio: number; massDeleteMinTracks: number }
export interface ResolveResult { deleted: number; duplicateGroups: number; needsReview: string | null }
export interface CompleteJobInput {
  jobId: string;
  status: Exclude<JobStatus, 'queued' | 'running'>;
  error?: { message: string; kind: string; recoverable: boolean };
}
export interface CompleteJobResult { counters: Counters; needsReview: string | null }
export interface PhaseInput { jobId: string; phase: SyncPhase }

export const SYNC_TASK_QUEUE = 'music-sync';
export const CANCEL_SIGNAL = 'cancel';
export const PROGRESS_QUERY = 'progress';

/** One workflow id per profile: Temporal's id-conflict policy is what makes a second start fail. */
export function workflowIdForProfile(profileId: string): string {
  return `music-sync/${profileId}`;
}

export type { SyncConfig };

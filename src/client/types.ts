import type { Counters } from '../contract/counters.ts';
import type { JobStatus, SyncMode, SyncPhase } from '../contract/sync.ts';
import type { TrackFile, TrackTags } from '../contract/track.ts';

/** One sync job: what it is, where it stands, and its counters. */
export interface SyncJob extends Counters {
  id: string;
  profileId: string;
  provider: string;
  mode: SyncMode;
  status: JobStatus;
  phase: SyncPhase;
  workflowId: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cursor: string | null;
  error: string | null;
  errorKind: string | null;
  needsReview: string | null;
}

export type SyncEvent =
  | { id: string; jobId: string; type: 'started'; at: Date; profileId: string; provider: string; mode: SyncMode }
  | { id: string; jobId: string; type: 'progress'; at: Date; phase: SyncPhase; counters?: Partial<Counters>; needsReview?: string }
  | { id: string; jobId: string; type: 'completed'; at: Date; status: JobStatus; counters: Counters; needsReview?: string }
  | { id: string; jobId: string; type: 'failed'; at: Date; status: JobStatus; counters: Counters; message: string; kind: string; recoverable: boolean }
  | { id: string; jobId: string; type: 'cancelled'; at: Date; status: JobStatus; counters: Counters };

/** A track of the library: the file it was read from, its content hash, and its tags. */
export interface Track extends TrackFile, TrackTags {
  id: string;
  /** `sha256:<hex>` of the whole file: equal content, equal hash. */
  contentHash: string;
  /** Set when the file left the listing; the same id comes back if it returns. */
  deletedAt: Date | null;
}

export interface ProfileInfo {
  id: string;
  name: string;
  provider: string;
  root: string;
  settings: Record<string, unknown>;
  createdAt: Date;
}

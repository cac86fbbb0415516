import type { Counters } from '../contract/counters.ts';
import type { JobStatus, SyncMode, SyncPhase } from '../contract/sync.ts';
import type { TrackFile, TrackTags, AudioHashScope } from '../contract/track.ts';

/** One sync job: what it is, where it stands, and its counters. */
export interface SyncJob extends Counters {
  id: string;
  profileId: string;
  provider: string;
  mode: SyncMode;
  status: JobStatus;
  phase: SyncPhase;
  workflowId: string;
  /** The first run id of the workflow run chain that runs the job (null for jobs recorded before it was). */
  runId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cursor: string | null;
  error: string | null;
  errorKind: string | null;
  /** Set by the mass-deletion guard (then `status` is `needs_review`): what it held back and the
   * command that confirms the deletion. */
  needsReview: string | null;
  /** Who stopped a cancelled job (`cli`, `client`, `cancellation request`, ...) and why. */
  cancelledBy: string | null;
  cancelReason: string | null;
  /** Live tracks of the profile when the job started: the mass-deletion guard's baseline. */
  tracksBefore: number | null;
  /** Who asked for it: `cli`, `client`, `schedule`, `watch` or `push` (null for jobs started before
   * syncs went through the profile's actor). */
  requestedBy: string | null;
}

/** How a job's run ended, when reconciliation recorded it rather than the workflow: the run's status
 * as Temporal names it (`TERMINATED`, `TIMED_OUT`, `FAILED`, `CANCELED`, `COMPLETED`) and its run id. */
export interface Reconciled {
  from: string;
  runId: string | null;
}

/** Fields of every terminal event. */
interface Ending {
  status: JobStatus;
  counters: Counters;
  cancelledBy?: string;
  cancelReason?: string;
  reconciled?: Reconciled;
}

export type SyncEvent =
  | { id: string; jobId: string; type: 'started'; at: Date; profileId: string; provider: string; mode: SyncMode }
  /** `note`: something the sync decided that a person should know (a change feed that could not be
   * read from its cursor, so everything was listed). */
  | { id: string; jobId: string; type: 'progress'; at: Date; phase: SyncPhase; counters?: Partial<Counters>; needsReview?: string; note?: string }
  /** `needsReview` only on jobs recorded before `needs_review` was a status of its own. */
  | ({ id: string; jobId: string; type: 'completed'; at: Date; needsReview?: string } & Ending)
  | ({ id: string; jobId: string; type: 'failed'; at: Date; message: string; kind: string; recoverable: boolean } & Ending)
  | ({ id: string; jobId: string; type: 'cancelled'; at: Date } & Ending)
  /** The mass-deletion guard held `gone` of the `baseline` tracks back; `confirmCommand` deletes them. */
  | ({ id: string; jobId: string; type: 'needs_review'; at: Date; needsReview: string; gone: number; baseline: number; confirmCommand: string } & Ending);

/** A track of the library: the file it was read from, its content hash, and its tags. */
export interface Track extends TrackFile, TrackTags {
  id: string;
  /** `sha256:<hex>` of the whole file: equal content, equal hash. */
  contentHash: string;
  /** `sha256:<hex>` of the audio stream alone (scope `stream`: the same recording under other tags has
   * the same one), or of the whole file where the format cannot be split (scope `file`); null for a
   * track not read since audio hashes exist. */
  audioHash: string | null;
  audioHashScope: AudioHashScope | null;
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

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

/** One page of a list: the items, how many match in all and after this page, and the key to go on
 * from. `total` and `remaining` are null when the query asked for no count (`count: false`: a loop
 * over every page counts nothing). */
export interface Page<T> {
  items: T[];
  total: number | null;
  remaining: number | null;
  /** The last item's key, to pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/** Paging of a list: `offset` skips that many items; `after` (the `next` of the previous page)
 * goes on after that item, unaffected by items added or removed before it. Not both. */
export interface PageQuery {
  /** 1 to 5,000 (default 50). */
  limit?: number;
  offset?: number;
  after?: string;
  /** Count `total` and `remaining` (default true). */
  count?: boolean;
}

/** Which tracks: `live` (default), `deleted` (tombstones of files that left the listing) or `all`. */
export type TrackStatus = 'live' | 'deleted' | 'all';

/** Tracks of a profile in path order (then id); `after` is a track id. `pathPrefix` matches the
 * start of the path as written (`Jazz/` for a folder); `search` finds text in the title, artists,
 * album or album artist, ignoring case (`%` and `_` are plain characters). */
export interface TrackQuery extends PageQuery {
  profile: string;
  status?: TrackStatus;
  pathPrefix?: string;
  search?: string;
}

/** Duplicate groups of a profile, identical ones first, each kind by first path; a group matches
 * `pathPrefix` or `search` when one of its tracks does. No `after`: groups are paged by offset. */
export interface DuplicateQuery extends Omit<PageQuery, 'after'> {
  profile: string;
  kind?: 'identical' | 'same-audio';
  pathPrefix?: string;
  search?: string;
}

/** The files a job could not read, in path order; `after` is a path. `search` finds text in the path
 * or the reason, ignoring case. */
export interface FailedQuery extends PageQuery {
  jobId: string;
  pathPrefix?: string;
  search?: string;
}

/** Sync jobs, newest first; `after` is a job id. `profile` is a name or id. */
export interface JobQuery extends PageQuery {
  profile?: string;
  provider?: string;
  status?: JobStatus;
}

// Kysely's view of the current schema. `migrations/` creates it and is frozen in time; the types here
// derive every column that has a name in code (counters, a listed file, a track's tags) from that
// name (src/db/columns.ts), so the code and the schema cannot drift apart silently.
// bigint columns (ids, sizes, byte counts) arrive as numbers: src/db/connect.ts parses them.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Counters } from '../contract/counters.ts';
import type { JobStatus, SyncMode, SyncPhase } from '../contract/sync.ts';
import type { AudioHashScope, FlatTrackTags, TrackFile } from '../contract/track.ts';
import type { ProviderFile } from '../providers/types.ts';
import type { Columns, SnakeCase } from './columns.ts';

/** Set by the database on insert, never written by us. */
type CreatedAt = ColumnType<Date, undefined, never>;

export interface ProfilesTable {
  id: string;
  name: string;
  provider: string;
  root: string;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
  /** The job whose listing snapshot is current (incremental syncs diff against it). */
  snapshot_job_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The provider's listing as of a profile's last successful sync, with each file's verdict. */
export interface ListingSnapshotsTable extends Columns<Omit<ProviderFile, 'mimeType'>> {
  profile_id: string;
  status: ScanItemStatus;
  reason: string | null;
  job_id: string;
  listed_at: Date;
}

/** Each counter in the column of its snake_case name, 0 until counted. */
type CounterColumns = { [K in keyof Counters as SnakeCase<K>]: ColumnType<number, number | undefined, number> };

export interface SyncJobsTable extends CounterColumns {
  id: string;
  profile_id: string;
  provider: string;
  mode: SyncMode;
  status: JobStatus;
  phase: ColumnType<SyncPhase, SyncPhase | undefined, SyncPhase>;
  workflow_id: string;
  created_at: CreatedAt;
  started_at: Date | null;
  finished_at: Date | null;
  cursor: string | null;
  provider_cursor: ColumnType<string | null, string | null | undefined, string | null>;
  error: string | null;
  error_kind: string | null;
  needs_review: string | null;
  /** The first run id of the workflow execution that runs the job (continue-as-new keeps it). */
  run_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Who stopped a cancelled job (`cli`, `client`, `cancellation request`, ...) and why. */
  cancelled_by: ColumnType<string | null, string | null | undefined, string | null>;
  cancel_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** Live tracks of the profile when the job started: the mass-deletion guard's baseline. */
  tracks_before: ColumnType<number | null, number | null | undefined, number | null>;
  /** The job listed the whole root: its folders replace the profile's folder index. */
  listed_whole: ColumnType<boolean, boolean | undefined, boolean>;
  /** Who asked for the job (`cli`, `client`, `schedule`, `watch`, `push`); null before the actor. */
  requested_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export type EventType = 'started' | 'progress' | 'completed' | 'failed' | 'cancelled' | 'needs_review';

export interface SyncEventsTable {
  id: Generated<number>;
  job_id: string;
  key: string;
  type: EventType;
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: CreatedAt;
}

/** `kept`: under a folder that could not be listed, so kept as the snapshot had it (neither read nor deleted). */
export type ScanItemStatus = 'discovered' | 'filtered' | 'pending' | 'unchanged' | 'done' | 'failed' | 'removed' | 'kept';

/** One listed file in one job's durable work queue, with its verdict and outcome. */
export interface ScanItemsTable extends Columns<ProviderFile> {
  id: Generated<number>;
  job_id: string;
  status: ColumnType<ScanItemStatus, ScanItemStatus | undefined, ScanItemStatus>;
  outcome: string | null;
  reason: string | null;
  track_id: string | null;
  listed_at: ColumnType<Date, Date | undefined, Date>;
  /** Bytes transferred to read the file (null until it is read). */
  bytes_read: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface TracksTable extends Columns<TrackFile>, Columns<FlatTrackTags> {
  id: string;
  profile_id: string;
  /** The file's content identity as `<kind>:<hex>`: `sha256:` of the whole file as read, or the
   * provider's own hash (`md5:` an S3 ETag, ...) where one was listed; compared only like with like. */
  content_hash: string;
  /** `sha256:<hex>` of the audio stream alone (scope `stream`) or of the whole file where the format
   * cannot be split (scope `file`); null for tracks read before it was computed and for files whose
   * audio was not read (a provider hash stood for the content). */
  audio_hash: string | null;
  audio_hash_scope: AudioHashScope | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  last_job_id: string | null;
  /** Set when the file left the listing (a tombstone: the id comes back if the file does). */
  deleted_at: Date | null;
}

export interface Database {
  profiles: ProfilesTable;
  sync_jobs: SyncJobsTable;
  sync_events: SyncEventsTable;
  scan_items: ScanItemsTable;
  tracks: TracksTable;
  listing_snapshots: ListingSnapshotsTable;
  profile_secrets: ProfileSecretsTable;
  account_throttles: AccountThrottlesTable;
  profile_folders: ProfileFoldersTable;
  push_channels: PushChannelsTable;
}

/** One sealed credential of a profile (see secrets/secret-box.ts). */
export interface ProfileSecretsTable {
  profile_id: string;
  name: string;
  sealed: Buffer;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** Throttling seen on one provider account, shared across worker processes. */
export interface AccountThrottlesTable {
  account: string;
  paused_until: Date;
  concurrency: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** One folder of a profile's folder index (providers whose feeds name folders by id): committed
 * (`pending` false) or changed by the sync under way (`pending` true, by `job_id`). */
export interface ProfileFoldersTable {
  profile_id: string;
  folder_id: string;
  pending: boolean;
  job_id: string;
  parent_id: string | null;
  name: string;
  removed: ColumnType<boolean, boolean | undefined, boolean>;
}

/** How a cloud profile hears of its changes (src/push): a Drive channel, a Graph subscription, or the
 * Dropbox account the profile is linked to. */
export interface PushChannelsTable {
  /** Drive's channel id, Graph's subscription id; `dropbox/<profile id>` for a Dropbox account. */
  id: string;
  profile_id: string;
  provider: string;
  /** What the provider names in its notifications: Drive's resource id, the Dropbox account id. */
  resource_id: string | null;
  /** SHA-256 of the secret the notifications carry (Drive's channel token, Graph's clientState). */
  token_hash: Buffer | null;
  /** Where the provider sends the notifications. */
  address: string | null;
  expires_at: Date | null;
  /** When it was made (a Dropbox account: when it was last looked up). */
  created_at: ColumnType<Date, undefined, Date>;
}

export type Profile = Selectable<ProfilesTable>;
export type SyncJobRow = Selectable<SyncJobsTable>;
export type SyncEventRow = Selectable<SyncEventsTable>;
export type ScanItem = Selectable<ScanItemsTable>;
export type TrackRow = Selectable<TracksTable>;
export type NewTrack = Insertable<TracksTable>;

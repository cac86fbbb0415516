// Kysely's view of the current schema (migrations/ is the source of truth).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Counter = ColumnType<number, number | undefined, number>;
/** bigint columns arrive from pg as strings; we parse them where we read them. */
type BigCount = ColumnType<string, number | string | undefined, number | string>;

export interface ProfilesTable {
  id: string;
  name: string;
  provider: string;
  root: string;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: ColumnType<Date, undefined, never>;
  /** The job whose listing snapshot is current (incremental syncs diff against it). */
  snapshot_job_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The provider's listing as of a profile's last successful sync, with each file's verdict. */
export interface ListingSnapshotsTable {
  profile_id: string;
  path: string;
  file_id: string;
  size: BigCount;
  modified_at: Timestamp | null;
  provider_hash: string | null;
  status: ScanItemStatus;
  reason: string | null;
  job_id: string;
  listed_at: Timestamp;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';
export type SyncMode = 'full' | 'incremental';

export interface SyncJobsTable {
  id: string;
  profile_id: string;
  provider: string;
  mode: SyncMode;
  status: JobStatus;
  phase: ColumnType<string, string | undefined, string>;
  workflow_id: string;
  created_at: ColumnType<Date, undefined, never>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  items_discovered: Counter;
  items_filtered: Counter;
  items_queued: Counter;
  items_processed: Counter;
  items_added: Counter;
  items_updated: Counter;
  items_renamed: Counter;
  items_unchanged: Counter;
  items_failed: Counter;
  items_deleted: Counter;
  duplicate_groups: Counter;
  bytes_read: BigCount;
  cursor: string | null;
  provider_cursor: ColumnType<string | null, string | null | undefined, string | null>;
  error: string | null;
  error_kind: string | null;
  needs_review: string | null;
}

export type EventType = 'started' | 'progress' | 'completed' | 'failed' | 'cancelled';

export interface SyncEventsTable {
  id: Generated<string>;
  job_id: string;
  key: string;
  type: EventType;
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, undefined, never>;
}

export type ScanItemStatus = 'discovered' | 'filtered' | 'pending' | 'unchanged' | 'done' | 'failed' | 'removed';

export interface ScanItemsTable {
  id: Generated<string>;
  job_id: string;
  file_id: string;
  path: string;
  size: BigCount;
  modified_at: Timestamp | null;
  mime_type: string | null;
  provider_hash: string | null;
  status: ColumnType<ScanItemStatus, ScanItemStatus | undefined, ScanItemStatus>;
  outcome: string | null;
  reason: string | null;
  track_id: string | null;
  listed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface TracksTable {
  id: string;
  profile_id: string;
  file_id: string;
  path: string;
  size: BigCount;
  modified_at: Timestamp | null;
  content_hash: string;
  title: string;
  artists: ColumnType<string[], string[] | undefined, string[]>;
  album: string | null;
  album_artist: string | null;
  track_no: number | null;
  track_total: number | null;
  disc_no: number | null;
  disc_total: number | null;
  year: number | null;
  genres: ColumnType<string[], string[] | undefined, string[]>;
  duration_ms: number | null;
  codec: string | null;
  container: string | null;
  bitrate: number | null;
  sample_rate: number | null;
  channels: number | null;
  lossless: boolean | null;
  mb_track_id: string | null;
  mb_recording_id: string | null;
  mb_album_id: string | null;
  mb_artist_ids: ColumnType<string[], string[] | undefined, string[]>;
  mb_album_artist_ids: ColumnType<string[], string[] | undefined, string[]>;
  replaygain_track_gain_db: number | null;
  replaygain_track_peak: number | null;
  replaygain_album_gain_db: number | null;
  replaygain_album_peak: number | null;
  has_artwork: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_job_id: string | null;
  deleted_at: Timestamp | null;
}

export interface Database {
  profiles: ProfilesTable;
  sync_jobs: SyncJobsTable;
  sync_events: SyncEventsTable;
  scan_items: ScanItemsTable;
  tracks: TracksTable;
  listing_snapshots: ListingSnapshotsTable;
}

export type Profile = Selectable<ProfilesTable>;
export type SyncJobRow = Selectable<SyncJobsTable>;
export type SyncEventRow = Selectable<SyncEventsTable>;
export type ScanItem = Selectable<ScanItemsTable>;
export type TrackRow = Selectable<TracksTable>;
export type NewTrack = Insertable<TracksTable>;
export type TrackUpdate = Updateable<TracksTable>;

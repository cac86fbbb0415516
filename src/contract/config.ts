// SyncConfig: the knobs of one sync, with the defaults a home library on a laptop wants. Pure data: the
// workflow imports it, so nothing here may touch Node APIs.
import { FLAT_TAG_NAMES, TRACK_FILE_KEYS } from './track.ts';

export interface SyncConfig {
  /** Files read at once inside one batch. */
  maxConcurrentDownloads: number;
  /** Files per process activity: one transaction, one history entry. At most `MAX_BATCH_SIZE`. */
  batchSize: number;
  /** Process activities in flight at once, each on its own slot of the queue. */
  parallelBatches: number;
  /** Attempts per activity before the sync fails (1 = no retry). */
  retryAttempts: number;
  /** Workflow run timeout; the job ends as timed out a grace period before it (`gracePeriodMs`). */
  syncTimeoutSecs: number;
  /** Larger files are filtered out with a reason. */
  maxFileSize: number;
  /** Network policy hook: refuse to sync over metered networks (providers that know). */
  wifiOnly: boolean;
  /** A Progress event every N processed items (and at each phase change). */
  progressEvery: number;
  /** Files per listing page written to the work queue. At most `MAX_LIST_PAGE_SIZE`. */
  listPageSize: number;
  /** Upper bound on reading one file's tags. */
  parseTimeoutMs: number;
  /** A single read that makes no progress for this long fails the file (a stalled mount or server),
   * however long the whole file may take. */
  readStallTimeoutMs: number;
  /** A listing that would soft-delete more than this share of the live library as it was when the job
   * started (and at least `massDeleteMinTracks` tracks) deletes nothing and ends the job as
   * `needs_review`: an empty or unmounted folder must never wipe a library. */
  massDeleteRatio: number;
  massDeleteMinTracks: number;
  /** This one sync deletes what the mass-deletion guard would hold back: the user looked and the
   * files are really gone. */
  confirmDeletions: boolean;
  /** A run continues as new past this many history events (or when the server suggests it),
   * so a sync of any size stays far below Temporal's 51,200-event limit. */
  historyEventsPerRun: number;
}

export const DEFAULT_SYNC_CONFIG: SyncConfig = {
  maxConcurrentDownloads: 4,
  batchSize: 100,
  parallelBatches: 2,
  retryAttempts: 5,
  syncTimeoutSecs: 6 * 60 * 60,
  maxFileSize: 2 * 1024 ** 3,
  wifiOnly: false,
  progressEvery: 100,
  listPageSize: 1000,
  parseTimeoutMs: 30_000,
  readStallTimeoutMs: 30_000,
  massDeleteRatio: 0.5,
  massDeleteMinTracks: 20,
  confirmDeletions: false,
  historyEventsPerRun: 4_000,
};

/** Postgres takes at most this many bind parameters in one statement (a 16-bit count in its protocol). */
const MAX_BIND_PARAMETERS = 65_535;

/** Columns of one row of the widest statement `batchSize` sizes: the tracks insert of a batch
 * (db/persist-batch.ts), one parameter each: id, profile_id, the file's columns, content_hash,
 * audio_hash, audio_hash_scope, last_job_id, updated_at, deleted_at, and one per tag (39 today). */
export const TRACK_ROW_PARAMETERS = 8 + TRACK_FILE_KEYS.length + FLAT_TAG_NAMES.length;

/** Columns of one row of the widest statement `listPageSize` sizes: a listing page's insert into the
 * work queue (db/scan-items.ts): job_id and the listed file's columns (the track file's, mime_type,
 * provider_hash, revision: 8 today). */
export const LISTED_FILE_PARAMETERS = 8;

/** 65,535 / 39 = 1,680 files per batch today. */
export const MAX_BATCH_SIZE = Math.floor(MAX_BIND_PARAMETERS / TRACK_ROW_PARAMETERS);
/** 65,535 / 8 = 8,191 files per listing page. */
export const MAX_LIST_PAGE_SIZE = Math.floor(MAX_BIND_PARAMETERS / LISTED_FILE_PARAMETERS);

/** The longest run timeout the server can hold: it counts durations in int64 nanoseconds. */
const MAX_SYNC_TIMEOUT_SECS = Math.floor(9_223_372_036_854_775_807 / 1e9);

const POSITIVE_INTS = [
  'maxConcurrentDownloads', 'batchSize', 'parallelBatches', 'retryAttempts', 'syncTimeoutSecs', 'maxFileSize',
  'progressEvery', 'listPageSize', 'parseTimeoutMs', 'readStallTimeoutMs', 'massDeleteMinTracks', 'historyEventsPerRun',
] as const satisfies readonly (keyof SyncConfig)[];
const BOOLEANS = ['wifiOnly', 'confirmDeletions'] as const satisfies readonly (keyof SyncConfig)[];

/** The defaults with `partial` over them, checked: a value that would break a statement, the server or
 * the workflow is a RangeError naming the field (the client turns it into InvalidInputError). */
export function resolveConfig(partial: Partial<SyncConfig> | undefined): SyncConfig {
  const given = stripUndefined(partial ?? {});
  for (const key of Object.keys(given)) {
    if (!(key in DEFAULT_SYNC_CONFIG)) throw new RangeError(`SyncConfig has no field ${key}`);
  }
  const config = { ...DEFAULT_SYNC_CONFIG, ...given };
  for (const key of POSITIVE_INTS) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`SyncConfig.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  for (const key of BOOLEANS) {
    if (typeof config[key] !== 'boolean') throw new RangeError(`SyncConfig.${key} must be true or false, got ${JSON.stringify(config[key])}`);
  }
  if (config.batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(
      `SyncConfig.batchSize must be at most ${MAX_BATCH_SIZE} (a batch's track insert binds ${TRACK_ROW_PARAMETERS} ` +
        `parameters per file, and Postgres takes at most ${MAX_BIND_PARAMETERS}), got ${config.batchSize}`,
    );
  }
  if (config.listPageSize > MAX_LIST_PAGE_SIZE) {
    throw new RangeError(
      `SyncConfig.listPageSize must be at most ${MAX_LIST_PAGE_SIZE} (a listing page's insert binds up to ` +
        `${LISTED_FILE_PARAMETERS} parameters per file, and Postgres takes at most ${MAX_BIND_PARAMETERS}), got ${config.listPageSize}`,
    );
  }
  if (typeof config.massDeleteRatio !== 'number' || !(config.massDeleteRatio > 0 && config.massDeleteRatio <= 1)) {
    throw new RangeError(`SyncConfig.massDeleteRatio must be in (0, 1], got ${JSON.stringify(config.massDeleteRatio)}`);
  }
  const grace = gracePeriodMs(config.syncTimeoutSecs);
  // The job ends itself a grace period before the run timeout; it needs at least as long again to work.
  if (config.syncTimeoutSecs * 1000 < 2 * grace) {
    throw new RangeError(
      `SyncConfig.syncTimeoutSecs must be at least ${(2 * grace) / 1000} (the job stops itself ${grace / 1000} s ` +
        `before the run timeout), got ${config.syncTimeoutSecs}`,
    );
  }
  if (config.syncTimeoutSecs > MAX_SYNC_TIMEOUT_SECS) {
    throw new RangeError(`SyncConfig.syncTimeoutSecs must be at most ${MAX_SYNC_TIMEOUT_SECS}, got ${config.syncTimeoutSecs}`);
  }
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** How long before the run timeout the workflow stops itself: enough for the batch in flight to
 * notice the cancellation and wind down, and for the job to be recorded as timed out. */
export function gracePeriodMs(syncTimeoutSecs: number): number {
  return Math.min(60_000, Math.max(5_000, syncTimeoutSecs * 100));
}

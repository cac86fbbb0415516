// SyncConfig: the knobs of one sync, with the defaults a home library on a laptop wants. Pure data: the
// workflow imports it, so nothing here may touch Node APIs.

export interface SyncConfig {
  /** Files read at once inside one batch. */
  maxConcurrentDownloads: number;
  /** Files per process activity: one transaction, one history entry. */
  batchSize: number;
  /** Process activities in flight at once, each on its own slot of the queue. */
  parallelBatches: number;
  /** Attempts per activity before the sync fails (1 = no retry). */
  retryAttempts: number;
  /** Workflow run timeout; the job ends as timed out a little before it. */
  syncTimeoutSecs: number;
  /** Larger files are filtered out with a reason. */
  maxFileSize: number;
  /** Network policy hook: refuse to sync over metered networks (providers that know). */
  wifiOnly: boolean;
  /** A Progress event every N processed items (and at each phase change). */
  progressEvery: number;
  /** Files per listing page written to the work queue. */
  listPageSize: number;
  /** Upper bound on reading one file's tags. */
  parseTimeoutMs: number;
  /** A full listing that would soft-delete more than this share of the live library (and at least
   * `massDeleteMinTracks` tracks) deletes nothing and marks the job for review: an empty or
   * unmounted folder must never wipe a library. */
  massDeleteRatio: number;
  massDeleteMinTracks: number;
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
  massDeleteRatio: 0.5,
  massDeleteMinTracks: 20,
  historyEventsPerRun: 4_000,
};

export function resolveConfig(partial: Partial<SyncConfig> | undefined): SyncConfig {
  const config = { ...DEFAULT_SYNC_CONFIG, ...stripUndefined(partial ?? {}) };
  const positiveInts: (keyof SyncConfig)[] = [
    'maxConcurrentDownloads', 'batchSize', 'parallelBatches', 'retryAttempts', 'syncTimeoutSecs', 'maxFileSize',
    'progressEvery', 'listPageSize', 'parseTimeoutMs', 'massDeleteMinTracks', 'historyEventsPerRun',
  ];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new RangeError(`SyncConfig.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if (!(config.massDeleteRatio > 0 && config.massDeleteRatio <= 1)) {
    throw new RangeError(`SyncConfig.massDeleteRatio must be in (0, 1], got ${config.massDeleteRatio}`);
  }
  if (config.syncTimeoutSecs < 10) throw new RangeError('SyncConfig.syncTimeoutSecs must be at least 10');
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

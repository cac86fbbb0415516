export { SyncClient, type SyncClientOptions, type StartedSync } from './sync-client.ts';
export * from './errors.ts';
export type * from './types.ts';
export type { DuplicateGroup } from '../db/tracks.ts';
export { DEFAULT_SYNC_CONFIG, type SyncConfig } from '../sync/config.ts';
export type { Counters, JobStatus, SyncMode, SyncPhase, SyncProgress, SyncResult } from '../sync/contract.ts';

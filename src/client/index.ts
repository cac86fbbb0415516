// The typed client other services use: everything they need, nothing of the worker.
export { SyncClient, type SyncClientOptions, type StartedSync } from './sync-client.ts';
export * from './errors.ts';
export { keepReconciling, reconcileJob, reconcileJobs, type ReconcileDeps } from './reconcile.ts';
export type * from './types.ts';
export type { DuplicateGroup } from '../db/tracks.ts';
export { DEFAULT_SYNC_CONFIG, type SyncConfig } from '../contract/config.ts';
export type { Counters } from '../contract/counters.ts';
export type { ProviderKind } from '../contract/providers.ts';
export type { CancelRequest, JobStatus, SyncMode, SyncPhase, SyncProgress, SyncResult } from '../contract/sync.ts';
export type { TrackFile, TrackTags } from '../contract/track.ts';
export type { ProfileState, RequestSource, ScheduleInfo, SyncRequest } from '../contract/actor.ts';
export type { ScheduleSpecInput } from './schedules.ts';

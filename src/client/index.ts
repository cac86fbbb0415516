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

// One way to connect from another service: to a running music-sync's database and Temporal server.
export { connectSyncClient, ConnectedSyncClient, type ConnectSyncClientOptions } from './connect.ts';
export { SchemaNotReadyError } from './require-schema.ts';

// For services that drive the workflows with their own Temporal client: the messages, the workflow
// types, the task queue and the workflow ids.
export {
  cancelSignal, progressQuery, startSyncUpdate, pauseUpdate, resumeUpdate, requestSyncSignal, cancelCurrentSignal,
  scheduleSignal, stateQuery,
} from '../contract/definitions.ts';
export { SYNC_TASK_QUEUE, SYNC_WORKFLOW_TYPE, isTerminal, syncIdForProfile, workflowIdForProfile } from '../contract/sync.ts';
export {
  ACTOR_WORKFLOW_TYPE, SCHEDULED_SYNC_WORKFLOW_TYPE, actorIdForProfile, scheduleIdForProfile,
} from '../contract/actor.ts';
export type { PauseInput, ProfileActorInput, StartedJob, StartSyncInput } from '../contract/actor.ts';
export type { SyncWorkflowInput } from '../contract/sync.ts';

// The sync workflow's and the profile actor's messages as typed Temporal definitions, for services
// that drive them with their own Temporal client (`handle.signal(cancelSignal, …)`,
// `handle.query(stateQuery)`). Temporal's defineSignal/defineQuery/defineUpdate build exactly these
// plain objects; they are written out here because the contract imports nothing at run time (the
// workflow sandbox and the client both stand on it), and @temporalio/common gives their types.
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  CANCEL_CURRENT_SIGNAL, PAUSE_UPDATE, REQUEST_SYNC_SIGNAL, RESUME_UPDATE, SCHEDULE_SIGNAL, START_SYNC_UPDATE, STATE_QUERY,
  type PauseInput, type ProfileState, type ScheduleInfo, type StartedJob, type StartSyncInput, type SyncRequest,
} from './actor.ts';
import { CANCEL_SIGNAL, PROGRESS_QUERY, type CancelRequest, type SyncProgress } from './sync.ts';

function signal<Args extends unknown[]>(name: string): SignalDefinition<Args> {
  return { type: 'signal', name } as SignalDefinition<Args>;
}

function query<Ret>(name: string): QueryDefinition<Ret> {
  return { type: 'query', name } as QueryDefinition<Ret>;
}

function update<Ret, Args extends unknown[]>(name: string): UpdateDefinition<Ret, Args> {
  return { type: 'update', name } as UpdateDefinition<Ret, Args>;
}

// ---- the sync workflow (`syncWorkflow`, id `syncIdForProfile(profileName)`; a job's own run is its
// recorded `workflowId`/`runId`)

/** Stops the sync cleanly: the job ends `cancelled`, recording who asked and why. */
export const cancelSignal = signal<[CancelRequest?]>(CANCEL_SIGNAL);
/** The sync's phase, status and counters, live. */
export const progressQuery = query<SyncProgress>(PROGRESS_QUERY);

// ---- the profile's actor (`profileWorkflow`, id `actorIdForProfile(profileName)`)

/** A sync now: answers the new job, or fails with `SyncInProgress` while one runs. */
export const startSyncUpdate = update<StartedJob, [StartSyncInput]>(START_SYNC_UPDATE);
export const pauseUpdate = update<ProfileState, [PauseInput?]>(PAUSE_UPDATE);
export const resumeUpdate = update<ProfileState, []>(RESUME_UPDATE);
/** A request never refused: requests that meet coalesce into one follow-up sync. */
export const requestSyncSignal = signal<[SyncRequest]>(REQUEST_SYNC_SIGNAL);
/** Stops the actor's current sync, if any. */
export const cancelCurrentSignal = signal<[CancelRequest?]>(CANCEL_CURRENT_SIGNAL);
/** Tells the actor its schedule changed (what `profileState` shows), or was removed (`null`). */
export const scheduleSignal = signal<[ScheduleInfo | null]>(SCHEDULE_SIGNAL);
export const stateQuery = query<ProfileState>(STATE_QUERY);

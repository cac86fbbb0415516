// What the profile actor (one long-lived workflow per profile) and those who talk to it pass each
// other: requests, its state, and the names of its messages. Pure types and constants; workflow code
// imports them.
import type { SyncConfig } from './config.ts';
import type { JobStatus, SyncMode } from './sync.ts';

/** Who asked for a sync. `client` and `cli` are people or services asking on purpose; the others are
 * automatic, so they wait while the profile backs off after a failure or is paused. */
export type RequestSource = 'client' | 'cli' | 'schedule' | 'watch' | 'push';

const AUTOMATIC: readonly RequestSource[] = ['schedule', 'watch', 'push'];

export function isAutomatic(source: RequestSource): boolean {
  return AUTOMATIC.includes(source);
}

/** A request for a sync, never refused while one runs: requests that meet coalesce into one sync, and
 * a full request wins over incremental ones. */
export interface SyncRequest {
  mode: SyncMode;
  source: RequestSource;
  /** Why, for a person reading the actor's state ("12 changes in the folder", "every 6h"). */
  reason?: string;
  /** Epoch ms the library must be seen as of: a sync that started at or after it covers the request.
   * A schedule gives its scheduled time, so a backlog of missed times is one sync. Without it, the
   * moment the actor receives the request. */
  asOf?: number;
  /** Overrides of the sync's settings (the actor's defaults otherwise). */
  config?: Partial<SyncConfig>;
}

/** Where a request goes: the profile's actor, started if it is not running. The CLI, the client, the
 * folder watcher, the push endpoint and schedules all send through one of these. */
export type SyncRequestSink = (profile: { id: string; name: string }, request: SyncRequest) => Promise<void>;

export type ActorStatus = 'idle' | 'syncing' | 'paused' | 'backing_off';

/** The actor's state, as its query answers it. Times are epoch ms. */
export interface ProfileState {
  profileId: string;
  profileName: string;
  status: ActorStatus;
  current?: { jobId: string; mode: SyncMode; source: RequestSource; startedAt: number };
  /** Requests waiting for the next sync, coalesced into one. */
  pending?: { mode: SyncMode; requests: number; sources: RequestSource[]; since: number; reason?: string };
  last?: { jobId: string; status: JobStatus; finishedAt: number; error?: string; errorKind?: string };
  /** Set by `pause`, or by a failure that cannot heal by itself (then `by` is `failure`). */
  paused?: { by: string; reason?: string; at: number };
  /** Failed syncs in a row; automatic requests wait until `backoffUntil`. */
  failures: number;
  backoffUntil?: number;
  schedule?: ScheduleInfo;
}

export interface ScheduleInfo {
  /** As a person reads it: "every 6h", "cron 0 3 * * *". */
  description: string;
  scheduleId: string;
  paused?: boolean;
  nextRunAt?: number;
}

/** The actor's answer to a start-now update. */
export interface StartedJob {
  jobId: string;
  workflowId: string;
  runId: string;
}

export interface StartSyncInput {
  mode: SyncMode;
  source: RequestSource;
  config?: Partial<SyncConfig>;
}

export interface PauseInput {
  by?: string;
  reason?: string;
}

/** What a run of the actor hands the next when it continues as new. */
export interface ProfileActorInput {
  profileId: string;
  profileName: string;
  /** Set the MusicSync* search attributes on the syncs it starts (the server must know them). */
  searchAttributes?: boolean;
  carried?: CarriedState;
}

export interface CarriedState {
  pending?: { request: SyncRequest; requests: number; sources: RequestSource[]; since: number; latest?: number };
  last?: ProfileState['last'];
  lastStartedAt?: number;
  paused?: ProfileState['paused'];
  failures: number;
  backoffUntil?: number;
  schedule?: ScheduleInfo;
}

export const ACTOR_WORKFLOW_TYPE = 'profileWorkflow';
export const REQUEST_SYNC_SIGNAL = 'requestSync';
export const START_SYNC_UPDATE = 'startSync';
export const PAUSE_UPDATE = 'pause';
export const RESUME_UPDATE = 'resume';
export const SCHEDULE_SIGNAL = 'scheduleChanged';
export const CANCEL_CURRENT_SIGNAL = 'cancelCurrent';
export const STATE_QUERY = 'state';

/** The actor's workflow id: readable in the Web UI, stable for the profile's life. */
export function actorIdForProfile(profileName: string): string {
  return `music-sync/profile/${profileName}`;
}

/** The workflow a profile's schedule starts: it hands the schedule's request to the profile's actor. */
export const SCHEDULED_SYNC_WORKFLOW_TYPE = 'scheduledSyncWorkflow';

export interface ScheduledSyncInput {
  profileId: string;
  profileName: string;
  scheduleId: string;
  /** How the schedule reads ("every 6h"), for the request's reason. */
  description: string;
}

export interface ForwardScheduledInput extends ScheduledSyncInput {
  /** The time the schedule fired for (epoch ms): the request is as of then. */
  scheduledAt: number;
}

/** A profile's Temporal Schedule id: readable on the Web UI's Schedules page. */
export function scheduleIdForProfile(profileName: string): string {
  return `music-sync/schedule/${profileName}`;
}

// Requests to a profile's actor, started if it is not running: the one way the CLI, the client, the
// folder watcher, the push endpoint and schedules ask for a sync.
import type { Client } from '@temporalio/client';
import {
  ACTOR_WORKFLOW_TYPE, actorIdForProfile, REQUEST_SYNC_SIGNAL, type ProfileActorInput, type SyncRequest, type SyncRequestSink,
} from '../contract/actor.ts';
import { PROFILE_ATTR, PROVIDER_ATTR } from '../contract/search-attributes.ts';
import { SYNC_TASK_QUEUE } from '../contract/sync.ts';

export interface ActorAddress {
  taskQueue?: string;
  /** Set the MusicSync* search attributes when the actor starts (the server must know them). */
  searchAttributes?: boolean;
}

/** How an actor is started: the same whoever starts it. */
export function actorStartOptions(profile: { id: string; name: string; provider?: string }, address: ActorAddress = {}) {
  const args: [ProfileActorInput] = [
    { profileId: profile.id, profileName: profile.name, ...(address.searchAttributes === false ? { searchAttributes: false } : {}) },
  ];
  return {
    workflowId: actorIdForProfile(profile.name),
    taskQueue: address.taskQueue ?? SYNC_TASK_QUEUE,
    args,
    staticSummary: `profile ${profile.name}: its syncs, schedule and requests`,
    ...(address.searchAttributes === false
      ? {}
      : {
          typedSearchAttributes: [
            { key: PROFILE_ATTR, value: profile.name },
            ...(profile.provider ? [{ key: PROVIDER_ATTR, value: profile.provider }] : []),
          ],
        }),
  };
}

/** A sink that signals the profile's actor, starting it when it is not running. */
export function actorRequests(temporal: Client, address: ActorAddress = {}): SyncRequestSink {
  return async (profile, request: SyncRequest) => {
    await temporal.workflow.signalWithStart(ACTOR_WORKFLOW_TYPE, {
      ...actorStartOptions(profile, address),
      signal: REQUEST_SYNC_SIGNAL,
      signalArgs: [request],
    });
  };
}

// A schedule's firing, handed to the profile's actor.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { actorRequests } from '../client/actor-requests.ts';
import { describeSchedule, tellActorSchedule } from '../client/schedules.ts';
import type { ForwardScheduledInput } from '../contract/actor.ts';
import { Context } from '@temporalio/activity';

/** The Temporal client the schedule's activity reaches the actor with. */
export interface ActorMessaging {
  temporal: Client;
  /** Set the MusicSync* search attributes when an actor starts (the server must know them). */
  searchAttributes: boolean;
}

export function scheduleActivities(messaging: ActorMessaging | undefined) {
  return {
    /** Asks the profile's actor for the scheduled sync, and tells it when the next one is. */
    async forwardScheduledRequest(input: ForwardScheduledInput): Promise<void> {
      if (!messaging) throw ApplicationFailure.nonRetryable('this worker cannot reach profile actors (no Temporal client given)', 'Configuration');
      const address = { taskQueue: Context.current().info.taskQueue, searchAttributes: messaging.searchAttributes };
      const profile = { id: input.profileId, name: input.profileName };
      await actorRequests(messaging.temporal, address)(profile, {
        mode: 'incremental', source: 'schedule', reason: input.description, asOf: input.scheduledAt,
      });
      const info = await describeSchedule(messaging.temporal, input.profileName);
      if (info) await tellActorSchedule(messaging.temporal, profile, info, address);
    },
  };
}

export type ScheduleActivities = ReturnType<typeof scheduleActivities>;

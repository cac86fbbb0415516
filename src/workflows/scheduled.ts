import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ScheduleActivities } from '../activities/schedule.ts';
import type { ScheduledSyncInput } from '../contract/actor.ts';

const { forwardScheduledRequest } = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

/** The time the schedule fired for; Temporal sets it on every run a schedule starts. */
const SCHEDULED_START = { name: 'TemporalScheduledStartTime', type: 'DATETIME' } as const;

/**
 * What a profile's Temporal Schedule starts: a schedule can only start workflows, and the profile's
 * actor is one long-lived workflow, so each firing hands its request to the actor and ends. The
 * request is as of the scheduled time, so a backlog of missed times after downtime is one sync.
 */
export async function scheduledSyncWorkflow(input: ScheduledSyncInput): Promise<void> {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
  await forwardScheduledRequest({ ...input, scheduledAt: (scheduled ?? info.startTime).getTime() });
}

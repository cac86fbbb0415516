// A profile's schedule as a Temporal Schedule (on the Web UI's Schedules page, where it can be paused,
// triggered and backfilled): each firing starts `scheduledSyncWorkflow`, which hands an incremental
// request to the profile's actor.
import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import {
  ACTOR_WORKFLOW_TYPE, SCHEDULE_SIGNAL, SCHEDULED_SYNC_WORKFLOW_TYPE, scheduleIdForProfile, type ScheduledSyncInput,
  type ScheduleInfo,
} from '../contract/actor.ts';
import { PROFILE_ATTR } from '../contract/search-attributes.ts';
import { actorStartOptions, type ActorAddress } from './actor-requests.ts';
import { InvalidInputError } from './errors.ts';

export type ScheduleSpecInput = { every: string } | { cron: string };

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MIN_EVERY_MS = 60_000;
const MAX_JITTER_MS = 10 * 60_000;

/** "6h", "90m", "1d12h": a whole number of each unit (s, m, h, d), at least a minute in all. */
export function parseEvery(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(trimmed)) throw new InvalidInputError(`--every takes a duration like 6h, 30m or 1d12h, got "${text}"`);
  let ms = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (!Number.isSafeInteger(ms) || ms < MIN_EVERY_MS) throw new InvalidInputError(`--every must be at least 1m, got "${text}"`);
  return ms;
}

/** Five fields (minute hour day-of-month month day-of-week), as cron has them; the server checks the rest. */
function checkCron(text: string): string {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5 || fields.some((f) => !/^[\d*,/\-A-Za-z?]+$/.test(f))) {
    throw new InvalidInputError(`--cron takes five fields (minute hour day month weekday), like "0 3 * * *", got "${text}"`);
  }
  return fields.join(' ');
}

/** Where in its interval a profile's schedule fires: spread across profiles by their ids, so profiles
 * scheduled alike do not all sync at the same moment. */
function offsetFor(profileId: string, everyMs: number): number {
  const n = createHash('sha256').update(profileId).digest().readUInt32BE(0);
  return Math.floor((n / 0x1_0000_0000) * Math.min(everyMs, 3_600_000) / 1_000) * 1_000;
}

function scheduleOptions(profile: { id: string; name: string }, spec: ScheduleSpecInput, taskQueue: string, searchAttributes: boolean): ScheduleOptions {
  const scheduleId = scheduleIdForProfile(profile.name);
  let description: string;
  let timing: ScheduleOptions['spec'];
  let catchupMs: number;
  if ('every' in spec) {
    const every = parseEvery(spec.every);
    description = `every ${spec.every.trim().toLowerCase()}`;
    timing = { intervals: [{ every, offset: offsetFor(profile.id, every) }], jitter: Math.min(MAX_JITTER_MS, Math.floor(every / 10)) };
    catchupMs = every;
  } else {
    const cron = checkCron(spec.cron);
    description = `cron ${cron}`;
    timing = { cronExpressions: [cron], jitter: 60_000 };
    catchupMs = 86_400_000;
  }
  const input: ScheduledSyncInput = { profileId: profile.id, profileName: profile.name, scheduleId, description };
  return {
    scheduleId,
    spec: timing,
    action: {
      type: 'startWorkflow',
      workflowType: SCHEDULED_SYNC_WORKFLOW_TYPE,
      args: [input],
      taskQueue,
      workflowId: `${scheduleId}/run`,
      staticSummary: `scheduled sync of ${profile.name} (${description})`,
    },
    // After downtime only the last interval's missed firings are taken, and the actor counts those
    // as one request: a sync as of the latest of them.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(60_000, catchupMs) },
    memo: { profileName: profile.name, description },
    ...(searchAttributes ? { typedSearchAttributes: [{ key: PROFILE_ATTR, value: profile.name }] } : {}),
  };
}

/** Creates or replaces the profile's schedule; tells the profile's actor. */
export async function setProfileSchedule(
  temporal: Client, profile: { id: string; name: string }, spec: ScheduleSpecInput, address: Required<ActorAddress>,
): Promise<ScheduleInfo> {
  const options = scheduleOptions(profile, spec, address.taskQueue, address.searchAttributes);
  const handle = temporal.schedule.getHandle(options.scheduleId);
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await temporal.schedule.create(options);
  }
  const info = (await describeSchedule(temporal, profile.name))!;
  await tellActorSchedule(temporal, profile, info, address);
  return info;
}

/** Removes the profile's schedule (if it has one); tells the profile's actor. Whether there was one. */
export async function removeProfileSchedule(temporal: Client, profile: { id: string; name: string }, address: Required<ActorAddress>): Promise<boolean> {
  let removed = true;
  try {
    await temporal.schedule.getHandle(scheduleIdForProfile(profile.name)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    removed = false;
  }
  await tellActorSchedule(temporal, profile, null, address);
  return removed;
}

/** The profile's schedule as the server has it, or undefined. */
export async function describeSchedule(temporal: Client, profileName: string): Promise<ScheduleInfo | undefined> {
  const scheduleId = scheduleIdForProfile(profileName);
  try {
    const described = await temporal.schedule.getHandle(scheduleId).describe();
    const next = described.info.nextActionTimes[0];
    // The action's input is replaced with the schedule (its memo cannot be updated).
    const action = described.action as { args?: unknown[] };
    const input = action.args?.[0] as Partial<ScheduledSyncInput> | undefined;
    return {
      scheduleId,
      description: input?.description ?? String(described.memo?.description ?? 'scheduled'),
      ...(described.state.paused ? { paused: true } : {}),
      ...(next ? { nextRunAt: next.getTime() } : {}),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** The actor shows its schedule in its state; the schedule itself stays the server's. */
export async function tellActorSchedule(
  temporal: Client, profile: { id: string; name: string }, info: ScheduleInfo | null, address: ActorAddress,
): Promise<void> {
  await temporal.workflow.signalWithStart(ACTOR_WORKFLOW_TYPE, { ...actorStartOptions(profile, address), signal: SCHEDULE_SIGNAL, signalArgs: [info] });
}

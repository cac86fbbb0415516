import { actorActivities } from './actor.ts';
import { deletionActivities } from './deletions.ts';
import type { ActivityDeps } from './deps.ts';
import { discoverActivities } from './discover.ts';
import { filterActivities } from './filter.ts';
import { lifecycleActivities } from './lifecycle.ts';
import { processActivities } from './process.ts';
import { scheduleActivities } from './schedule.ts';
import { validateActivities } from './validate.ts';

/** Every activity of a sync, built once by the worker from what the composition root made; workflows
 * see only the type, through proxyActivities. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...actorActivities(deps),
    ...lifecycleActivities(deps),
    ...validateActivities(deps),
    ...discoverActivities(deps),
    ...filterActivities(deps),
    ...processActivities(deps),
    ...deletionActivities(deps),
    ...scheduleActivities(deps.actors),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps, NetworkPolicy } from './deps.ts';

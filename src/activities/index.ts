import type { ActivityDeps } from './deps.ts';
import { discoverActivities } from './discover.ts';
import { filterActivities } from './filter.ts';
import { jobActivities } from './job.ts';
import { processActivities } from './process.ts';
import { resolveActivities } from './resolve.ts';

/** Built once by the worker; workflows see the type through proxyActivities. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...jobActivities(deps),
    ...discoverActivities(deps),
    ...filterActivities(deps),
    ...processActivities(deps),
    ...resolveActivities(deps),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps };

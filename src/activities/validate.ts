import { ApplicationFailure } from '@temporalio/common';
import type { ValidateInput } from '../contract/sync.ts';
import { loadJobContext } from './context.ts';
import type { ActivityDeps } from './deps.ts';
import { toActivityFailure } from './failures.ts';

export function validateActivities(deps: ActivityDeps) {
  return {
    /** Checks the profile's storage is reachable before any listing, and that the network policy lets it sync. */
    async validateSession(input: ValidateInput): Promise<void> {
      const { provider } = await loadJobContext(deps, input.jobId);
      if (input.wifiOnly && provider.usesNetwork && (await deps.networkPolicy?.isMetered())) {
        throw ApplicationFailure.nonRetryable('wifiOnly is set and the network is metered: sync postponed', 'NetworkPolicy');
      }
      try {
        await provider.validate();
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
  };
}

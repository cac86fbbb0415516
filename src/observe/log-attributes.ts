// Activities' log lines carry the job and profile they work for, beside the workflow and activity
// the SDK already names: every sync activity's input has its jobId (some their profileId), and the
// workflow ids of syncs and actors carry their profile's name (older syncs' ids, its id).
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { actorIdForProfile } from '../contract/actor.ts';
import { syncIdForProfile, workflowIdForProfile } from '../contract/sync.ts';

/** A workflow id form split around where the profile goes, from the contract's own functions. */
const form = (idOf: (profile: string) => string) => idOf('\0').split('\0') as [string, string];
const FORMS = [form(syncIdForProfile), form(actorIdForProfile), form(workflowIdForProfile)];

/** The profile a workflow id names, for the forms above (the most specific first). */
export function profileOfWorkflowId(workflowId: string): string | undefined {
  for (const [prefix, suffix] of FORMS) {
    if (workflowId.length > prefix.length + suffix.length && workflowId.startsWith(prefix) && workflowId.endsWith(suffix)) {
      return workflowId.slice(prefix.length, workflowId.length - suffix.length);
    }
  }
  return undefined;
}

export const jobLogAttributes: ActivityInterceptorsFactory = (ctx) => {
  const attributes: { jobId?: string; profile?: string } = {};
  const workflowId = ctx.info.workflowExecution?.workflowId;
  const profile = workflowId === undefined ? undefined : profileOfWorkflowId(workflowId);
  if (profile !== undefined) attributes.profile = profile;
  return {
    inbound: {
      async execute(input, next) {
        const first = input.args[0] as { jobId?: unknown } | undefined;
        if (typeof first?.jobId === 'string') attributes.jobId = first.jobId;
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next({ ...input, ...attributes }),
    },
  };
};

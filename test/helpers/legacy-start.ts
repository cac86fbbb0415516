// A sync started the way a client of the version before profile actors started one: the job's
// `syncWorkflow` directly under the profile's sync workflow id, then its job row, queued and bound to
// that run. Runs started so are still out there (and on queues no worker may poll), so the product must
// keep reconciling, cancelling and reporting them; tests that need a run nothing ever records use it too.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { StartedSync } from '../../src/client/sync-client.ts';
import { resolveConfig, type SyncConfig } from '../../src/contract/config.ts';
import { SYNC_WORKFLOW_TYPE, workflowIdForProfile, type SyncMode, type SyncWorkflowInput } from '../../src/contract/sync.ts';
import type { Db } from '../../src/db/connect.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { getProfile } from '../../src/db/profiles.ts';

export interface LegacyStart {
  profileId: string;
  mode?: SyncMode;
  /** The queue the run waits on: one no worker polls keeps it from ever recording anything. */
  taskQueue: string;
  config?: Partial<SyncConfig>;
}

export async function startSyncDirectly(temporal: Client, db: Db, start: LegacyStart): Promise<StartedSync> {
  const profile = await getProfile(db, start.profileId);
  if (!profile) throw new Error(`no profile ${start.profileId}`);
  const mode = start.mode ?? 'full';
  const config = resolveConfig(start.config);
  const jobId = randomUUID();
  const workflowId = workflowIdForProfile(profile.id);
  const input: SyncWorkflowInput = { jobId, profileId: profile.id, mode, config };
  const handle = await temporal.workflow.start(SYNC_WORKFLOW_TYPE, {
    args: [input],
    taskQueue: start.taskQueue,
    workflowId,
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowRunTimeout: `${config.syncTimeoutSecs}s`,
    memo: { jobId, profileName: profile.name },
  });
  await insertJob(db, {
    id: jobId, profileId: profile.id, provider: profile.provider, mode, workflowId, status: 'queued', runId: handle.firstExecutionRunId,
  });
  return { jobId, workflowId, runId: handle.firstExecutionRunId };
}

// A job's run chain on the Temporal server: the workflow execution that started with the job's first
// run id and every run it continued as new (or was reset or retried) into. Everything the client does
// to a job's workflow goes through its chain, never through "whatever runs under the profile's
// workflow id", which may by now be a newer job's.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { SyncJobRow } from '../db/schema.ts';

/** Where a job's chain stands:
 * - `running` / `closed`: the latest run under the workflow id is the chain's (`runId`);
 * - `superseded`: the latest run is a newer job's, so the job's chain has closed;
 * - `unknown`: the server has no run under the workflow id (retention removed it, or it is another server). */
export type JobChain =
  | { state: 'running' | 'closed'; runId: string; description: WorkflowExecutionDescription }
  | { state: 'superseded' }
  | { state: 'unknown' };

/** The chain of a job: the same first run id (for a job recorded before run ids were, the same job id
 * in the run's memo). */
export async function jobChain(temporal: Client, job: SyncJobRow): Promise<JobChain> {
  let description: WorkflowExecutionDescription;
  try {
    description = await temporal.workflow.getHandle(job.workflow_id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'unknown' };
    throw err;
  }
  const ours = job.run_id
    ? description.raw.workflowExecutionInfo?.firstRunId === job.run_id
    : description.memo?.jobId === job.id;
  if (!ours) return { state: 'superseded' };
  return { state: description.status.name === 'RUNNING' ? 'running' : 'closed', runId: description.runId, description };
}

// Whether this worker process is of use: its worker polls its task queue and the library database
// answers. For Docker's HEALTHCHECK and Kubernetes' probes, through `GET /healthz`.
import type { Worker } from '@temporalio/worker';
import { pingDatabase, type Db } from '../db/connect.ts';

/** How long the database has to answer `select 1`: a probe must answer well within its own timeout. */
const DATABASE_TIMEOUT_MS = 2_000;

export interface Health {
  ok: boolean;
  /** Each part's state: `ok`, or what is wrong with it. */
  checks: { worker: string; database: string };
}

export async function checkHealth(parts: { worker: Pick<Worker, 'getStatus'>; db: Db }): Promise<Health> {
  const worker = workerProblem(parts.worker) ?? 'ok';
  const database = (await pingDatabase(parts.db, DATABASE_TIMEOUT_MS)) ?? 'ok';
  return { ok: worker === 'ok' && database === 'ok', checks: { worker, database } };
}

function workerProblem(worker: Pick<Worker, 'getStatus'>): string | undefined {
  const status = worker.getStatus();
  if (status.runState !== 'RUNNING') return `worker is ${status.runState.toLowerCase()}`;
  if (status.workflowPollerState !== 'POLLING') return `workflow poller is ${status.workflowPollerState.toLowerCase()}`;
  if (status.activityPollerState !== 'POLLING') return `activity poller is ${status.activityPollerState.toLowerCase()}`;
  return undefined;
}

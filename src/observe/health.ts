// Whether this worker process is of use: its worker polls its task queue, the Temporal server answers,
// and the library database answers. For Docker's HEALTHCHECK and Kubernetes' probes, through `GET /healthz`.
import type { Worker } from '@temporalio/worker';
import { pingDatabase, type Db } from '../db/connect.ts';

/** How long the database and Temporal have to answer: a probe must answer well within its own timeout. */
const DATABASE_TIMEOUT_MS = 2_000;
export const TEMPORAL_TIMEOUT_MS = 2_000;

export interface Health {
  ok: boolean;
  /** Each part's state: `ok`, or what is wrong with it. */
  checks: { worker: string; database: string };
}

/**
 * `db` should be a pool of its own (one connection): on the worker's pool, a probe would wait behind
 * busy batches and call a healthy worker sick. `temporal` asks the server something trivial: the SDK's
 * pollers say POLLING while they retry a server that is gone, so their state alone would say healthy.
 */
export async function checkHealth(parts: { worker: Pick<Worker, 'getStatus'>; db: Db; temporal: () => Promise<unknown> }): Promise<Health> {
  const [reachable, database] = await Promise.all([
    parts.temporal().then(() => undefined, (err: Error) => `cannot reach Temporal: ${err.message}`),
    pingDatabase(parts.db, DATABASE_TIMEOUT_MS),
  ]);
  const worker = workerProblem(parts.worker) ?? reachable ?? 'ok';
  return { ok: worker === 'ok' && database === undefined, checks: { worker, database: database ?? 'ok' } };
}

function workerProblem(worker: Pick<Worker, 'getStatus'>): string | undefined {
  const status = worker.getStatus();
  if (status.runState !== 'RUNNING') return `worker is ${status.runState.toLowerCase()}`;
  if (status.workflowPollerState !== 'POLLING') return `workflow poller is ${status.workflowPollerState.toLowerCase()}`;
  if (status.activityPollerState !== 'POLLING') return `activity poller is ${status.activityPollerState.toLowerCase()}`;
  return undefined;
}

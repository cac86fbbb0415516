import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { SYNC_TASK_QUEUE } from '../contract/sync.ts';

/** Heartbeats reach the server at least this often, so a cancellation (our signal, the Web UI, the
 * graceful deadline) reaches a running batch within seconds, not the SDK's default 30-60 s. */
export const ACTIVITY_HEARTBEAT_TUNING = { maxHeartbeatThrottleInterval: '2s', defaultHeartbeatThrottleInterval: '2s' } as const;

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once (tests share one bundle across workers). */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

/** The activities' dependencies (database, providers, network policy) and where the worker polls. */
export interface SyncWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  workflowBundle?: WorkflowBundleWithSourceMap;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createSyncWorker(options: SyncWorkerOptions): Promise<Worker> {
  const { db, providers, networkPolicy } = options;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? SYNC_TASK_QUEUE,
    activities: createActivities({ db, providers, networkPolicy }),
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    ...ACTIVITY_HEARTBEAT_TUNING,
  });
}

const quietBundlerLogger = {
  trace: () => {}, debug: () => {}, info: () => {},
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
  log: () => {},
};

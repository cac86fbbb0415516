import { fileURLToPath } from 'node:url';
import type { Context } from '@temporalio/activity';
import {
  Worker, bundleWorkflowCode, type ActivityInterceptors, type NativeConnection, type WorkerOptions, type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { defaultTempDir, sweepTempFiles } from '../providers/remote/temp-files.ts';
import { SYNC_TASK_QUEUE } from '../contract/sync.ts';
import { jobLogAttributes } from '../observe/log-attributes.ts';
import { UNTRACED_SINKS, WORKFLOW_INTERCEPTOR_MODULES, type WorkerTracing } from '../observe/tracing.ts';


/** How often an activity with a heartbeat timeout heartbeats while this worker lives, whatever its code
 * is doing (a long transaction, a slow provider call). The workflow's short heartbeat timeout then
 * means one thing only, a worker that is gone, and its work moves to another worker within seconds. */
const KEEP_ALIVE_MS = 2_000;

/** Heartbeats every KEEP_ALIVE_MS with the details the activity itself last sent (or those it resumed
 * from), so its checkpoint is never overwritten. */
function keepAlive(ctx: Context): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        if (ctx.info.heartbeatTimeoutMs === undefined) return next(input);
        const send = ctx.heartbeat;
        let details: unknown = ctx.info.heartbeatDetails;
        (ctx as { heartbeat: (d?: unknown) => void }).heartbeat = (d) => {
          details = d;
          send(d);
        };
        const timer = setInterval(() => send(details), KEEP_ALIVE_MS);
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  };
}

/** Heartbeats reach the server at least this often, so a cancellation (our signal, the Web UI, the
 * graceful deadline) reaches a running batch within seconds, not the SDK's default 30-60 s; and every
 * activity with a heartbeat timeout heartbeats while its worker lives (keepAlive). Every worker that
 * runs the sync activities, tests' included, takes these options. */
export const ACTIVITY_HEARTBEAT_TUNING: Pick<WorkerOptions, 'maxHeartbeatThrottleInterval' | 'defaultHeartbeatThrottleInterval' | 'interceptors'> = {
  maxHeartbeatThrottleInterval: '2s',
  defaultHeartbeatThrottleInterval: '2s',
  // jobLogAttributes: activities' log lines name their job and profile.
  interceptors: { activity: [keepAlive, jobLogAttributes] },
};

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** A spooled file older than this belongs to no live read. */
const STALE_TEMP_FILE_MS = 6 * 60 * 60 * 1000;

/** Bundles the workflow code once (tests share one bundle across workers), with the tracing
 * interceptors whether tracing is on or not: a run is traced by how it was started, so its replay never
 * depends on the settings of the worker. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES], logger: quietBundlerLogger });
}

/** The activities' dependencies (database, providers, network policy) and where the worker polls. */
export interface SyncWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  workflowBundle?: WorkflowBundleWithSourceMap;
  maxConcurrentActivityTaskExecutions?: number;
  /** Traces of workflows and activities. */
  tracing?: WorkerTracing;
}

export async function createSyncWorker(options: SyncWorkerOptions): Promise<Worker> {
  const { db, providers, networkPolicy, secretBox, actors, tracing, metrics } = options;
  const tempDir = options.tempDir ?? defaultTempDir();
  // Spooled files a killed worker left behind (a live worker's are a few minutes old at most).
  await sweepTempFiles(tempDir, STALE_TEMP_FILE_MS).catch(() => 0);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? SYNC_TASK_QUEUE,
    activities: createActivities({ db, providers, networkPolicy, secretBox, tempDir, actors, metrics }),
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    ...ACTIVITY_HEARTBEAT_TUNING,
    ...(tracing ? { interceptors: { activity: [...tracing.activityInterceptors, ...ACTIVITY_HEARTBEAT_TUNING.interceptors!.activity!] } } : {}),
    sinks: tracing?.sinks ?? UNTRACED_SINKS,
  });
}

const quietBundlerLogger = {
  trace: () => {}, debug: () => {}, info: () => {},
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
  log: () => {},
};

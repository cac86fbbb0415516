// Traces of syncs with OpenTelemetry: one trace follows a sync from the client's request through the
// profile's actor and the sync workflow to each activity. Off unless the settings ask for it, and then
// nothing of OpenTelemetry is even loaded in the process (the parts that build it are imported on
// demand), so a command starts as fast as it would without tracing.
import { fileURLToPath } from 'node:url';
import type { ClientInterceptors } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { TracingSettings } from '../app/settings.ts';

/** Bundled with the workflow code whether tracing is on or not (see tracing-workflow.ts): a run is
 * traced or not by how it was started, never by the settings of the worker that replays it. */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [fileURLToPath(new URL('./tracing-workflow.ts', import.meta.url))];

/** Where the workflow spans of runs started with a trace go on a worker that traces nothing: away. */
export const UNTRACED_SINKS: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => {} } } };

/** What a worker adds to trace its workflows and activities. */
export interface WorkerTracing {
  /** Runs first, so an activity's span covers everything the worker's own interceptors do. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** Workflow spans leave the workflow sandbox through these. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

export interface Tracing {
  /** For `new Client({ interceptors })`: starts, updates and signals carry the caller's trace. */
  clientInterceptors: ClientInterceptors;
  worker: WorkerTracing;
  /** Sends the spans still buffered and stops exporting; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** Tracing as the settings ask for it, or undefined when they do not. */
export async function startTracing(settings: TracingSettings | undefined): Promise<Tracing | undefined> {
  if (!settings) return undefined;
  const { createTracing } = await import('./tracing-provider.ts');
  return createTracing(settings);
}

// What every command gets (its options, its settings, where to print) and the two ways to open the
// services it needs through the composition root, closed again on every way out (src/cli/lifetime.ts).
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { openApp, openDatabase, type App, type AppOptions, type OpenDatabase } from '../app/open.ts';
import type { Settings } from '../app/settings.ts';
import { SYNC_WORKFLOW_TYPE } from '../contract/sync.ts';
import { guardedOpen, release } from './lifetime.ts';
import { oneLine, type Output } from './output.ts';

export interface CliContext {
  /** Absolute. */
  dataDir: string;
  json: boolean;
  out: Output;
  debug: boolean;
  /** The environment, read once (with the services of a running `up` adopted). */
  settings: Settings;
}

export interface Opened<T> {
  app: T;
  close(): Promise<void>;
}

/** Whether a Temporal server is given (else we start a dev server of our own, and no other worker polls it). */
export function temporalGiven(ctx: CliContext): boolean {
  return ctx.settings.temporal.address !== undefined;
}

/** Postgres + Temporal (+ a worker), started where the settings do not provide them. */
export async function openServices(ctx: CliContext, options: Omit<AppOptions, 'dataDir' | 'log' | 'temporal'>): Promise<Opened<App>> {
  if (options.worker) installTemporalRuntime(ctx);
  const { value: app, resource } = await guardedOpen(
    () => openApp(ctx.settings, { requestedBy: 'cli', ...options, temporal: 'start', dataDir: ctx.dataDir, log: (line) => ctx.out.info(line) }),
    (a) => ({
      close: () => a.close(),
      kill: () => {
        // stop() signals the child before its first await.
        void a.temporal.stop().catch(() => undefined);
        void a.postgres.stop().catch(() => undefined);
      },
    }),
  );
  return { app, close: () => release(resource) };
}

/**
 * Postgres only, migrated, with a client whose Temporal connection is lazy: the read-only commands
 * (status, history, tracks, ...) never talk to Temporal, so they do not start it. Their start-up
 * chatter is for debugging: stderr keeps to their one result or error.
 */
export function withDb<T>(ctx: CliContext, fn: (app: App) => Promise<T>): Promise<T> {
  const log = (line: string) => (ctx.debug ? ctx.out.warn(line) : undefined);
  return withOpened(() => openApp(ctx.settings, { temporal: 'lazy', dataDir: ctx.dataDir, log, requestedBy: 'cli' }), fn);
}

/** The database alone, migrated (for `migrate`). */
export function withDatabase<T>(ctx: CliContext, fn: (database: OpenDatabase) => Promise<T>): Promise<T> {
  return withOpened(() => openDatabase(ctx.settings, { dataDir: ctx.dataDir, log: (line) => ctx.out.info(line) }), fn);
}

/** Runs `fn` with what `open` opened (a database at least, nothing of Temporal started), closing it whatever happens. */
async function withOpened<O extends OpenDatabase, T>(open: () => Promise<O>, fn: (opened: O) => Promise<T>): Promise<T> {
  const { value, resource } = await guardedOpen(open, (o) => ({ close: () => o.close(), kill: () => void o.postgres.stop().catch(() => undefined) }));
  try {
    return await fn(value);
  } finally {
    await release(resource);
  }
}

let runtimeInstalled = false;

/**
 * Once, before the first worker: the worker's INFO lines ("Worker state changed", ...) would clutter
 * the CLI's stderr, and the Runtime's own shutdown-on-SIGINT would fight our Ctrl-C handling.
 * Warnings stay, as one line each (MUSIC_SYNC_DEBUG=1: INFO and up, with all details).
 */
function installTemporalRuntime(ctx: CliContext): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const logger = ctx.debug ? new DefaultLogger('INFO') : new DefaultLogger('WARN', compactWorkerLog(ctx.out));
  Runtime.install({ logger, shutdownSignals: [] });
}

function compactWorkerLog(out: Output): (entry: LogEntry) => void {
  return (entry) => {
    const meta = entry.meta ?? {};
    const error = meta.error as { message?: unknown } | undefined;
    // A sync that ends cancelled, timed out or failed ends its workflow as failed: the job row and
    // the CLI's summary say so already, and a failing sync logs "sync failed" itself.
    if (entry.message === 'Workflow failed' && meta.workflowType === SYNC_WORKFLOW_TYPE) return;
    const detail = typeof error?.message === 'string' ? error.message : typeof meta.message === 'string' ? meta.message : '';
    out.warn(`worker ${entry.level.toLowerCase()}: ${entry.message}${detail ? `: ${oneLine(detail, 300)}` : ''}`);
  };
}

// What every command gets (its options, its settings, where to print) and the two ways to open the
// services it needs through the composition root, closed again on every way out (src/cli/lifetime.ts).
import { openApp, openDatabase, type App, type AppOptions, type OpenDatabase } from '../app/open.ts';
import type { Settings } from '../app/settings.ts';
import { createLog, type Log } from '../observe/logger.ts';
import { installRuntime } from '../observe/runtime.ts';
import { guardedOpen, release } from './lifetime.ts';
import type { Output } from './output.ts';

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
  if (options.worker) await installTemporalRuntime(ctx, options.metrics === true);
  const { value: app, resource } = await guardedOpen(
    () => openApp(ctx.settings, { requestedBy: 'cli', ...options, temporal: 'start', dataDir: ctx.dataDir, log: serviceLog(ctx).info, warn: serviceLog(ctx).warn }),
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

let processLog: Log | undefined;

/** The process's log (stderr), in the settings' format and level. */
export function logOf(ctx: CliContext): Log {
  processLog ??= createLog(ctx.settings.log);
  return processLog;
}

/** Where the long-running services' own lines go: the CLI's notes on stderr (`info` left out with
 * --json), or the log when it is JSON, so a log collector gets every line as an object. */
export function serviceLog(ctx: CliContext): { info: (line: string) => void; warn: (line: string) => void } {
  if (ctx.settings.log.format === 'json') {
    const log = logOf(ctx);
    return { info: (line) => log.info(line), warn: (line) => log.warn(line) };
  }
  return { info: (line) => ctx.out.info(line), warn: (line) => ctx.out.warn(line) };
}

/**
 * Once, before the first worker: the SDK's lines and the Rust core's (which would otherwise print
 * coloured lines of its own on stdout) go through our log at its level, so by default only warnings
 * show; the Runtime's own shutdown-on-SIGINT would fight our Ctrl-C handling. With `metrics`, the
 * SDK's metrics are exported for the worker's metrics listener.
 */
async function installTemporalRuntime(ctx: CliContext, metrics: boolean): Promise<void> {
  const installed = await installRuntime({ log: logOf(ctx), level: ctx.settings.log.level, metrics: metrics && ctx.settings.metrics.enabled });
  if (installed.sdkMetricsError) serviceLog(ctx).warn(installed.sdkMetricsError);
}

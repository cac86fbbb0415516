// What every command gets: its options, where to print, and ways to open the services it needs
// that are always closed again (at the end, on error, and on Ctrl-C).
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { SyncClient } from '../client/sync-client.ts';
import { createDb, type Db } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { defaultProviders } from '../providers/registry.ts';
import { startPostgres, type PostgresHandle } from '../stack/postgres.ts';
import { openStack, type Stack, type StackOptions } from '../stack/stack.ts';
import { oneLine, type Output } from './output.ts';

export interface CliContext {
  /** Absolute. */
  dataDir: string;
  json: boolean;
  out: Output;
  debug: boolean;
}

// ---- open resources, closed on every way out ----

interface Resource {
  close(): Promise<void>;
  /** Synchronous last resort (second Ctrl-C): signal the child processes so none outlives us. */
  kill(): void;
  closing?: Promise<void>;
}

const resources = new Set<Resource>();
let opening = 0;
let interruptedWhileOpening = false;
let exiting: Promise<never> | undefined;

/** True once the CLI decided to exit: errors of commands cut off by the shutdown are not reported. */
export function isExiting(): boolean {
  return exiting !== undefined;
}

/** Closing twice (the command's own `finally` and an interrupt) shares one close. */
function closeOnce(r: Resource): Promise<void> {
  r.closing ??= r.close().catch(() => undefined);
  return r.closing;
}

async function closeAll(timeoutMs: number): Promise<void> {
  const all = [...resources].reverse();
  const closing = (async () => {
    for (const r of all) await closeOnce(r);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closing.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) for (const r of all) r.kill();
  for (const r of all) resources.delete(r);
}

/** Closes everything still open (bounded in time) and exits with `code`; the first call decides the code. */
export function exitAfterClose(code: number, timeoutMs = 15_000): Promise<never> {
  exiting ??= (async () => {
    await closeAll(timeoutMs);
    process.exit(code);
  })();
  return exiting;
}

/** Exits now: child processes are signalled synchronously, nothing is awaited. */
export function exitNow(code: number): never {
  exiting ??= new Promise<never>(() => {});
  for (const r of resources) r.kill();
  process.exit(code);
}

/** The interrupt handler outside of any command-specific one: stop cleanly, a second time at once. */
export function defaultInterrupt(out: Output): (count: number) => void {
  return (count) => {
    if (count > 1) exitNow(130);
    if (opening > 0) {
      // Half-started services cannot be closed from here; close them as soon as the start returns.
      interruptedWhileOpening = true;
      out.warn('stopping once start-up finishes… (Ctrl-C again to quit now)');
      return;
    }
    out.warn('stopping…');
    void exitAfterClose(130);
  };
}

async function guardedOpen<T>(open: () => Promise<T>, toResource: (value: T) => Resource): Promise<{ value: T; resource: Resource }> {
  opening += 1;
  let value: T;
  try {
    value = await open();
  } catch (err) {
    if (interruptedWhileOpening) await exitAfterClose(130);
    throw err;
  } finally {
    opening -= 1;
  }
  const resource = toResource(value);
  resources.add(resource);
  if (interruptedWhileOpening) await exitAfterClose(130);
  return { value, resource };
}

async function release(resource: Resource): Promise<void> {
  await closeOnce(resource);
  resources.delete(resource);
}

// ---- the Temporal runtime ----

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
    if (entry.message === 'Workflow failed' && meta.workflowType === 'syncWorkflow') return;
    const detail = typeof error?.message === 'string' ? error.message : typeof meta.message === 'string' ? meta.message : '';
    out.warn(`worker ${entry.level.toLowerCase()}: ${entry.message}${detail ? `: ${oneLine(detail, 300)}` : ''}`);
  };
}

// ---- `music-sync up` publishes its services for the other commands ----

interface UpState {
  pid: number;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl: string | undefined;
}

function upStateFile(dataDir: string): string {
  return path.join(dataDir, 'up.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a live `music-sync up` on this data dir, if any. */
export function readUpState(dataDir: string): UpState | undefined {
  const file = upStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as UpState;
    return state.pid !== process.pid && isAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/**
 * While `up` runs, its embedded Postgres holds the data dir; other commands use its services
 * (through the same environment variables a user would set) instead of failing to start their own.
 */
export function adoptUpState(ctx: CliContext, announce: boolean): void {
  if (process.env.DATABASE_URL || process.env.TEMPORAL_ADDRESS) return;
  const state = readUpState(ctx.dataDir);
  if (!state) return;
  process.env.DATABASE_URL = state.databaseUrl;
  process.env.TEMPORAL_ADDRESS = state.temporalAddress;
  process.env.TEMPORAL_NAMESPACE ??= state.namespace;
  if (announce) ctx.out.info(`using the services of \`music-sync up\` (pid ${state.pid})`);
}

export async function writeUpState(dataDir: string, stack: Stack): Promise<void> {
  const state: UpState = {
    pid: process.pid,
    databaseUrl: stack.databaseUrl,
    temporalAddress: stack.temporal.address,
    namespace: stack.temporal.namespace,
    uiUrl: stack.temporal.uiUrl,
  };
  // It holds the database password: readable by the owner only.
  await fs.writeFile(upStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function removeUpState(dataDir: string): Promise<void> {
  const file = upStateFile(dataDir);
  try {
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as UpState;
    if (state.pid === process.pid) await fs.rm(file, { force: true });
  } catch {
    // not ours or gone
  }
}

/** Whether a Temporal server is given (else we start a dev server of our own, and no other worker polls it). */
export function temporalGiven(): boolean {
  return Boolean(process.env.TEMPORAL_ADDRESS);
}

// ---- opening services ----

export interface OpenedStack {
  stack: Stack;
  close(): Promise<void>;
}

/** Postgres + Temporal (+ a worker), started where the environment does not provide them. */
export async function openFullStack(ctx: CliContext, options: Omit<StackOptions, 'dataDir' | 'log'>): Promise<OpenedStack> {
  if (options.worker) installTemporalRuntime(ctx);
  const { value: stack, resource } = await guardedOpen(
    () => openStack({ ...options, dataDir: ctx.dataDir, log: (line) => ctx.out.info(line) }),
    (s) => ({
      close: () => s.close(),
      kill: () => {
        // stop() signals the child before its first await.
        void s.temporal.stop().catch(() => undefined);
        void s.postgres.stop().catch(() => undefined);
      },
    }),
  );
  return { stack, close: () => release(resource) };
}

export interface DbStack {
  db: Db;
  databaseUrl: string;
  postgres: PostgresHandle;
  sync: SyncClient;
  close(): Promise<void>;
}

/**
 * Postgres only, migrated, with a SyncClient whose Temporal connection is lazy: the read-only
 * commands (status, history, tracks, ...) never talk to Temporal, so they do not start it.
 */
export async function openDbStack(ctx: CliContext): Promise<DbStack> {
  const { value, resource } = await guardedOpen(
    async () => {
      // The quick commands keep stderr to their one result or error; their start-up chatter is for debugging.
      const postgres = await startPostgres({ dataDir: ctx.dataDir, log: (line) => (ctx.debug ? ctx.out.warn(line) : undefined) });
      const db = createDb(postgres.url);
      try {
        await migrateToLatest(db);
      } catch (err) {
        await db.destroy().catch(() => undefined);
        await postgres.stop().catch(() => undefined);
        throw err;
      }
      const connection = Connection.lazy({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
      const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
      const sync = new SyncClient({ temporal: client, db, databaseUrl: postgres.url, providers: defaultProviders() });
      const close = async () => {
        await connection.close().catch(() => undefined);
        await db.destroy().catch(() => undefined);
        await postgres.stop();
      };
      return { db, databaseUrl: postgres.url, postgres, sync, close };
    },
    (s) => ({ close: s.close, kill: () => void s.postgres.stop().catch(() => undefined) }),
  );
  return { ...value, close: () => release(resource) };
}

/** Runs `fn` with a database-only stack, closing it whatever happens. */
export async function withDb<T>(ctx: CliContext, fn: (s: DbStack) => Promise<T>): Promise<T> {
  const s = await openDbStack(ctx);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

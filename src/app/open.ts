// The composition root: from the settings, the one place that builds the database, the Temporal
// connection, the provider registry with the host's network policy, the client and the worker. The
// CLI, the bench and the end-to-end tests take what it built; everything it opens, `close` closes.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { NetworkPolicy } from '../activities/index.ts';
import { actorRequests } from '../client/actor-requests.ts';
import { keepReconciling } from '../client/reconcile.ts';
import { SyncClient } from '../client/sync-client.ts';
import { createDb, type Db } from '../db/connect.ts';
import { createMigrator, migrateToLatest } from '../db/migrate.ts';
import { checkHealth, TEMPORAL_TIMEOUT_MS } from '../observe/health.ts';
import { startMetricsListener } from '../observe/listener.ts';
import { createMetrics, type AppMetrics } from '../observe/metrics.ts';
import { sdkMetricsUrl } from '../observe/runtime.ts';
import { startTracing } from '../observe/tracing.ts';
import { defaultProviders, type ProviderRegistry } from '../providers/registry.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { startPostgres, type PostgresHandle } from '../stack/postgres.ts';
import { ensureSearchAttributes } from '../stack/search-attributes.ts';
import { givenTemporal, startTemporal, type TemporalHandle } from '../stack/temporal.ts';
import { startFolderWatcher, type FolderWatcher } from '../watch/folder-watcher.ts';
import { createSyncWorker } from '../workers/worker.ts';
import type { Settings } from './settings.ts';

/** Where a `lazy` app looks for Temporal when the settings name no server: `music-sync up`'s port. */
const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface OpenOptions {
  dataDir: string;
  log?: (line: string) => void;
  /** Problems met later, while running (an idle database connection lost); `log` when not given. */
  warn?: (line: string) => void;
}

export interface AppOptions extends OpenOptions {
  /** `start`: the server of the settings, or a dev server started here. `lazy`: connect on first use to
   * the server of the settings (or a local `up`), and never start one; for commands that read only
   * the database and may not need Temporal at all. */
  temporal: 'start' | 'lazy';
  /** Run a worker in this process (the one-shot commands and `up` do). */
  worker?: boolean;
  /** Fixed ports for the dev server (`up`): 7233 and the Web UI on 8233. */
  temporalPort?: number;
  uiPort?: number;
  ui?: boolean;
  /** Where the worker spools files read whole over a network (default: the system's temp dir). */
  tempDir?: string;
  /** Follow local profiles' folders while this process runs (`up`, `worker`), unless the settings
   * turn the watcher off: their changes become sync requests. */
  watch?: boolean;
  /** Who the app's client asks for syncs as: `client` unless told otherwise (the CLI says `cli`). */
  requestedBy?: 'client' | 'cli';
  /** Count the worker's figures and serve them, with its health, on the settings' metrics address
   * (with `worker`, unless the settings turn metrics off). An address already taken is no failure:
   * `metricsEndpoint` says why nothing listens. */
  metrics?: boolean;
}

/** The library database, migrated. */
export interface OpenDatabase {
  db: Db;
  databaseUrl: string;
  postgres: PostgresHandle;
  /** Migrations this open applied (none when the schema was up to date). */
  migrated: string[];
  /** Every migration of the schema, oldest first, with when it ran (asked for by `migrate` only). */
  listMigrations(): Promise<{ name: string; executedAt: Date | null }[]>;
  close(): Promise<void>;
}

export interface App extends OpenDatabase {
  settings: Settings;
  temporal: TemporalHandle;
  client: Client;
  providers: ProviderRegistry;
  networkPolicy: NetworkPolicy;
  sync: SyncClient;
  worker: Worker | undefined;
  /** Runs the worker (if any) until `close` is called. */
  workerRun: Promise<void> | undefined;
  /** Follows local profiles' folders (with `watch`). */
  watcher: FolderWatcher | undefined;
  /** The worker's counters (with `metrics`). */
  metrics: AppMetrics | undefined;
  /** Where `/metrics` and `/healthz` answer, or why they do not (with `metrics`). */
  metricsEndpoint: { url: string } | { error: string } | undefined;
}

/** The host's network as the settings describe it. */
export function networkPolicyOf(settings: Settings): NetworkPolicy {
  const { metered } = settings;
  return { isMetered: async () => metered };
}

/** The key that seals profiles' credentials, when the settings give one (a malformed one is refused
 * here, before anything starts). */
export function secretBoxOf(settings: Settings): SecretBox | undefined {
  return settings.secretKey === undefined ? undefined : SecretBox.fromKeyText(settings.secretKey);
}

/** Closes what was opened, last first; one failure does not keep the rest open. */
function closer(log: (line: string) => void) {
  const steps: (() => Promise<void>)[] = [];
  return {
    add: (fn: () => Promise<void>) => void steps.push(fn),
    close: async () => {
      for (const fn of steps.reverse()) await fn().catch((err) => log(`shutdown: ${(err as Error).message}`));
      steps.length = 0;
    },
  };
}

/** Postgres from the settings (or embedded, in the data dir), migrated to the latest schema. */
export async function openDatabase(settings: Settings, options: OpenOptions): Promise<OpenDatabase> {
  const log = options.log ?? (() => {});
  const cleanup = closer(log);
  try {
    const postgres = await startPostgres({ url: settings.databaseUrl, dataDir: options.dataDir, log });
    cleanup.add(() => postgres.stop());
    const db = createDb(postgres.url, undefined, options.warn ?? options.log);
    cleanup.add(() => db.destroy());
    const result = await migrateToLatest(db);
    const migrated = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const listMigrations = async () =>
      (await createMigrator(db).getMigrations()).map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
    return { db, databaseUrl: postgres.url, postgres, migrated, listMigrations, close: cleanup.close };
  } catch (err) {
    await cleanup.close();
    throw err;
  }
}

/** Everything a command, the bench or a test needs: database, Temporal, providers, client, maybe a worker. */
export async function openApp(settings: Settings, options: AppOptions): Promise<App> {
  const secretBox = secretBoxOf(settings);
  const log = options.log ?? (() => {});
  const cleanup = closer(log);
  try {
    // Opened first, so closed last: the spans of everything else's closing are still sent.
    const tracing = await startTracing(settings.tracing);
    if (tracing) cleanup.add(() => tracing.shutdown());
    const database = await openDatabase(settings, options);
    cleanup.add(() => database.close());
    const { db } = database;

    let temporal: TemporalHandle;
    let connection: Connection;
    if (options.temporal === 'lazy') {
      temporal = givenTemporal(settings.temporal, settings.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS);
      connection = Connection.lazy({ address: temporal.address });
    } else {
      temporal = await startTemporal({
        settings: settings.temporal, dataDir: options.dataDir, port: options.temporalPort, uiPort: options.uiPort, ui: options.ui, log,
      });
      cleanup.add(() => temporal.stop());
      connection = await Connection.connect({ address: temporal.address });
      if (!temporal.started) await ensureSearchAttributes(connection, temporal.namespace);
    }
    cleanup.add(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace, interceptors: tracing?.clientInterceptors });
    const providers = defaultProviders();
    const networkPolicy = networkPolicyOf(settings);
    const sync = new SyncClient({ temporal: client, db, databaseUrl: database.databaseUrl, providers, secretBox, requestedBy: options.requestedBy });

    let worker: Worker | undefined;
    let workerRun: Promise<void> | undefined;
    const metrics = options.worker && options.metrics && settings.metrics.enabled ? createMetrics({ db }) : undefined;
    let metricsEndpoint: App['metricsEndpoint'];
    if (options.worker) {
      const nativeConnection = await NativeConnection.connect({ address: temporal.address });
      cleanup.add(() => nativeConnection.close());
      worker = await createSyncWorker({
        connection: nativeConnection, namespace: temporal.namespace, db, providers, networkPolicy, secretBox, tempDir: options.tempDir, tracing: tracing?.worker,
        actors: { temporal: client, searchAttributes: true }, metrics,
      });
      const w = worker;
      workerRun = w.run();
      cleanup.add(async () => {
        if (w.getState() === 'RUNNING') w.shutdown();
        await workerRun;
      });
      // Jobs whose runs ended without recording it (terminated, timed out by the server...): now and every few minutes.
      cleanup.add(keepReconciling({ db, temporal: client }, { log }).stop);
      if (metrics) {
        const healthDb = createDb(database.databaseUrl, 1, options.warn ?? log);
        cleanup.add(() => healthDb.destroy());
        const temporalAnswers = () =>
          connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
        try {
          const listener = await startMetricsListener({
            ...settings.metrics.listen, registry: metrics.registry, sdkMetricsUrl: sdkMetricsUrl(),
            health: () => checkHealth({ worker: w, db: healthDb, temporal: temporalAnswers }),
          });
          cleanup.add(() => listener.stop());
          metricsEndpoint = { url: listener.url };
        } catch (err) {
          const { host, port } = settings.metrics.listen;
          metricsEndpoint = { error: `metrics and health off: cannot listen on ${host}:${port}: ${(err as Error).message}` };
        }
      }
    }
    let watcher: FolderWatcher | undefined;
    if (options.watch && settings.watch.enabled) {
      const { quietMs, maxWaitMs } = settings.watch;
      watcher = await startFolderWatcher({ db, sink: actorRequests(client), quietMs, maxWaitMs, log });
      const w = watcher;
      cleanup.add(() => w.stop());
    }
    return { ...database, settings, temporal, client, providers, networkPolicy, sync, worker, workerRun, watcher, metrics, metricsEndpoint, close: cleanup.close };
  } catch (err) {
    await cleanup.close();
    throw err;
  }
}

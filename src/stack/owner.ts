// Who runs the embedded services of a data dir. The process that starts one records itself (pid and
// start time) and the service (pid, ports, folder) in `<data-dir>/owner.json`, and takes the service
// out again when it stops it. A process that dies without stopping its services (SIGKILL, the OOM
// killer) leaves them running, holding the data dir and its ports: the next start in that data dir
// finds the owner gone, stops what it left, and takes the data dir over.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataDirError } from './data-dir.ts';
import { runningPostmaster } from './postmaster.ts';
import { isRunning, processStart, stopProcess } from './processes.ts';

export type ServiceName = 'postgres' | 'temporal';

export interface ServiceRecord {
  /** Unknown for Postgres until it is up; its lock file names it meanwhile. */
  pid?: number;
  start?: string;
  port?: number;
  uiPort?: number;
  /** Postgres: its data directory. */
  dir?: string;
}

interface OwnerRecord {
  pid: number;
  start?: string;
  since: string;
  services: Partial<Record<ServiceName, ServiceRecord>>;
}

export const OWNER_FILE = 'owner.json';

const SERVICE_NAMES: Record<ServiceName, string> = { postgres: 'the embedded PostgreSQL', temporal: 'the Temporal dev server' };

/**
 * Makes this process the owner of the data dir before it starts a service there. An owner that is gone
 * left its services running: they are stopped first. A live other owner is a DataDirError: two
 * processes cannot run services on one data dir.
 */
export async function claimDataDir(dataDir: string, log: (line: string) => void = () => {}): Promise<void> {
  const current = readOwner(dataDir);
  if (current && isSelf(current)) return;
  if (current && isRunning(current.pid, current.start)) {
    throw new DataDirError(
      `the data dir ${dataDir} is in use by another music-sync (pid ${current.pid}, since ${current.since}): ` +
        `wait for it to end or stop it, or choose another with --data-dir`,
    );
  }
  if (current) await stopLeftovers(dataDir, current, log);
  writeOwner(dataDir, { pid: process.pid, start: processStart(process.pid), since: new Date().toISOString(), services: {} });
}

/** Records a service this process started (or is starting) in the data dir it claimed. */
export function recordService(dataDir: string, name: ServiceName, record: ServiceRecord): void {
  const current = readOwner(dataDir);
  const owner = current && isSelf(current) ? current : { pid: process.pid, start: processStart(process.pid), since: new Date().toISOString(), services: {} };
  owner.services[name] = record;
  writeOwner(dataDir, owner);
}

/** Takes a stopped service out of the record; the file goes with the last one. */
export function releaseService(dataDir: string, name: ServiceName): void {
  const current = readOwner(dataDir);
  if (!current || !isSelf(current)) return;
  delete current.services[name];
  if (Object.keys(current.services).length === 0) rmSync(ownerFile(dataDir), { force: true });
  else writeOwner(dataDir, current);
}

/** Stops what a dead owner left running: Postgres by its lock file (which names it even before its
 * pid was recorded), the dev server by its recorded pid and start time. */
async function stopLeftovers(dataDir: string, owner: OwnerRecord, log: (line: string) => void): Promise<void> {
  const stopped: string[] = [];
  const stuck: string[] = [];
  const postgresDir = owner.services.postgres?.dir ?? path.join(dataDir, 'postgres');
  const postmaster = runningPostmaster(postgresDir);
  if (postmaster !== undefined) {
    // SIGINT: fast shutdown (clients disconnected, data flushed); SIGQUIT: immediate; then SIGKILL.
    const gone = await stopProcess(postmaster, { start: processStart(postmaster), signals: ['SIGINT', 'SIGQUIT', 'SIGKILL'], graceMs: 10_000 });
    (gone ? stopped : stuck).push(`${SERVICE_NAMES.postgres} (pid ${postmaster})`);
  }
  const temporal = owner.services.temporal;
  if (temporal?.pid !== undefined && isRunning(temporal.pid, temporal.start)) {
    const gone = await stopProcess(temporal.pid, { start: temporal.start, signals: ['SIGTERM', 'SIGKILL'], graceMs: 10_000, group: true });
    (gone ? stopped : stuck).push(`${SERVICE_NAMES.temporal} (pid ${temporal.pid})`);
  }
  if (stuck.length > 0) {
    throw new DataDirError(
      `${stuck.join(' and ')}, left running in ${dataDir} by music-sync pid ${owner.pid}, could not be stopped: ` +
        `stop ${stuck.length > 1 ? 'them' : 'it'} yourself, or choose another data dir with --data-dir`,
    );
  }
  if (stopped.length > 0) log(`stopped ${stopped.join(' and ')}, left running in ${dataDir} by music-sync pid ${owner.pid}, which is gone`);
  rmSync(ownerFile(dataDir), { force: true });
}

function isSelf(owner: OwnerRecord): boolean {
  return owner.pid === process.pid && (owner.start === undefined || owner.start === processStart(process.pid));
}

function ownerFile(dataDir: string): string {
  return path.join(dataDir, OWNER_FILE);
}

function readOwner(dataDir: string): OwnerRecord | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile(dataDir), 'utf8')) as OwnerRecord;
    return typeof owner.pid === 'number' && typeof owner.services === 'object' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a reader never sees half a file). */
function writeOwner(dataDir: string, owner: OwnerRecord): void {
  const file = ownerFile(dataDir);
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, `${JSON.stringify(owner, null, 2)}\n`);
  renameSync(partial, file);
}

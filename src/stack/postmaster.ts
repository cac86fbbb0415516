// The lock file of a PostgreSQL data directory: `postmaster.pid` names the server that runs on it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commandLine, isRunning } from './processes.ts';

/** The pid of the PostgreSQL server running on `databaseDir`, if one is; undefined when the lock file is
 * missing or stale (its process ended, or the pid now belongs to another program). */
export function runningPostmaster(databaseDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile(databaseDir), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!isRunning(pid)) return undefined;
  const command = commandLine(pid);
  // Unknown command line (no /proc, no ps): trust the lock file, as Postgres itself does.
  return command === '' || (command.includes('postgres') && command.includes(databaseDir)) ? pid : undefined;
}

export function lockFile(databaseDir: string): string {
  return path.join(databaseDir, 'postmaster.pid');
}

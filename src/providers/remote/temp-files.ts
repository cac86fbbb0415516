// Temporary files of ours (spooled bodies, downloads): named so a sweep can tell them from anything
// else in the folder, and removed by that sweep when a killed worker left them behind.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TEMP_FILE_PATTERN = /^music-sync-\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.part$/;

/** Where a worker spools unless told otherwise: a folder of ours in the system's temp dir. */
export function defaultTempDir(): string {
  return path.join(os.tmpdir(), 'music-sync');
}

/** A new name `<tempDir>/music-sync-<pid>-<uuid>.part` (the folder is created if missing; the file
 * is not: create it exclusively). */
export async function tempFilePath(tempDir: string): Promise<string> {
  await fs.mkdir(tempDir, { recursive: true, mode: 0o700 });
  return path.join(tempDir, `music-sync-${process.pid}-${randomUUID()}.part`);
}

/** Whether the process whose id the name carries still runs on this machine (a killed worker's
 * files need not wait to be old). */
function ownerAlive(name: string): boolean {
  const pid = Number(name.split('-')[2]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Removes our temporary files in `tempDir` whose writer is gone or not written for `olderThanMs`
 * (only regular files named like tempFilePath's; links and anything else are left alone). Answers
 * how many went. */
export async function sweepTempFiles(tempDir: string, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(tempDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const before = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of names) {
    if (!TEMP_FILE_PATTERN.test(name)) continue;
    const file = path.join(tempDir, name);
    try {
      const stat = await fs.lstat(file);
      if (!stat.isFile() || (stat.mtimeMs >= before && ownerAlive(name))) continue;
      await fs.unlink(file);
      removed += 1;
    } catch (err) {
      // Gone meanwhile (another worker's sweep, its owner finishing): nothing to do.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}

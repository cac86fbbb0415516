// The data dir: the folder where the embedded services keep their state. Made ready (created,
// writable) before anything starts in it, with one clear line when it cannot be.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The data dir cannot be used: cannot be created, is in use by another music-sync, or cannot be
 * reached by the user the embedded PostgreSQL runs as. The message says what to do. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const CHOOSE_ANOTHER = 'choose another with --data-dir';

/** Creates the data dir and its missing parents, checks that files can be written in it, and returns
 * its absolute path. */
export async function prepareDataDir(dataDir: string): Promise<string> {
  const dir = path.resolve(dataDir);
  // Not fs.mkdir({ recursive }): where the kernel answers ENOENT for a new folder whose parent exists
  // (/proc, /sys), Node's recursive mkdir retries forever. Walk up to the first existing folder instead.
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const stat = await fs.stat(existing).catch((err: NodeJS.ErrnoException) => err);
    if (!(stat instanceof Error)) {
      if (!stat.isDirectory()) {
        const what = existing === dir ? `the data dir ${dir} is a file` : `the data dir ${dir} cannot be created: ${existing} is a file`;
        throw new DataDirError(`${what}, not a folder; ${CHOOSE_ANOTHER}`);
      }
      break;
    }
    if (stat.code !== 'ENOENT' && stat.code !== 'ENOTDIR') {
      throw new DataDirError(`the data dir ${dir} cannot be used: ${reason(stat, existing, 'folders')}; ${CHOOSE_ANOTHER}`);
    }
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  for (const folder of missing) {
    await fs.mkdir(folder).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return;
      throw new DataDirError(`the data dir ${dir} cannot be created: ${reason(err, path.dirname(folder), 'folders')}; ${CHOOSE_ANOTHER}`);
    });
  }
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    await fs.writeFile(probe, '');
  } catch (err) {
    throw new DataDirError(`the data dir ${dir} is not writable: ${reason(err as NodeJS.ErrnoException, dir, 'files')}; ${CHOOSE_ANOTHER}`);
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
  }
  return dir;
}

/** Why the file system refused, in words, naming the folder it refused in. */
function reason(err: NodeJS.ErrnoException, folder: string, made: 'folders' | 'files'): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied in ${folder}`;
    case 'EROFS':
      return `${folder} is on a read-only file system`;
    case 'ENOSPC':
      return `no space left on the device of ${folder}`;
    case 'ENOENT':
      return `${folder} does not take new ${made}`;
    default:
      return `${err.code ?? 'error'} in ${folder}`;
  }
}

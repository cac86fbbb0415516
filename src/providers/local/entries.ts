import { promises as fs, type BigIntStats, type Dirent, type Stats } from 'node:fs';
import { errnoCode, errnoReason, isGone } from './errors.ts';
import { isInside } from './paths.ts';

/** What the listing makes of one folder entry. */
export type Entry =
  | { kind: 'folder' }
  | { kind: 'file'; stat: BigIntStats }
  /** Nothing to read and nothing to say: it vanished, its link leads nowhere, or it is a linked folder. */
  | { kind: 'skipped' }
  /** Something the user should hear about: it may hold music that this sync cannot read. */
  | { kind: 'unlisted'; reason: string };

/**
 * Only regular files inside the music folder are read. A symlink to a file counts when its real
 * target lies inside the root's real path; a symlinked folder is not followed (as a loop could hang a
 * sync, and a folder linked from inside is listed where it really is).
 */
export async function classify(abs: Buffer, dirent: Dirent<Buffer>, realRoot: Buffer): Promise<Entry> {
  if (dirent.isDirectory()) return { kind: 'folder' };
  let stat: BigIntStats;
  try {
    stat = await fs.lstat(abs, { bigint: true });
  } catch (err) {
    return unreadable(err);
  }
  if (stat.isFile()) return { kind: 'file', stat };
  if (stat.isDirectory()) return { kind: 'folder' }; // replaced by a folder since readdir
  if (!stat.isSymbolicLink()) return { kind: 'unlisted', reason: `not a regular file (${typeName(stat)})` };
  return followLink(abs, realRoot);
}

async function followLink(abs: Buffer, realRoot: Buffer): Promise<Entry> {
  let real: Buffer;
  let target: BigIntStats;
  try {
    real = await fs.realpath(abs, { encoding: 'buffer' });
    target = await fs.stat(real, { bigint: true });
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') return { kind: 'unlisted', reason: 'symlink loop' };
    return unreadable(err);
  }
  if (target.isDirectory()) return { kind: 'skipped' };
  if (!isInside(realRoot, real)) return { kind: 'unlisted', reason: 'symlink leads outside the music folder' };
  if (!target.isFile()) return { kind: 'unlisted', reason: `symlink to something that is not a regular file (${typeName(target)})` };
  return { kind: 'file', stat: target };
}

function unreadable(err: unknown): Entry {
  return isGone(err) ? { kind: 'skipped' } : { kind: 'unlisted', reason: `could not be read: ${errnoReason(err)}` };
}

export function typeName(stat: Stats | BigIntStats): string {
  if (stat.isFIFO()) return 'FIFO';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'character device';
  if (stat.isBlockDevice()) return 'block device';
  if (stat.isDirectory()) return 'folder';
  if (stat.isSymbolicLink()) return 'symlink';
  return 'unknown type';
}

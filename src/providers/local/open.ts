import { constants, promises as fs } from 'node:fs';
import type { RandomAccessReader } from '../types.ts';
import { ProviderError } from '../types.ts';
import { typeName } from './entries.ts';
import { toProviderError } from './errors.ts';
import { isInside, shown, type LocalPath } from './paths.ts';

// Never wait on a FIFO (open would block until a writer comes) and never follow a link swapped in
// after the target was checked. O_NONBLOCK changes nothing for reads of regular files.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * Opens a listed file for ranged reads: only a regular file whose real path lies inside the root's
 * real path. The file is checked by path before it is opened (so no device is ever opened) and by
 * handle after (so nothing swapped in between is read).
 */
export async function openInside(rootText: string, root: LocalPath, file: LocalPath): Promise<RandomAccessReader> {
  const where = shown(rootText, file);
  let real: Buffer;
  try {
    const realRoot = await fs.realpath(root.bytes, { encoding: 'buffer' });
    real = await fs.realpath(file.bytes, { encoding: 'buffer' });
    if (!isInside(realRoot, real)) throw new ProviderError('invalid', `${where} leads outside the music folder`);
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new ProviderError('invalid', `not a regular file: ${where} (${typeName(stat)})`);
  } catch (err) {
    throw toProviderError(err, where);
  }
  return openRegularFile(real, where);
}

/** Opens `path` without blocking and reads it only if the handle is a regular file. */
export async function openRegularFile(path: Buffer, where: string): Promise<RandomAccessReader> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, OPEN_FLAGS);
  } catch (err) {
    throw toProviderError(err, where);
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ProviderError('invalid', `not a regular file: ${where} (${typeName(stat)})`);
    size = stat.size;
  } catch (err) {
    await handle.close();
    throw toProviderError(err, where);
  }
  return {
    size,
    async read(buffer, offset, length, position) {
      const { bytesRead } = await handle.read(buffer, offset, length, position);
      return bytesRead;
    },
    close: () => handle.close(),
  };
}

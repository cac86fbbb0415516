import { promises as fs } from 'node:fs';
import path from 'node:path';
import { textToBytes } from '../path-bytes.ts';
import type { ListPage, ProfileLocation, ProviderFile, ProviderModule, RandomAccessReader, StorageProvider } from '../types.ts';
import { ProviderError } from '../types.ts';
import { listPage } from './list.ts';
import { openInside } from './open.ts';
import { resolveListed, type LocalPath } from './paths.ts';

/** A folder on this machine. File ids are `dev:ino:btime` (see identity.ts), so a rename keeps its
 * id; names that are not UTF-8 are listed and opened by their bytes (see path-bytes.ts). */
export class LocalProvider implements StorageProvider {
  readonly kind = 'local';
  readonly usesNetwork = false;
  readonly root: string;
  private readonly rootPath: LocalPath;

  constructor(root: string) {
    this.root = path.resolve(root);
    let bytes: Buffer;
    try {
      bytes = textToBytes(this.root);
    } catch (err) {
      throw new ProviderError('invalid', (err as Error).message, { cause: err });
    }
    this.rootPath = { segments: [], bytes };
  }

  async validate(): Promise<void> {
    let stat;
    try {
      stat = await fs.stat(this.rootPath.bytes);
    } catch (err) {
      // A missing root is "unavailable", never "empty": an unmounted drive must not wipe a library.
      throw new ProviderError('unavailable', `music folder ${this.root} is not reachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!stat.isDirectory()) throw new ProviderError('invalid', `${this.root} is not a folder`);
    try {
      await fs.access(this.rootPath.bytes, fs.constants?.R_OK ?? 4);
    } catch (err) {
      throw new ProviderError('forbidden', `music folder ${this.root} is not readable`, { cause: err });
    }
  }

  /** Depth-first, names in code-unit order; the page token is the last path returned (see list.ts). */
  list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    return listPage(this.rootPath, this.root, pageToken, pageSize);
  }

  /** Opens a regular file inside the root; never blocks on a FIFO (see open.ts). */
  async open(file: Pick<ProviderFile, 'fileId' | 'path'>): Promise<RandomAccessReader> {
    return openInside(this.root, this.rootPath, resolveListed(this.rootPath, file.path));
  }
}

/** A local profile's root is stored as an absolute path, and must be a folder when it is registered
 * (a sync later tells an unmounted folder apart from an empty one, see `validate`). */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  const root = path.resolve(location.root);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) throw new ProviderError('invalid', `${root} is not a folder`);
  return { root, settings: location.settings };
}

export const localProvider: ProviderModule<'local'> = {
  kind: 'local',
  secretNames: [],
  normalizeProfile,
  create: (profile) => new LocalProvider(profile.root),
};

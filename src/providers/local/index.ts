import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import type { ListPage, ProfileLocation, ProviderFile, ProviderModule, RandomAccessReader, StorageProvider } from '../types.ts';
import { ProviderError } from '../types.ts';
import { compareSegments } from './order.ts';

/** A folder on this machine. File ids are device:inode, so a rename keeps its id. */
export class LocalProvider implements StorageProvider {
  readonly kind = 'local';
  readonly usesNetwork = false;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async validate(): Promise<void> {
    let stat;
    try {
      stat = await fs.stat(this.root);
    } catch (err) {
      // A missing root is "unavailable", never "empty": an unmounted drive must not wipe a library.
      throw new ProviderError('unavailable', `music folder ${this.root} is not reachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!stat.isDirectory()) throw new ProviderError('invalid', `${this.root} is not a folder`);
    try {
      await fs.access(this.root, fs.constants?.R_OK ?? 4);
    } catch (err) {
      throw new ProviderError('unauthorized', `music folder ${this.root} is not readable`, { cause: err });
    }
  }

  /** Depth-first, names in code-unit order; the page token is the last path returned, so a retried
   * page resumes exactly where the previous one ended without holding any state between calls. */
  async list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    const after = pageToken ? pageToken.split('/') : undefined;
    const files: ProviderFile[] = [];
    const walk = async (segments: string[]): Promise<boolean> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(path.join(this.root, ...segments), { withFileTypes: true });
      } catch (err) {
        if (segments.length === 0) throw toProviderError(err, this.root);
        return true; // a folder that vanished mid-listing simply has no files
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue; // hidden files and AppleDouble `._x.mp3` junk
        const rel = [...segments, entry.name];
        if (after && compareSegments(rel, after) <= 0 && !isAncestor(rel, after)) continue;
        const abs = path.join(this.root, ...rel);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          // Symlinked files count; symlinked folders are skipped so a link loop cannot hang a sync.
          const target = await fs.stat(abs).catch(() => undefined);
          isFile = target?.isFile() ?? false;
          isDir = false;
        }
        if (isDir) {
          if (!(await walk(rel))) return false;
        } else if (isFile) {
          if (after && compareSegments(rel, after) <= 0) continue;
          const stat = await fs.stat(abs, { bigint: true }).catch(() => undefined);
          if (!stat) continue; // deleted between readdir and stat
          files.push({
            fileId: `${stat.dev}:${stat.ino}`,
            path: rel.join('/'),
            size: Number(stat.size),
            modifiedAt: new Date(Number(stat.mtimeMs)),
            mimeType: null,
            providerHash: null,
          });
          if (files.length >= pageSize) return false;
        }
      }
      return true;
    };
    const finished = await walk([]);
    const last = files.at(-1);
    return finished || !last ? { files } : { files, nextPageToken: last.path };
  }

  async open(file: Pick<ProviderFile, 'fileId' | 'path'>): Promise<RandomAccessReader> {
    const abs = path.join(this.root, ...file.path.split('/'));
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(abs, 'r');
    } catch (err) {
      throw toProviderError(err, abs);
    }
    const { size } = await handle.stat();
    return {
      size,
      async read(buffer, offset, length, position) {
        const { bytesRead } = await handle.read(buffer, offset, length, position);
        return bytesRead;
      },
      close: () => handle.close(),
    };
  }
}

function isAncestor(dir: string[], file: string[]): boolean {
  return dir.length < file.length && dir.every((s, i) => s === file[i]);
}

function toProviderError(err: unknown, where: string): ProviderError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ProviderError('notFound', `${where} does not exist`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new ProviderError('unauthorized', `${where} is not readable`, { cause: err });
  return new ProviderError('unavailable', `${where}: ${(err as Error).message}`, { cause: err });
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
  normalizeProfile,
  create: (profile) => new LocalProvider(profile.root),
};

import { promises as fs, type Dirent } from 'node:fs';
import { bytesToText } from '../path-bytes.ts';
import type { ListPage, ProviderFile } from '../types.ts';
import { classify } from './entries.ts';
import { errnoReason, isGone, toProviderError } from './errors.ts';
import { fileIdOf } from './identity.ts';
import { compareSegments, isAncestor } from './order.ts';
import { child, type LocalPath } from './paths.ts';

type Unlisted = NonNullable<ListPage['unlisted']>[number];

/**
 * One page of a depth-first walk with names in code-unit order (of their text, see path-bytes.ts).
 * The walk's positions are the files it returns and the entries it reports as unlisted; the page
 * token is the last position, so a retried page resumes exactly where the previous one ended
 * without holding any state between calls, and each position is on exactly one page. An unlisted
 * folder stands for everything under it: resuming after it skips it.
 */
export async function listPage(root: LocalPath, rootText: string, pageToken: string | undefined, pageSize: number): Promise<ListPage> {
  const after = pageToken ? pageToken.split('/') : undefined;
  const limit = Math.max(1, pageSize);
  const files: ProviderFile[] = [];
  const unlisted: Unlisted[] = [];
  let last: string | undefined;
  const full = (): boolean => files.length + unlisted.length >= limit;
  const report = (path: string, reason: string, folder = false): boolean => {
    unlisted.push(folder ? { path, reason, folder } : { path, reason });
    last = path;
    return !full();
  };

  let realRoot: Buffer;
  try {
    realRoot = await fs.realpath(root.bytes, { encoding: 'buffer' });
  } catch (err) {
    throw toProviderError(err, rootText);
  }

  /** Walks one folder; false when the page is full. */
  const walk = async (dir: LocalPath): Promise<boolean> => {
    let dirents: Dirent<Buffer>[];
    try {
      dirents = await fs.readdir(dir.bytes, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      if (dir.segments.length === 0) throw toProviderError(err, rootText);
      if (isGone(err)) return true; // vanished mid-listing: really gone
      return report(dir.segments.join('/'), `folder could not be listed: ${errnoReason(err)}`, true);
    }
    const entries = dirents.map((dirent) => ({ dirent, name: bytesToText(dirent.name) }));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { dirent, name } of entries) {
      if (name.startsWith('.')) continue; // hidden files and AppleDouble `._x.mp3` junk
      const at = child(dir, name, dirent.name);
      const order = after ? compareSegments(at.segments, after) : 1;
      if (order <= 0 && !isAncestor(at.segments, after!)) continue;
      const entry = await classify(at.bytes, dirent, realRoot);
      if (entry.kind === 'folder') {
        if (!(await walk(at))) return false;
        continue;
      }
      if (order <= 0) continue; // a file where a folder on the token's path was
      const path = at.segments.join('/');
      if (entry.kind === 'unlisted' && !report(path, entry.reason)) return false;
      if (entry.kind === 'file') {
        const { stat } = entry;
        files.push({
          fileId: fileIdOf(stat),
          path,
          size: Number(stat.size),
          modifiedAt: new Date(Number(stat.mtimeMs)),
          mimeType: null,
          providerHash: null,
          revision: null,
        });
        last = path;
        if (full()) return false;
      }
    }
    return true;
  };

  const finished = await walk({ segments: [], bytes: root.bytes });
  const page: ListPage = { files };
  if (unlisted.length > 0) page.unlisted = unlisted;
  if (!finished && last !== undefined) page.nextPageToken = last;
  return page;
}

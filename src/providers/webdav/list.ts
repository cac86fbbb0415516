// The recursive listing of a WebDAV folder, one PROPFIND (Depth 1) per folder, in pages.
import { displayName } from '../path-bytes.ts';
import type { ListPage, ProviderFile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { providerHashOf } from './checksums.ts';
import { samePath, segmentsBelow } from './location.ts';
import type { DavEntry } from './propfind.ts';

type Unlisted = NonNullable<ListPage['unlisted']>[number];

/** A folder's Depth 1 answer, or why the server would not list it (a subfolder it refuses or no
 * longer has: it goes into `unlisted`, never into an empty listing). */
export type FolderAnswer = { entries: DavEntry[] } | { refused: string };

/** Lists one folder (segments relative to the root); throws ProviderError for failures that end the
 * listing. */
export type ListFolder = (folder: readonly string[], signal: AbortSignal) => Promise<FolderAnswer>;

/** Where a listing stands between pages: the folders still to list, the current one first, and
 * the last name already returned from the current one. */
interface Position {
  folders: string[];
  after?: string;
}

/**
 * One page of a depth-first walk: each folder's files in code-unit order of their names, then its
 * subfolders the same way. A page stops once it holds `pageSize` positions (files and unlisted
 * entries); the page token is the position as small JSON, so a retried page resumes exactly where
 * the previous one ended without state between calls (the current folder is listed again). Up to
 * `lookahead` folders still to list are asked for at once: a library of small album folders is
 * listed at the server's pace, not one round trip at a time.
 */
export async function listPage(root: readonly string[], listFolder: ListFolder, pageToken: string | undefined, pageSize: number, lookahead: number): Promise<ListPage> {
  const position = pageToken === undefined ? { folders: [''] } : parseToken(pageToken);
  const limit = Math.max(1, pageSize);
  const files: ProviderFile[] = [];
  const unlisted: Unlisted[] = [];
  const full = (): boolean => files.length + unlisted.length >= limit;
  const pending = new Prefetch(listFolder, Math.max(0, lookahead));
  let { folders, after } = position;
  try {
    while (folders.length > 0 && !full()) {
      const [current, ...rest] = folders as [string, ...string[]];
      const rel = current === '' ? [] : current.split('/');
      const asked = pending.take(current, rel);
      pending.ahead(rest);
      const answer = await asked;
      if ('refused' in answer) {
        unlisted.push({ path: current, reason: answer.refused, folder: true });
        folders = rest;
        after = undefined;
        continue;
      }
      let read: ReturnType<typeof readFolder>;
      try {
        read = readFolder(root, rel, answer.entries);
      } catch (err) {
        // An answer that makes no sense ends the listing at the root, and leaves out just the folder below it.
        if (rel.length === 0 || !(err instanceof ProviderError)) throw err;
        unlisted.push({ path: current, reason: err.message, folder: true });
        folders = rest;
        after = undefined;
        continue;
      }
      const { items, subfolders } = read;
      const left = after === undefined ? items : items.filter((item) => item.name > after!);
      let taken = 0;
      for (const item of left) {
        if (full()) break;
        if ('file' in item) files.push(item.file);
        else unlisted.push(item.unlisted);
        taken += 1;
      }
      const childFolders = subfolders.map((name) => (current === '' ? name : `${current}/${name}`));
      if (taken < left.length) {
        folders = [current, ...rest];
        after = taken > 0 ? left[taken - 1]!.name : after;
      } else {
        folders = [...childFolders, ...rest];
        after = undefined;
      }
    }
  } finally {
    pending.drop();
  }
  const page: ListPage = { files };
  if (unlisted.length > 0) page.unlisted = unlisted;
  if (folders.length > 0) page.nextPageToken = JSON.stringify(after === undefined ? { f: folders } : { f: folders, a: after });
  return page;
}

/** What a name decoded from an href may hold and no path can: `%2F`, `%00`. */
const UNPATHABLE = /[/\0]/;

type Item = { name: string } & ({ file: ProviderFile } | { unlisted: Unlisted });

/** One folder's answer as files (and entries that cannot be listed) in name order, and its
 * subfolders in name order. Hidden names (`.git`, macOS's `._x.mp3` junk) are left out, as in a
 * local folder. The same name twice (a server that spells it two ways) is one entry. */
function readFolder(root: readonly string[], rel: readonly string[], entries: readonly DavEntry[]): { items: Item[]; subfolders: string[] } {
  const folder = [...root, ...rel];
  const where = rel.length === 0 ? 'the WebDAV folder' : JSON.stringify(displayName(rel.join('/')));
  const items = new Map<string, Item>();
  const subfolders = new Set<string>();
  for (const entry of entries) {
    if (samePath(entry.segments, folder)) continue;
    const below = segmentsBelow(folder, entry.segments);
    if (below === undefined) {
      const shown = JSON.stringify(displayName(`/${entry.segments.join('/')}`));
      throw new ProviderError('unavailable', `listing ${where}, the server answered for ${shown}, which is not inside it (a proxy rewriting paths?)`);
    }
    const name = below[0]!;
    if (name.startsWith('.') || items.has(name) || subfolders.has(name)) continue;
    // A server that answers deeper than asked: the folder is walked in its turn, where its entries are listed.
    if (below.length > 1 && !UNPATHABLE.test(name)) {
      subfolders.add(name);
      continue;
    }
    const path = [...rel, name].join('/');
    if (UNPATHABLE.test(name)) {
      // No path can hold the name: said in its escaped spelling, so the entry is still reported.
      const shown = [...rel, name.replace(/[/\0]/g, encodeURIComponent)].join('/');
      items.set(name, { name, unlisted: { path: shown, reason: 'the server names it with a "/" or a NUL, which no path holds' } });
    } else if (entry.status >= 300) {
      const reason = `the server would not state its properties (HTTP ${entry.status})`;
      items.set(name, { name, unlisted: entry.hrefIsFolder ? { path, reason, folder: true } : { path, reason } });
    } else if (entry.collection) {
      subfolders.add(name);
    } else if (entry.size === undefined) {
      items.set(name, { name, unlisted: { path, reason: 'the server states no size for it' } });
    } else {
      items.set(name, {
        name,
        file: {
          fileId: entry.fileId ?? path,
          path,
          size: entry.size,
          modifiedAt: entry.modifiedAt,
          mimeType: entry.contentType,
          providerHash: providerHashOf(entry.checksums),
          revision: entry.etag,
        },
      });
    }
  }
  return { items: [...items.values()].sort((a, b) => compare(a.name, b.name)), subfolders: [...subfolders].sort(compare) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseToken(token: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    parsed = undefined;
  }
  const { f, a } = (parsed ?? {}) as { f?: unknown; a?: unknown };
  const validFolder = (p: unknown): p is string => typeof p === 'string' && (p === '' || p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'));
  if (!Array.isArray(f) || f.length === 0 || !f.every(validFolder) || (a !== undefined && typeof a !== 'string')) {
    throw new ProviderError('invalid', 'not a page token of a WebDAV listing');
  }
  return a === undefined ? { folders: f } : { folders: f, after: a };
}

/** Folder listings asked for ahead of the walk; every answer, used or not, is settled here so
 * none is left rejected unhandled, and those still under way when the page ends are aborted. */
class Prefetch {
  private readonly started = new Map<string, Promise<FolderAnswer>>();
  private readonly abort = new AbortController();
  private readonly listFolder: ListFolder;
  private readonly lookahead: number;

  constructor(listFolder: ListFolder, lookahead: number) {
    this.listFolder = listFolder;
    this.lookahead = lookahead;
  }

  /** Starts the listings of the next folders to walk (up to the lookahead). */
  ahead(folders: readonly string[]): void {
    for (const folder of folders.slice(0, this.lookahead)) void this.start(folder, folder === '' ? [] : folder.split('/'));
  }

  take(folder: string, rel: readonly string[]): Promise<FolderAnswer> {
    const answer = this.start(folder, rel);
    this.started.delete(folder);
    return answer;
  }

  drop(): void {
    this.abort.abort(new Error('listing page ended'));
    this.started.clear();
  }

  private start(folder: string, rel: readonly string[]): Promise<FolderAnswer> {
    let answer = this.started.get(folder);
    if (!answer) {
      answer = this.listFolder(rel, this.abort.signal);
      void answer.catch(() => undefined); // settled here; the walk sees the failure when it takes the answer
      this.started.set(folder, answer);
    }
    return answer;
  }
}

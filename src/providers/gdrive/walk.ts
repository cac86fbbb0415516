// The recursive listing of folders, in pages: the whole root for list(), and the folders that came
// into the root for the change feed (their contents are not in the feed). Folders still to list wait
// in a queue of ids; their children are asked for up to 50 folders at a time, in one files.list query
// (`'a' in parents or 'b' in parents ...`) of up to 1,000 items per answer. A page that ends inside an
// answer keeps how many of its files it handed out, and the next page asks for the same answer again
// (Drive's page tokens may be used more than once); a page ends after an answer that leaves less room
// than a whole answer, so with a page size of 1,000 no answer is asked for twice. Answers come by name
// (api.ts): the names taken at the end of one are carried to the next, for duplicate names (names.ts).
import type { FolderEntry, ProviderChange } from '../types.ts';
import { MAX_PAGE_SIZE, quote, type DriveApi } from './api.ts';
import { joinPath, kindOf, parentOf, toProviderFile } from './files.ts';
import type { FolderView } from './folders.ts';
import type { Locator } from './locate.ts';
import { lastNames, uniqueNames } from './names.ts';

/** Where a walk is, as page tokens carry it (short keys: it is stored with every page). */
export interface WalkState {
  /** Folders still to list, by id (taken from the end). */
  q: string[];
  /** The folders of the query under way, and Drive's page token in its answers. */
  b?: string[];
  t?: string;
  /** Files of the current answer already handed out. */
  s?: number;
  /** The names taken at the end of the query's previous answer (names.ts lastNames). */
  c?: string[];
}

export interface WalkPage {
  /** In order: a known folder found at another place (`movePath`, when asked for), then the files. */
  changes: ProviderChange[];
  /** Every folder found, on the first reading of its answer. */
  folders: FolderEntry[];
  /** Undefined when the walk is done. */
  state: WalkState | undefined;
}

/** Folders asked about in one query: their ids and the `or`s stay far below the URL's limits. */
const BATCH = 50;
/** Requests one page makes at most: a page comes back in bounded time through a run of empty folders. */
const MAX_REQUESTS = 16;

export interface WalkContext {
  api: DriveApi;
  view: FolderView;
  locator: Locator;
}

/**
 * The next page of the walk from `start`, with at most `pageSize` files. Folders found are added to
 * the view and queued; with `reportMoves`, one the view had at another place is reported as a
 * `movePath` first (the change feed's walks: the library knew it there).
 */
export async function walkPage(context: WalkContext, start: WalkState, pageSize: number, options: { reportMoves: boolean }): Promise<WalkPage> {
  const { api, view } = context;
  const room = Math.max(1, Math.floor(pageSize));
  const state: WalkState = { ...start, q: [...start.q] };
  const page: WalkPage = { changes: [], folders: [], state };
  let files = 0;
  for (let requests = 0; ; ) {
    if (!state.b) {
      if (state.q.length === 0) return { ...page, state: undefined };
      state.b = state.q.splice(-BATCH);
      delete state.t;
      delete state.s;
      delete state.c;
    }
    const batch = state.b;
    const q = `(${batch.map((id) => `${quote(id)} in parents`).join(' or ')}) and trashed = false`;
    const answer = await api.listFiles(q, state.t);
    requests += 1;
    const items = answer.files ?? [];
    const names = uniqueNames(items, batch, new Set(state.c));
    const skip = state.s ?? 0;
    const parentPaths = new Map<string, string | undefined>();
    const placeOf = async (parentId: string | undefined): Promise<string | undefined> => {
      if (parentId === undefined) return undefined;
      if (!parentPaths.has(parentId)) {
        // A folder of the batch the view does not know (a page read by a fresh provider without the
        // stored index) is looked up; one no longer under the root lists nothing.
        if (view.pathOf(parentId) === undefined) await context.locator.locate(view, parentId);
        parentPaths.set(parentId, view.pathOf(parentId));
      }
      return parentPaths.get(parentId);
    };
    if (skip === 0) {
      for (const item of items) {
        if (kindOf(item) !== 'folder') continue;
        const parentId = parentOf(item, batch);
        if (parentId === undefined || (await placeOf(parentId)) === undefined) continue;
        const entry: FolderEntry = { id: item.id, parentId, name: names.get(item.id)! };
        const known = view.get(item.id);
        const from = options.reportMoves && known && (known.parentId !== entry.parentId || known.name !== entry.name) ? view.pathOf(item.id) : undefined;
        view.set(entry);
        page.folders.push(entry);
        state.q.push(item.id);
        const to = view.pathOf(item.id);
        if (from !== undefined && to !== undefined && from !== to) page.changes.push({ kind: 'movePath', from, to });
      }
    }
    const listed = items.filter((item) => kindOf(item) === 'file');
    const taken = listed.slice(skip, skip + (room - files));
    for (const item of taken) {
      const folder = await placeOf(parentOf(item, batch));
      if (folder === undefined) continue;
      page.changes.push({ kind: 'upsert', file: toProviderFile(item, joinPath(folder, names.get(item.id)!)) });
      files += 1;
    }
    if (skip + taken.length < listed.length) {
      state.s = skip + taken.length;
      return page;
    }
    delete state.s;
    if (answer.nextPageToken) {
      state.t = answer.nextPageToken;
      state.c = lastNames(items, batch, state.c);
      if (state.c.length === 0) delete state.c;
    } else {
      delete state.b;
      delete state.t;
      delete state.c;
    }
    if (!state.b && state.q.length === 0) return { ...page, state: undefined };
    if (files >= room || requests >= MAX_REQUESTS || (files > 0 && room - files < MAX_PAGE_SIZE)) return page;
  }
}

/** Whether a page token's part is a walk's state. */
export function isWalkState(value: unknown): value is WalkState {
  if (!value || typeof value !== 'object') return false;
  const { q, b, t, s, c } = value as Record<string, unknown>;
  const texts = (v: unknown) => Array.isArray(v) && v.every((id) => typeof id === 'string');
  return texts(q) && (b === undefined || texts(b)) && (t === undefined || typeof t === 'string') &&
    (s === undefined || (typeof s === 'number' && Number.isSafeInteger(s) && s >= 0)) && (c === undefined || texts(c));
}

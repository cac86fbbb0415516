// One page of Drive's change feed as the library's changes. Drive speaks of ids and parents, the
// library of paths: each change is placed with the folder view as the page goes (a folder moved early
// in the page moves the files changed after it). Drive gives every changed item as it is now, so a
// change only needs to be right about the folders the library knew.
import type { FolderChange, FolderEntry, ProviderChange } from '../types.ts';
import { ProviderError } from '../types.ts';
import { MAX_PAGE_SIZE, quote, type DriveApi, type DriveChange, type DriveFile } from './api.ts';
import { joinPath, kindOf, parentOf, segmentOf, toProviderFile } from './files.ts';
import type { FolderView } from './folders.ts';
import type { Locator } from './locate.ts';
import { uniqueNames } from './names.ts';

export interface FeedPageContext {
  api: DriveApi;
  view: FolderView;
  locator: Locator;
  /** Whether the profile's path names another folder than the view's root now (a lookup). */
  rootMoved(): Promise<boolean>;
}

export interface FeedPage {
  changes: ProviderChange[];
  folders: FolderChange[];
  /** Folders that came into the root: their contents are listed next (the feed does not name them). */
  listNext: string[];
}

/**
 * The library's changes for `driveChanges`, in order:
 * - an item deleted, trashed or out of reach: a known folder is a `removePath` (with the folder and
 *   every folder under it removed from the index), anything else a `remove` by id;
 * - a file under the root: an `upsert` at its path; elsewhere (or moved out): a `remove` by id;
 * - a known folder at another place under the root: a `movePath`; moved out: as if deleted;
 * - any other folder under the root, new or unchanged in place, is listed with all it holds: a folder
 *   moved in brings files the feed never names, and one whose change an earlier attempt of this page
 *   already applied to the stored index looks unchanged.
 * A folder the view does not know, named as a parent, is looked up (locate.ts). A change of the root
 * itself that removes it, or takes it from the profile's path, ends the read: a full listing follows.
 */
export async function feedPage(context: FeedPageContext, driveChanges: readonly DriveChange[]): Promise<FeedPage> {
  const { api, view, locator } = context;
  const page: FeedPage = { changes: [], folders: [], listNext: [] };
  const names = await siblingNames(api, view, driveChanges);
  const nameOf = (item: DriveFile) => names.get(item.id) ?? segmentOf(item.name);
  const upsertFolder = (entry: FolderEntry) => {
    view.set(entry);
    page.folders.push({ kind: 'upsert', folder: entry });
  };
  const removeFolder = (id: string) => {
    const path = view.pathOf(id);
    if (path !== undefined) page.changes.push({ kind: 'removePath', path });
    page.folders.push(...view.removeSubtree(id));
  };
  /** Whether folder `id` is under the root; folders found new on the way are added and listed. */
  const inside = async (id: string | undefined): Promise<boolean> => {
    if (id === undefined) return false;
    if (view.pathOf(id) !== undefined) return true;
    const added = await locator.locate(view, id);
    for (const entry of added ?? []) {
      upsertFolder(entry);
      page.listNext.push(entry.id);
    }
    return added !== undefined;
  };

  for (const change of driveChanges) {
    const id = change.fileId;
    const item = change.file;
    const gone = change.removed === true || !item || item.trashed === true;
    if (id === view.rootId) {
      // The library's folder itself: a sync lists it anew, and finds it missing or finds the folder
      // the path names now. A change that leaves it at its path (none that Drive reports for a folder
      // but a rename or a move) changes nothing of the library.
      if (gone) throw new ProviderError('cursorExpired', 'the Google Drive folder of this profile was deleted or trashed since the last sync');
      if (await context.rootMoved()) throw replacedRoot();
      continue;
    }
    locator.forget(id);
    const known = view.get(id) !== undefined && view.pathOf(id) !== undefined;
    if (gone || !item || kindOf(item) === 'other') {
      if (known) removeFolder(id);
      else page.changes.push({ kind: 'remove', fileId: id });
      continue;
    }
    const parentId = parentOf(item);
    const within = await inside(parentId);
    if (kindOf(item) === 'file') {
      // In a folder this page found new, a file is named by the listing of that folder that follows,
      // with its same-named siblings (which siblingNames could not ask for: the folder was unknown).
      if (within && !names.has(id) && page.listNext.includes(parentId!)) continue;
      page.changes.push(within ? { kind: 'upsert', file: toProviderFile(item, joinPath(view.pathOf(parentId!)!, nameOf(item))) } : { kind: 'remove', fileId: id });
      continue;
    }
    if (!within) {
      if (known) removeFolder(id);
      continue;
    }
    const entry: FolderEntry = { id, parentId: parentId!, name: nameOf(item) };
    const before = view.get(id);
    if (known && (before!.parentId !== entry.parentId || before!.name !== entry.name)) {
      const from = view.pathOf(id)!;
      upsertFolder(entry);
      const to = view.pathOf(id);
      if (to !== undefined && to !== from) page.changes.push({ kind: 'movePath', from, to });
    } else {
      upsertFolder(entry);
      page.listNext.push(id);
    }
  }
  page.listNext = [...new Set(page.listNext)].filter((id) => view.pathOf(id) !== undefined);
  return page;
}

/** The profile's path names another folder than the one the last sync read. */
export function replacedRoot(): ProviderError {
  return new ProviderError('cursorExpired', 'the Google Drive folder of this profile was renamed, moved or replaced since the last sync: it is listed anew');
}

/** Items changed per siblings query: their parents' ids and names stay far below the URL's limits. */
const SIBLINGS_BATCH = 40;

/**
 * The path segments of the page's changed items that live in folders the view knows, with the
 * siblings of the same name taken into account (names.ts): one files.list per 40 such items.
 */
async function siblingNames(api: DriveApi, view: FolderView, driveChanges: readonly DriveChange[]): Promise<Map<string, string>> {
  const items = driveChanges.flatMap((c) => {
    const item = c.file;
    if (c.removed || !item || item.trashed || kindOf(item) === 'other') return [];
    const parentId = parentOf(item);
    return parentId !== undefined && view.pathOf(parentId) !== undefined ? [item] : [];
  });
  const names = new Map<string, string>();
  for (let at = 0; at < items.length; at += SIBLINGS_BATCH) {
    const batch = items.slice(at, at + SIBLINGS_BATCH);
    const parents = [...new Set(batch.map((item) => parentOf(item)!))];
    const named = [...new Set(batch.map((item) => item.name))];
    const q =
      `(${parents.map((id) => `${quote(id)} in parents`).join(' or ')}) and ` +
      `(${named.map((name) => `name = ${quote(name)}`).join(' or ')}) and trashed = false`;
    const siblings: DriveFile[] = [...batch];
    let pageToken: string | undefined;
    do {
      const answer = await api.listFiles(q, pageToken, MAX_PAGE_SIZE);
      siblings.push(...(answer.files ?? []));
      pageToken = answer.nextPageToken;
    } while (pageToken);
    const unique = uniqueNames(siblings);
    for (const item of batch) names.set(item.id, unique.get(item.id)!);
  }
  return names;
}

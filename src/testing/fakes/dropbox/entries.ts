// What the Dropbox fake answers about items: Metadata as documented for list_folder, get_metadata
// and download (https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder),
// and which items a listing or a change read of a folder holds.
import type { DirectoryTree } from '../tree.ts';
import type { PlacedItem } from './history.ts';

/** Dropbox's timestamps: ISO 8601 in UTC, whole seconds. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lastName(display: string): string {
  return display.slice(display.lastIndexOf('/') + 1);
}

/** FileMetadata or FolderMetadata of an item. A file's content_hash is of its bytes now. */
export async function metadataOf(item: PlacedItem, tree: DirectoryTree): Promise<Record<string, unknown>> {
  const { state } = item;
  const common = { name: state.name, path_lower: item.lower, path_display: item.display, id: state.id };
  if (state.folder) return { '.tag': 'folder', ...common };
  let contentHash: string | undefined;
  if (tree.get(state.id)) contentHash = await tree.hashes(state.id).then((h) => h.dropbox, () => undefined);
  return {
    '.tag': 'file',
    ...common,
    client_modified: timestamp(state.modifiedMs),
    server_modified: timestamp(state.serverModifiedMs),
    rev: state.rev,
    size: state.size,
    is_downloadable: true,
    ...(contentHash !== undefined ? { content_hash: contentHash } : {}),
  };
}

/** DeletedMetadata: the path an item had (it has no id). */
export function deletedOf(item: PlacedItem): Record<string, unknown> {
  return { '.tag': 'deleted', name: lastName(item.display), path_lower: item.lower, path_display: item.display };
}

/** Whether an item at `lower` is part of a listing of the folder `root` (lower-case, '' for the
 * whole Dropbox): the folder itself (Dropbox lists it first) and what is under it, or only its
 * children when not recursive. */
export function inFolder(lower: string, root: string, recursive: boolean): boolean {
  if (root !== '' && lower === root) return true;
  if (!lower.startsWith(`${root}/`)) return false;
  return recursive || !lower.slice(root.length + 1).includes('/');
}

function byKey(a: PlacedItem, b: PlacedItem): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.state.id < b.state.id ? -1 : a.state.id > b.state.id ? 1 : 0;
}

/** The items of a folder's listing after `after` (sort key and id; `['', '']` for all), parents
 * before children. */
export function listingItems(items: Map<string, PlacedItem>, root: string, recursive: boolean, after: [string, string]): PlacedItem[] {
  const [key, id] = after;
  const listed = [...items.values()].filter((item) => inFolder(item.lower, root, recursive) && (item.key > key || (item.key === key && item.state.id > id)));
  return listed.sort(byKey);
}

export type ChangeEntry = { deleted: PlacedItem } | { item: PlacedItem };

/**
 * What list_folder/continue reports for a folder between two positions, as Dropbox reports it:
 * first the paths items left (deleted, or moved or renamed away: a folder's path once, what was
 * under it implied), then every item now at a path it did not hold, changed in content, or under a
 * path just reported deleted (so a folder moved or renamed is its old path deleted and all of its
 * contents at the new one). A change of case only is not reported, as Dropbox documents for
 * `path_display` ("Changes to only the casing of paths won't be returned by list_folder/continue").
 */
export function changesBetween(before: Map<string, PlacedItem>, after: Map<string, PlacedItem>, root: string, recursive: boolean): ChangeEntry[] {
  const was = new Map([...before].filter(([, item]) => inFolder(item.lower, root, recursive)));
  const now = new Map([...after].filter(([, item]) => inFolder(item.lower, root, recursive)));
  const left = new Map<string, PlacedItem>();
  for (const [id, old] of was) {
    if (now.get(id)?.lower !== old.lower) left.set(old.lower, old);
  }
  const underLeft = (lower: string): boolean => {
    for (let at = lower.length; at > 0; at = lower.lastIndexOf('/', at - 1)) {
      if (left.has(lower.slice(0, at))) return true;
    }
    return false;
  };
  // A path under another that left is implied by it.
  const deleted = [...left.values()].filter((item) => !underLeft(item.lower.slice(0, item.lower.lastIndexOf('/')))).sort(byKey);
  const deletedPaths = new Set(deleted.map((item) => item.lower));
  const underDeleted = (lower: string): boolean => {
    for (let at = lower.length; at > 0; at = lower.lastIndexOf('/', at - 1)) {
      if (deletedPaths.has(lower.slice(0, at))) return true;
    }
    return false;
  };
  const changed = [...now.values()].filter((item) => {
    const old = was.get(item.state.id);
    return !old || old.lower !== item.lower || old.state.rev !== item.state.rev || underDeleted(item.lower);
  });
  return [...deleted.map((item) => ({ deleted: item })), ...changed.sort(byKey).map((item) => ({ item }))];
}

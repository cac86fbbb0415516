// One page of the delta as changes to the library. The delta names items by id and parent id only,
// and reports a renamed or moved folder once, not its contents; the folder index turns that into
// path operations, which the library applies in order:
//   1. folders moved elsewhere under the root (into new folders too) are moved with everything under
//      them;
//   2. folders gone (deleted, or moved out of the root) are removed with everything under them;
//   3. folders new under the root (created, or moved in from outside with contents the delta does
//      not report) are listed whole;
//   4. file changes follow, with their paths in the folders as the page leaves them.
// A page says where its items are now, while items of later pages are still where they were: a
// folder may be moved (or created) at a path another folder still holds. That folder is parked first
// at a temporary path (`:moving:<id>`, a name OneDrive refuses, kept in the index like any folder),
// from which its own change moves or removes it; whatever is still parked when the read ends is looked
// up and put where it is.
import type { FolderChange, FolderEntry, ProviderChange } from '../types.ts';
import { ProviderError } from '../types.ts';
import type { OnedriveDrive } from './drive.ts';
import { fileOf, isLiveFile, isLiveFolder, lastOccurrences, type DriveItem } from './drive-items.ts';
import { FolderTree } from './folder-tree.ts';

const PARKED = ':moving:';

export interface PlannedPage {
  changes: ProviderChange[];
  folders: FolderChange[];
}

/** The changes of `items`, against `tree` (the folders as the library holds them when the page
 * starts), which is left as the page leaves them. `last`: the page ends the read. */
export async function planPage(drive: OnedriveDrive, tree: FolderTree, items: readonly DriveItem[], last: boolean): Promise<PlannedPage> {
  const start = new Map(tree.entries);
  const folderItems: DriveItem[] = [];
  const fileItems: DriveItem[] = [];
  for (const item of lastOccurrences(items)) {
    if (item.id === tree.rootId) {
      if (item.deleted) throw new ProviderError('unavailable', `${drive.label} was deleted or moved out of reach`);
      continue;
    }
    // A folder's deletion may come without its facet (OneDrive for Business): the index tells.
    if (item.folder || (item.deleted && start.has(item.id))) folderItems.push(item);
    else fileItems.push(item);
  }

  // Where the page's folders are, with the parents the index did not know found.
  const final = new FolderTree(tree.rootId, start);
  for (const item of folderItems) {
    if (isLiveFolder(item)) final.set({ id: item.id, parentId: item.parentReference.id, name: item.name });
    else final.delete(item.id);
  }
  for (const item of [...folderItems, ...fileItems]) {
    const parentId = item.deleted ? undefined : item.parentReference?.id;
    if (parentId !== undefined && !final.has(parentId)) await drive.locator.locate(final, parentId);
  }
  drive.locator.markOutside(final.prune());

  const paths = new PathPlan(drive, tree);
  // New folders first (the library holds nothing under them yet), so folders moved into them have
  // a place to go; they are listed once the moves and removals are done.
  const added = [...final.entries.keys()].filter((id) => !start.has(id));
  for (const id of added) tree.set(final.get(id)!);
  for (const [id, entry] of final.entries) {
    const was = start.get(id);
    if (was && id !== tree.rootId && (was.parentId !== entry.parentId || was.name !== entry.name) && !paths.move(entry)) added.push(id);
  }
  paths.remove([...start.keys()].filter((id) => id !== tree.rootId && !final.has(id)));
  const addedSet = new Set(added);
  for (const id of added) if (!addedSet.has(final.get(id)!.parentId!)) await paths.addFolder(id);

  for (const item of fileItems) {
    const path = isLiveFile(item) ? tree.childPath(item.parentReference.id, item.name) : undefined;
    // Deleted, moved out of the root, or not a file (a OneNote package): gone from the library.
    if (path === undefined || !isLiveFile(item)) paths.changes.push({ kind: 'remove', fileId: item.id });
    else paths.upsert(path, item);
  }
  if (last) await paths.unpark();
  return { changes: paths.changes, folders: folderChanges(start, tree) };
}

/** The path operations of a page, as it changes the folders of `tree`. */
class PathPlan {
  readonly changes: ProviderChange[] = [];
  private readonly drive: OnedriveDrive;
  private readonly tree: FolderTree;
  /** Folders by path, for the files' checks (made when first needed). */
  private folderPaths: Map<string, string> | undefined;

  constructor(drive: OnedriveDrive, tree: FolderTree) {
    this.drive = drive;
    this.tree = tree;
  }

  /** A known folder to its new place; false when the index did not know where it was. */
  move(entry: FolderEntry): boolean {
    const target = this.tree.childPath(entry.parentId!, entry.name);
    if (target !== undefined) this.makeRoom(target, entry.id);
    const from = this.tree.pathOf(entry.id);
    this.tree.set(entry);
    const to = this.tree.pathOf(entry.id);
    if (from !== undefined && to !== undefined && from !== to) this.changes.push({ kind: 'movePath', from, to });
    return from !== undefined;
  }

  /** Gone folders (and the known ones under them) with everything under them. */
  remove(ids: readonly string[]): void {
    const gone = new Set(ids);
    const tops = ids.filter((id) => !gone.has(this.tree.get(id)?.parentId ?? ''));
    for (const path of tops.map((id) => this.tree.pathOf(id))) if (path !== undefined) this.changes.push({ kind: 'removePath', path });
    for (const id of ids) this.tree.delete(id);
    this.folderPaths = undefined;
  }

  /** A folder new to the index (in the tree already), and everything under it. A subfolder the
   * index knew elsewhere moved in here (its own change may come on a later page): its files move
   * along. */
  async addFolder(id: string): Promise<void> {
    const path = this.tree.pathOf(id);
    if (path !== undefined) this.makeRoom(path, id);
    for await (const items of this.drive.subtree(id)) {
      const listed = lastOccurrences(items).filter((item) => item.id !== id);
      for (const item of listed) {
        if (!isLiveFolder(item)) continue;
        const entry = { id: item.id, parentId: item.parentReference.id, name: item.name };
        const known = this.tree.get(item.id);
        if (!known) this.tree.set(entry);
        else if (known.parentId !== entry.parentId || known.name !== entry.name) this.move(entry);
      }
      for (const item of listed) {
        if (!isLiveFile(item)) continue;
        if (!this.tree.has(item.parentReference.id)) await this.drive.locator.locate(this.tree, item.parentReference.id);
        const at = this.tree.childPath(item.parentReference.id, item.name);
        if (at !== undefined) this.changes.push({ kind: 'upsert', file: fileOf(item, at) });
      }
    }
    this.folderPaths = undefined;
  }

  upsert(path: string, item: DriveItem): void {
    this.folderPaths ??= new Map([...this.tree.entries.keys()].flatMap((id) => {
      const at = id === this.tree.rootId ? undefined : this.tree.pathOf(id);
      return at === undefined ? [] : [[at, id] as const];
    }));
    const folder = this.folderPaths.get(path);
    if (folder !== undefined) this.park(folder);
    this.changes.push({ kind: 'upsert', file: fileOf(item, path) });
  }

  /** Folders still parked when the read ends: their change did not come (or came before they were
   * parked); where they are now is asked. */
  async unpark(): Promise<void> {
    const parked = [...this.tree.entries.values()].filter((e) => e.parentId === this.tree.rootId && e.name.startsWith(PARKED));
    for (const entry of parked) {
      const item = await this.drive.graph.item(entry.id);
      const parentId = item && isLiveFolder(item) ? item.parentReference.id : undefined;
      if (parentId !== undefined && !this.tree.has(parentId)) {
        for (const found of await this.drive.locator.locate(this.tree, parentId)) await this.addFolder(found.id);
      }
      if (parentId !== undefined && this.tree.childPath(parentId, item!.name!) !== undefined) this.move({ id: entry.id, parentId, name: item!.name! });
      else {
        this.remove([entry.id]);
        this.tree.prune();
      }
    }
  }

  /** Moves whatever folder other than `except` the library holds at `path` out of the way. */
  private makeRoom(path: string, except: string): void {
    const occupant = this.tree.folderAt(path, except);
    if (occupant !== undefined) this.park(occupant);
  }

  private park(id: string): void {
    const from = this.tree.pathOf(id);
    const name = `${PARKED}${id}`;
    this.tree.set({ id, parentId: this.tree.rootId, name });
    if (from !== undefined && from !== name) this.changes.push({ kind: 'movePath', from, to: name });
    this.folderPaths = undefined;
  }
}

/** The index's changes from `start` to the tree as it is now. */
function folderChanges(start: ReadonlyMap<string, FolderEntry>, tree: FolderTree): FolderChange[] {
  const changes: FolderChange[] = [];
  for (const [id, entry] of tree.entries) {
    const was = start.get(id);
    if (id !== tree.rootId && (!was || was.parentId !== entry.parentId || was.name !== entry.name)) changes.push({ kind: 'upsert', folder: entry });
  }
  for (const id of start.keys()) if (!tree.has(id)) changes.push({ kind: 'remove', id });
  return changes;
}

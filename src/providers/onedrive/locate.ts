// Where a folder the tree does not know is: the delta names items by their parent's id, and a parent
// may be a folder the index has not seen yet (listed later in a first enumeration, or moved in) or one
// outside the root. Its ancestors are looked up one GET at a time until a known folder or the top of
// the drive; folders found outside are remembered, so a page of changes outside the root costs a
// lookup per folder, not per file.
import type { FolderEntry } from '../types.ts';
import type { DriveItem } from './drive-items.ts';
import type { FolderTree } from './folder-tree.ts';

/** Deeper than any drive lets a path go. */
const MAX_DEPTH = 1000;

export class FolderLocator {
  private readonly outside = new Set<string>();
  private readonly lookup: (id: string) => Promise<DriveItem | undefined>;

  constructor(lookup: (id: string) => Promise<DriveItem | undefined>) {
    this.lookup = lookup;
  }

  /** Folders known not to be under the root (until the delta says otherwise). */
  markOutside(ids: Iterable<string>): void {
    for (const id of ids) this.outside.add(id);
  }

  /** Makes the folder `id` known in `tree` if it leads to a folder the tree knows: the folders found on
   * the way are added and answered, top first. Nothing is added when the walk ends outside (at the
   * drive's top, a deleted folder or a folder known to be outside). Whether what was added is under
   * the root is the tree's to say (`pathOf`): the known folder reached may itself be outside. */
  async locate(tree: FolderTree, id: string): Promise<FolderEntry[]> {
    const chain: FolderEntry[] = [];
    let at: string | undefined = id;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (at === undefined) break;
      if (at === tree.rootId || tree.has(at)) {
        const found = chain.reverse();
        for (const entry of found) {
          tree.set(entry);
          this.outside.delete(entry.id);
        }
        return found;
      }
      if (this.outside.has(at)) break;
      const item: DriveItem | undefined = await this.lookup(at);
      if (!item || item.deleted || item.root || !item.folder || typeof item.name !== 'string') break;
      const parentId = item.parentReference?.id;
      if (parentId === undefined) break;
      chain.push({ id: item.id, parentId, name: item.name });
      at = parentId;
    }
    this.markOutside(chain.map((entry) => entry.id));
    if (at !== undefined) this.outside.add(at);
    return [];
  }
}

// The folders under a profile's root by id, which is all a delta says of where an item is: its
// parent's id. A path is the names met walking parents up to the root (the entry whose parentId is
// null); a folder whose walk does not get there is not under the root, as far as the tree knows.
import type { FolderEntry } from '../types.ts';

/** Deeper than any drive lets a path go: a walk this long is a loop. */
const MAX_DEPTH = 1000;

export class FolderTree {
  readonly rootId: string;
  readonly entries: Map<string, FolderEntry>;

  /** A tree over a copy of `entries`, with the root's entry set (other parentless entries are
   * another root's, and lead nowhere). */
  constructor(rootId: string, entries: ReadonlyMap<string, FolderEntry> = new Map()) {
    this.rootId = rootId;
    this.entries = new Map(entries);
    this.entries.set(rootId, { id: rootId, parentId: null, name: '' });
  }

  get rootEntry(): FolderEntry {
    return this.entries.get(this.rootId)!;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): FolderEntry | undefined {
    return this.entries.get(id);
  }

  set(entry: FolderEntry): void {
    if (entry.id !== this.rootId) this.entries.set(entry.id, entry);
  }

  delete(id: string): void {
    if (id !== this.rootId) this.entries.delete(id);
  }

  /** The folder's path ('' for the root); undefined when its parents do not lead to the root. */
  pathOf(id: string): string | undefined {
    const names: string[] = [];
    let at: string | null = id;
    for (let depth = 0; at !== null && depth < MAX_DEPTH; depth++) {
      if (at === this.rootId) return names.reverse().join('/');
      const entry: FolderEntry | undefined = this.entries.get(at);
      if (!entry || entry.parentId === null) return undefined;
      names.push(entry.name);
      at = entry.parentId;
    }
    return undefined;
  }

  /** The path of an item named `name` in the folder `parentId`. */
  childPath(parentId: string, name: string): string | undefined {
    const parent = this.pathOf(parentId);
    return parent === undefined ? undefined : parent === '' ? name : `${parent}/${name}`;
  }

  /** The folder at `path`, other than `except`. */
  folderAt(path: string, except?: string): string | undefined {
    for (const id of this.entries.keys()) if (id !== except && id !== this.rootId && this.pathOf(id) === path) return id;
    return undefined;
  }

  /** Drops every folder whose parents do not lead to the root; answers their ids. */
  prune(): string[] {
    const dropped = [...this.entries.keys()].filter((id) => this.pathOf(id) === undefined);
    for (const id of dropped) this.entries.delete(id);
    return dropped;
  }
}

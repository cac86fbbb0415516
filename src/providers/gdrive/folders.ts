// The folders under the root by id, as the provider knows them while it lists or reads the feed:
// what a file's path is made of (Drive names a file's parent, never its path).
import type { FolderChange, FolderEntry } from '../types.ts';
import { joinPath } from './files.ts';

export class FolderView {
  readonly rootId: string;
  private readonly entries: Map<string, FolderEntry>;
  private readonly paths = new Map<string, string | undefined>();

  /** `entries` must hold the root: the entry whose parentId is null. */
  constructor(entries: Map<string, FolderEntry>, rootId: string) {
    this.entries = entries;
    this.rootId = rootId;
  }

  /** A view of the root alone. */
  static ofRoot(rootId: string): FolderView {
    return new FolderView(new Map([[rootId, { id: rootId, parentId: null, name: '' }]]), rootId);
  }

  /** A copy of a stored index, or undefined when it has no root (it was never filled). */
  static ofIndex(index: ReadonlyMap<string, FolderEntry>): FolderView | undefined {
    const root = [...index.values()].find((e) => e.parentId === null);
    return root ? new FolderView(new Map(index), root.id) : undefined;
  }

  get(id: string): FolderEntry | undefined {
    return this.entries.get(id);
  }

  /** Every folder, for keeping a copy (a Map the view no longer changes). */
  snapshot(): Map<string, FolderEntry> {
    return new Map(this.entries);
  }

  /** The folder's path from the root ('' for the root), or undefined when its chain of parents does
   * not reach the root through known folders. */
  pathOf(id: string): string | undefined {
    if (this.paths.has(id)) return this.paths.get(id);
    const chain: FolderEntry[] = [];
    let base: string | undefined;
    for (let entry = this.entries.get(id); entry; entry = this.entries.get(entry.parentId ?? '')) {
      if (entry.id === this.rootId) {
        base = '';
        break;
      }
      if (this.paths.has(entry.id)) {
        base = this.paths.get(entry.id);
        break;
      }
      // A chain that leaves the known folders, or goes round (never from Drive), reaches nothing.
      if (entry.parentId === null || chain.length > this.entries.size) break;
      chain.push(entry);
    }
    let path = base;
    for (const entry of chain.reverse()) {
      path = path === undefined ? undefined : joinPath(path, entry.name);
      this.paths.set(entry.id, path);
    }
    if (chain.length === 0) this.paths.set(id, base);
    return this.paths.get(id);
  }

  set(entry: FolderEntry): void {
    this.entries.set(entry.id, entry);
    this.paths.clear();
  }

  /** Forgets the folder and every folder under it; answers their removals. */
  removeSubtree(id: string): FolderChange[] {
    const children = new Map<string, string[]>();
    for (const entry of this.entries.values()) {
      if (entry.parentId === null) continue;
      const list = children.get(entry.parentId);
      if (list) list.push(entry.id);
      else children.set(entry.parentId, [entry.id]);
    }
    const removed: FolderChange[] = [];
    const stack = [id];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (!this.entries.delete(next)) continue;
      removed.push({ kind: 'remove', id: next });
      stack.push(...(children.get(next) ?? []));
    }
    this.paths.clear();
    return removed;
  }
}

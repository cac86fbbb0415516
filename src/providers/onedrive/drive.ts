// What the listing and the change feed of one OneDrive profile share: the Graph client, the root
// folder's id, the folder index (the stored one, or the one this provider learned so far), and the
// lookups of folders the index does not know.
import { displayName } from '../path-bytes.ts';
import type { FolderIndex } from '../types.ts';
import { ProviderError } from '../types.ts';
import type { DriveItem } from './drive-items.ts';
import { FolderTree } from './folder-tree.ts';
import { MAX_PAGE_SIZE, type GraphClient } from './graph.ts';
import { FolderLocator } from './locate.ts';

export class OnedriveDrive {
  readonly graph: GraphClient;
  /** The profile's root, a path in the drive ('' is all of it). */
  readonly root: string;
  readonly locator: FolderLocator;
  private readonly index: FolderIndex | undefined;
  private rootId: string | undefined;
  private learned: FolderTree | undefined;

  constructor(graph: GraphClient, root: string, index: FolderIndex | undefined) {
    this.graph = graph;
    this.root = root;
    this.index = index;
    this.locator = new FolderLocator((id) => graph.item(id));
  }

  /** The root as messages name it. */
  get label(): string {
    return this.root === '' ? 'the whole OneDrive' : `the OneDrive folder "${displayName(this.root)}"`;
  }

  /** The root folder's id (asked once per provider). A missing root is never an empty library. */
  async rootFolderId(): Promise<string> {
    if (this.rootId !== undefined) return this.rootId;
    let item: DriveItem;
    try {
      item = await this.graph.rootItem(this.root);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'notFound') {
        throw new ProviderError('unavailable', `the folder "${displayName(this.root)}" does not exist in OneDrive`, { cause: err });
      }
      throw err;
    }
    if (!item.folder) throw new ProviderError('invalid', `"${displayName(this.root)}" is a file in OneDrive, not a folder`);
    this.rootId = item.id;
    return item.id;
  }

  /** The folders under `rootId` as this read starts from: none for a new listing; else the stored
   * index (with this sync's earlier pages), or without one what this provider learned. */
  async tree(rootId: string, fresh: boolean): Promise<FolderTree> {
    if (fresh) return new FolderTree(rootId);
    if (this.index) return new FolderTree(rootId, await this.index.load());
    return new FolderTree(rootId, this.learned?.rootId === rootId ? this.learned.entries : undefined);
  }

  /** Keeps the folders as a page left them, for the next page of this provider. */
  remember(tree: FolderTree): void {
    this.learned = tree;
  }

  /** Every item under the folder `id` (itself included), page by page: a delta from nothing. */
  async *subtree(id: string): AsyncGenerator<DriveItem[]> {
    let link: string | undefined = this.graph.deltaStart(id, MAX_PAGE_SIZE);
    while (link !== undefined) {
      const page = await this.graph.delta(`OneDrive: listing a folder of ${this.label}`, link);
      yield page.items;
      link = page.nextLink;
    }
  }
}

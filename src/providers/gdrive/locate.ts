// Where a folder the view does not know is: Drive is asked about it, then about its parent, until a
// folder the view knows (it is under the root) or the top of a drive (it is not). What lies outside
// is remembered, so a busy drive outside the root costs one request per folder there, once.
import type { FolderEntry } from '../types.ts';
import type { DriveApi, DriveFile } from './api.ts';
import { statusOf } from './errors.ts';
import { kindOf, parentOf, segmentOf } from './files.ts';
import type { FolderView } from './folders.ts';

/** Deeper than any folder tree people make: past it, a chain is taken for one that never ends. */
const MAX_DEPTH = 256;

export class Locator {
  private readonly api: DriveApi;
  /** Folders known to lie outside the root. */
  private readonly outside = new Set<string>();

  constructor(api: DriveApi) {
    this.api = api;
  }

  /** The folder changed: what was known of its place no longer holds. */
  forget(id: string): void {
    this.outside.delete(id);
  }

  /**
   * Whether folder `id` is under the root. When it is, the folders Drive was asked about on the way
   * are added to `view` and answered, top first (folders new to the view: their contents are
   * unknown); when it is not, undefined.
   */
  async locate(view: FolderView, id: string): Promise<FolderEntry[] | undefined> {
    const fetched: FolderEntry[] = [];
    const outside = () => {
      for (const entry of fetched) this.outside.add(entry.id);
      this.outside.add(id);
      return undefined;
    };
    for (let at: string | undefined = id; fetched.length < MAX_DEPTH; ) {
      if (at === undefined) return outside();
      // The view first: a folder once outside may have come in since (it is in the view then).
      if (view.pathOf(at) !== undefined) {
        const added = fetched.reverse();
        for (const entry of added) view.set(entry);
        return added;
      }
      if (this.outside.has(at)) return outside();
      const item = await this.folder(at);
      if (!item || item.trashed || kindOf(item) !== 'folder') return outside();
      const parentId = parentOf(item);
      fetched.push({ id: item.id, parentId: parentId ?? null, name: segmentOf(item.name) });
      at = parentId;
    }
    return outside();
  }

  /** A folder up the chain; one Drive will not show us (a shared item's parent) is not ours. */
  private async folder(id: string): Promise<DriveFile | undefined> {
    try {
      return await this.api.getFile(id);
    } catch (err) {
      if (statusOf(err) === 403) return undefined;
      throw err;
    }
  }
}

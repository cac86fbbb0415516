// The root folder of a Dropbox profile as the provider's parts need it, and the requests made about
// it: its listing (list_folder, then list_folder/continue while has_more), the cursor for "now"
// (list_folder/get_latest_cursor) and the changes since a cursor (list_folder/continue).
// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder,
// #files-list_folder-continue, #files-list_folder-get_latest_cursor
import type { DropboxApi } from './api.ts';
import { rootFailure } from './errors.ts';
import { apiPathOf, rootKey } from './location.ts';
import { listFolderResultOf, malformed, type ListFolderResult } from './metadata.ts';

/** Dropbox answers at most this many entries a page, whatever the limit asked. */
export const MAX_LIMIT = 2000;

export class DropboxFolder {
  readonly api: DropboxApi;
  /** As stored (`Music/Live`, '' for the whole Dropbox). */
  readonly root: string;
  /** Its segments folded, to place entries under it. */
  readonly key: string[];
  /** For messages: `"/Music/Live"`. */
  readonly shown: string;

  constructor(api: DropboxApi, root: string) {
    this.api = api;
    this.root = root;
    this.key = rootKey(root);
    this.shown = JSON.stringify(root === '' ? '/' : `/${root}`);
  }

  /** The arguments of every listing and cursor of the root: its whole tree, and files that can be
   * downloaded only (Paper documents and the like cannot, and are no music). */
  private get listing(): Record<string, unknown> {
    return { path: apiPathOf(this.root), recursive: true, include_deleted: false, include_non_downloadable_files: false };
  }

  /** The first page of the listing, `limit` entries (folders count). */
  listFirst(limit: number): Promise<ListFolderResult> {
    const bounded = Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)));
    return this.atRoot('files/list_folder', { ...this.listing, limit: bounded }, `listing Dropbox folder ${this.shown}`);
  }

  /** The page after `cursor`: the listing's next, or the changes since. */
  continue(cursor: string): Promise<ListFolderResult> {
    return this.atRoot('files/list_folder/continue', { cursor }, `listing Dropbox folder ${this.shown}`);
  }

  async latestCursor(): Promise<string> {
    const what = `the change cursor of Dropbox folder ${this.shown}`;
    const answer = await this.call<{ cursor?: unknown }>('files/list_folder/get_latest_cursor', this.listing, what);
    if (typeof answer.cursor !== 'string' || answer.cursor === '') throw malformed(what, 'no cursor');
    return answer.cursor;
  }

  private async atRoot(endpoint: string, argument: Record<string, unknown>, what: string): Promise<ListFolderResult> {
    return listFolderResultOf(await this.call<unknown>(endpoint, argument, what), what);
  }

  /** A request about the root, its failures said in the root's words. */
  async call<T>(endpoint: string, argument: Record<string, unknown>, what: string): Promise<T> {
    try {
      return await this.api.rpc<T>(endpoint, argument, what);
    } catch (err) {
      throw rootFailure(err, this.root);
    }
  }
}

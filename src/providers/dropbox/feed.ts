// Dropbox's change feed: a cursor for "now" is list_folder/get_latest_cursor on the root's whole
// tree, and the changes since a cursor are list_folder/continue, page after page: each page answers
// the cursor the next one continues from, and the page with has_more false answers the cursor the
// next sync starts from. Dropbox sizes these pages itself (the limit of a cursor is fixed when it is
// made, at most 2000 entries), so a read's page size is not ours to choose. A cursor Dropbox has
// forgotten (409 `reset`) is ProviderError('cursorExpired'): the sync lists everything instead.
// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue
import type { ChangeFeed, ChangePage } from '../types.ts';
import { changesOf } from './changes.ts';
import type { DropboxFolder } from './folder.ts';
import { cursorOf, pageTokenOf } from './page-token.ts';

export class DropboxFeed implements ChangeFeed {
  private readonly folder: DropboxFolder;

  constructor(folder: DropboxFolder) {
    this.folder = folder;
  }

  getStartCursor(): Promise<string> {
    return this.folder.latestCursor();
  }

  async getChanges(cursor: string, pageToken: string | undefined, _pageSize: number): Promise<ChangePage> {
    const page = await this.folder.continue(pageToken === undefined ? cursor : cursorOf(pageToken));
    const changes = changesOf(page.entries, this.folder.key, this.folder.shown);
    return page.has_more ? { changes, nextPageToken: pageTokenOf(page.cursor) } : { changes, newCursor: page.cursor };
  }
}

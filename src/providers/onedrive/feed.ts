// The change feed: a delta of the root folder from a deltaLink, page by page (nextLinks), until the
// page that carries the next deltaLink, which becomes the cursor. The library applies the pages in
// order and takes the cursor with the last one; each page speaks of its items as they are now, ahead
// of the pages still to come (feed-page.ts keeps the paths straight meanwhile).
import type { ChangeFeed, ChangePage } from '../types.ts';
import { ProviderError } from '../types.ts';
import type { OnedriveDrive } from './drive.ts';
import { planPage } from './feed-page.ts';
import { MAX_PAGE_SIZE, type DeltaPage } from './graph.ts';
import { decodeCursor, decodeFeedToken, encodeToken } from './tokens.ts';

export class OnedriveFeed implements ChangeFeed {
  private readonly drive: OnedriveDrive;

  constructor(drive: OnedriveDrive) {
    this.drive = drive;
  }

  /** `delta?token=latest`: no items, and the deltaLink of now. */
  async getStartCursor(): Promise<string> {
    const rootId = await this.drive.rootFolderId();
    const page = await this.drive.graph.delta(`OneDrive: starting the change feed of ${this.drive.label}`, this.drive.graph.deltaStart(rootId, 1, true));
    if (page.deltaLink === undefined) throw new ProviderError('unavailable', 'Graph answered `delta?token=latest` without a deltaLink');
    return encodeToken({ r: rootId, l: page.deltaLink });
  }

  async getChanges(cursor: string, pageToken: string | undefined, pageSize: number): Promise<ChangePage> {
    const { r: rootId, l: deltaLink } = decodeCursor(cursor);
    // The feed follows a folder by id; the profile names it by path. A folder put in its place since
    // (the old one renamed or moved away) is another library: listed, not followed.
    if (pageToken === undefined && (await this.drive.rootFolderId()) !== rootId) {
      throw new ProviderError('cursorExpired', `${this.drive.label} is another folder than the one the change feed followed`);
    }
    const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(pageSize) || 1));
    const link = pageToken === undefined ? this.drive.graph.deltaFrom(deltaLink, size) : decodeFeedToken(pageToken).l;
    let page: DeltaPage;
    try {
      page = await this.drive.graph.delta(`OneDrive: reading the changes of ${this.drive.label}`, link);
    } catch (err) {
      // The root folder the cursor tracks is gone (deleted, or replaced by another of its name).
      if (err instanceof ProviderError && err.kind === 'notFound') throw new ProviderError('cursorExpired', `the change feed's folder is gone (${err.message})`, { cause: err });
      throw err;
    }
    const tree = await this.drive.tree(rootId, false);
    const { changes, folders } = await planPage(this.drive, tree, page.items, page.deltaLink !== undefined);
    this.drive.remember(tree);
    if (page.nextLink !== undefined) return { changes, folders, nextPageToken: encodeToken({ l: page.nextLink }) };
    return { changes, folders, newCursor: encodeToken({ r: rootId, l: page.deltaLink! }) };
  }
}

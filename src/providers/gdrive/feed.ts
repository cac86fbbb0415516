// Drive's change feed (changes.getStartPageToken, changes.list) as the library's ChangeFeed. A read
// of the feed goes page by page through Drive's pages; after a page that brought folders into the
// root, their contents are listed (walk.ts) before the next page of Drive's. The page token says where
// the read is: `c` Drive's page token to read next, `n` the new start page token once Drive gave it
// (the cursor of the next sync), `w` the listing under way.
//
// The feed follows folders by id, the profile names its root by path: a root renamed or moved away,
// and perhaps replaced by another folder of its name, would be followed where it went. So the first
// page of a read looks the path up again, and a root that is another folder now, or a change that
// renames or moves the root during the read, asks for a full listing (cursorExpired), which reads the
// folder the path names.
import type { ChangeFeed, ChangePage, FolderChange, ProviderChange } from '../types.ts';
import { ProviderError } from '../types.ts';
import type { DriveApi } from './api.ts';
import { isRejectedPageToken } from './errors.ts';
import { feedPage, replacedRoot } from './feed-changes.ts';
import type { FolderView } from './folders.ts';
import type { Locator } from './locate.ts';
import { isWalkState, walkPage, type WalkState } from './walk.ts';

interface FeedToken {
  c?: string;
  n?: string;
  w?: WalkState;
}

export interface FeedContext {
  api: DriveApi;
  locator: Locator;
  /** The id of the folder the profile's path names now (looked up; `unavailable` when none does). */
  resolveRoot(): Promise<string>;
  /** The folders as the feed is read with: the stored index as loaded now, else the provider's own. */
  view(): Promise<FolderView>;
  /** The view after a page, for the provider's next page. */
  keep(view: FolderView): void;
}

export class DriveFeed implements ChangeFeed {
  private readonly context: FeedContext;

  constructor(context: FeedContext) {
    this.context = context;
  }

  getStartCursor(): Promise<string> {
    return this.context.api.startPageToken();
  }

  async getChanges(cursor: string, pageToken: string | undefined, pageSize: number): Promise<ChangePage> {
    const at: FeedToken = pageToken ? parseToken(pageToken) : { c: cursor };
    const { api, locator } = this.context;
    // Looked up first: a provider without a folder index starts its view from this lookup.
    const rootNow = pageToken ? undefined : await this.context.resolveRoot();
    const view = await this.context.view();
    if (rootNow !== undefined && rootNow !== view.rootId) throw replacedRoot();
    if (at.w) {
      const walked = await walkPage({ api, view, locator }, at.w, pageSize, { reportMoves: true });
      this.context.keep(view);
      return pageOf(walked.changes, walked.folders.map((folder) => ({ kind: 'upsert', folder })), { c: at.c, n: at.n, w: walked.state });
    }
    let answer;
    try {
      answer = await api.listChanges(at.c!, pageSize);
    } catch (err) {
      if (isRejectedPageToken(err)) {
        throw new ProviderError('cursorExpired', 'Google Drive no longer accepts the change feed position of the last sync', { cause: err });
      }
      throw err;
    }
    if (!answer.nextPageToken && !answer.newStartPageToken) {
      throw new ProviderError('unavailable', 'Google Drive answered changes.list with neither a next page nor a new start page token');
    }
    const page = await feedPage({ api, view, locator, rootMoved: async () => (rootNow ?? (await this.context.resolveRoot())) !== view.rootId }, answer.changes ?? []);
    this.context.keep(view);
    const listing = page.listNext.length > 0 ? { q: page.listNext } : undefined;
    return pageOf(page.changes, page.folders, { c: answer.nextPageToken, n: answer.newStartPageToken, w: listing });
  }
}

function pageOf(changes: ProviderChange[], folders: FolderChange[], next: FeedToken): ChangePage {
  if (next.c !== undefined || next.w !== undefined) {
    const token: FeedToken = {};
    if (next.c !== undefined) token.c = next.c;
    if (next.n !== undefined) token.n = next.n;
    if (next.w !== undefined) token.w = next.w;
    return { changes, folders, nextPageToken: JSON.stringify(token) };
  }
  return { changes, folders, newCursor: next.n! };
}

function parseToken(pageToken: string): FeedToken {
  let token: FeedToken | undefined;
  try {
    token = JSON.parse(pageToken) as FeedToken;
  } catch {
    token = undefined;
  }
  const text = (v: unknown) => v === undefined || typeof v === 'string';
  const valid = !!token && typeof token === 'object' && text(token.c) && text(token.n) && (token.w === undefined || isWalkState(token.w)) &&
    (token.c !== undefined || (token.w !== undefined && token.n !== undefined));
  if (!valid) throw new ProviderError('invalid', 'not a page token of a Google Drive change feed');
  return token!;
}

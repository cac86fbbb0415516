// Dropbox (API v2): a folder of the user's Dropbox, or all of it. Listed with one recursive
// list_folder and its continuations (entries carry their whole path: no folder index), followed by
// list_folder/continue as a change feed, read with ranged downloads by file id (a file renamed since
// it was listed is still found). Every request holds a slot of the account's limiter and goes through
// CloudHttp (token renewal, withRetry); Dropbox's rate limits apply per linked user
// (https://developers.dropbox.com/dbx-performance-guide).
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { REFRESH_TOKEN } from '../oauth/types.ts';
import { openBlockReader } from '../remote/block-reader.ts';
import { downloadTo } from '../remote/download.ts';
import { limiterFor, type AccountLimiter } from '../remote/limiter.ts';
import type {
  ChangeFeed, FileToRead, ListPage, ProfileLocation, ProviderContext, ProviderEnvironment, ProviderModule, ProviderProfile,
  RandomAccessReader, StorageProvider,
} from '../types.ts';
import { ProviderError } from '../types.ts';
import { DropboxApi } from './api.ts';
import { filesOf } from './changes.ts';
import { DropboxFeed } from './feed.ts';
import { DropboxFolder } from './folder.ts';
import { apiPathOf, normalizeRoot } from './location.ts';
import { metadataOf, type ListFolderResult } from './metadata.ts';
import { cursorOf, pageTokenOf } from './page-token.ts';
import { normalizeDropboxSettings } from './settings.ts';

/** Requests under way at once for one account. */
const MAX_CONNECTIONS = 8;

export class DropboxProvider implements StorageProvider {
  readonly kind = 'dropbox';
  readonly usesNetwork = true;
  readonly changeFeed: ChangeFeed;
  private readonly folder: DropboxFolder;
  private readonly limiter: AccountLimiter;
  private readonly tempDir: string;

  constructor(profile: ProviderProfile, environment: ProviderEnvironment) {
    const root = normalizeRoot(profile.root);
    const settings = normalizeDropboxSettings(profile.settings);
    const tokens = createAccessTokens({ kind: 'dropbox', profile, secrets: environment.secrets, credentials: environment.credentials });
    // Named without any token: the API, the app and the folder.
    this.limiter = limiterFor(`dropbox ${settings.apiUrl} ${settings.clientId} /${root}`, MAX_CONNECTIONS, environment.throttleBoard);
    const api = new DropboxApi({ tokens, limiter: this.limiter, apiUrl: settings.apiUrl, contentUrl: settings.contentUrl });
    this.folder = new DropboxFolder(api, root);
    this.changeFeed = new DropboxFeed(this.folder);
    this.tempDir = environment.tempDir;
  }

  /** The root must be a folder the link may read. get_metadata answers for any folder but the
   * Dropbox's own root, which always exists: there a one-entry listing checks the link. */
  async validate(): Promise<void> {
    const { folder } = this;
    if (folder.root === '') {
      await folder.call('files/list_folder', { path: '', recursive: false, limit: 1 }, 'listing the Dropbox');
      return;
    }
    const what = `the Dropbox folder ${folder.shown}`;
    const entry = metadataOf(await folder.call<unknown>('files/get_metadata', { path: apiPathOf(folder.root) }, what), what);
    if (entry['.tag'] !== 'folder') throw new ProviderError('invalid', `${folder.shown} is a ${entry['.tag'] === 'file' ? 'file' : 'deleted item'} in Dropbox, not a folder`);
  }

  /** One page of the recursive listing. A listing cursor Dropbox forgets midway (`reset`) starts
   * the listing over: pages listed twice are harmless, a listing that never ends is not. */
  async list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    let page: ListFolderResult;
    if (pageToken === undefined) page = await this.folder.listFirst(pageSize);
    else {
      try {
        page = await this.folder.continue(cursorOf(pageToken));
      } catch (err) {
        if (!(err instanceof ProviderError && err.kind === 'cursorExpired')) throw err;
        page = await this.folder.listFirst(pageSize);
      }
    }
    const files = filesOf(page.entries, this.folder.key);
    return page.has_more ? { files, nextPageToken: pageTokenOf(page.cursor) } : { files };
  }

  async open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader> {
    return openBlockReader({
      fetchRange: this.folder.api.download(this.pathOf(file)),
      limiter: this.limiter,
      what: this.what(file),
      tempDir: this.tempDir,
      signal: context?.signal,
      attemptTimeoutMs: context?.stallTimeoutMs,
    });
  }

  async download(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }> {
    const { bytesRead } = await downloadTo({
      fetchRange: this.folder.api.download(this.pathOf(file)),
      limiter: this.limiter,
      what: this.what(file),
      target,
      signal: context?.signal,
      expectedSize: file.size,
      attemptTimeoutMs: context?.stallTimeoutMs,
    });
    return { bytesRead };
  }

  /** The file's id (`id:...`), which follows it through renames and moves; its path under the root
   * for an id of another shape. Not its revision (`rev:`): Dropbox serves old revisions of a deleted
   * file, and a file deleted since it was listed must be reported gone. */
  private pathOf(file: FileToRead): string {
    if (file.fileId.startsWith('id:')) return file.fileId;
    const segments = file.path.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new ProviderError('invalid', `${JSON.stringify(file.path)} is not a path inside the Dropbox folder`);
    return `${apiPathOf(this.folder.root)}/${file.path}`;
  }

  private what(file: FileToRead): string {
    return `Dropbox file ${JSON.stringify(`${apiPathOf(this.folder.root)}/${file.path}`)}`;
  }
}

/** A Dropbox profile is stored with its root as a path without slashes and its OAuth settings; the
 * service is not asked here (validate does, before every sync). */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  return { root: normalizeRoot(location.root), settings: { ...normalizeDropboxSettings(location.settings) } };
}

export const dropboxProvider: ProviderModule<'dropbox'> = {
  kind: 'dropbox',
  secretNames: [REFRESH_TOKEN],
  normalizeProfile,
  create: (profile: ProviderProfile, environment: ProviderEnvironment) => new DropboxProvider(profile, environment),
};

import { CloudHttp } from '../cloud/http.ts';
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { REFRESH_TOKEN } from '../oauth/types.ts';
import { openBlockReader } from '../remote/block-reader.ts';
import { downloadTo } from '../remote/download.ts';
import { limiterFor, type AccountLimiter } from '../remote/limiter.ts';
import type {
  ChangeFeed, FileToRead, FolderIndex, ListPage, ProfileLocation, ProviderContext, ProviderEnvironment, ProviderModule, ProviderProfile,
  RandomAccessReader, StorageProvider,
} from '../types.ts';
import { ProviderError } from '../types.ts';
import { DriveApi } from './api.ts';
import { driveErrorOf } from './errors.ts';
import { DriveFeed } from './feed.ts';
import { FolderView } from './folders.ts';
import { Locator } from './locate.ts';
import { normalizeRoot, normalizeSettings } from './profile.ts';
import { resolveRoot } from './root.ts';
import { isWalkState, walkPage, type WalkState } from './walk.ts';

/** Requests under way at once per account: Drive's per-user quota is counted per 100 seconds, and
 * the limiter halves this at the first sign of throttling. */
const MAX_CONNECTIONS = 8;

/** Where a listing is: the root's id (so a later page needs no lookup) and the walk's state. */
interface ListToken extends WalkState {
  r: string;
}

/**
 * A folder of the user's Google Drive (Drive API v3). Listed by files.list over the folder tree,
 * followed by changes.list between syncs, read by ranged downloads. File ids are Drive's; the content
 * hash is the MD5 Drive computed. Every request holds a slot of the account's limiter and goes
 * through CloudHttp (bearer token renewed on a 401, retries, Drive's 403 rate limits as throttling).
 */
export class GdriveProvider implements StorageProvider {
  readonly kind = 'gdrive';
  readonly usesNetwork = true;
  /** The folder's path in My Drive ('' for all of it). */
  readonly root: string;
  readonly changeFeed: ChangeFeed;
  private readonly api: DriveApi;
  private readonly limiter: AccountLimiter;
  private readonly locator: Locator;
  private readonly tempDir: string;
  private readonly folders: FolderIndex | undefined;
  /** The root's id, once looked up. */
  private rootId: string | undefined;
  /** The folders as this provider last left them (a listing's or a feed read's pages go on from it). */
  private view: FolderView | undefined;

  constructor(profile: ProviderProfile, environment: ProviderEnvironment) {
    this.root = normalizeRoot(profile.root);
    const settings = normalizeSettings(profile.settings);
    const tokens = createAccessTokens({ kind: 'gdrive', profile, secrets: environment.secrets, credentials: environment.credentials });
    // The account as the limiter and the shared throttle table name it: client and folder, never a token.
    this.limiter = limiterFor(`gdrive ${settings.apiUrl} ${settings.clientId} ${this.root}`, MAX_CONNECTIONS, environment.throttleBoard);
    this.api = new DriveApi(new CloudHttp({ tokens, limiter: this.limiter, errorOf: driveErrorOf }), settings.apiUrl);
    this.locator = new Locator(this.api);
    this.tempDir = environment.tempDir;
    this.folders = environment.folders;
    this.changeFeed = new DriveFeed({
      api: this.api,
      locator: this.locator,
      resolveRoot: async () => {
        this.rootId = await resolveRoot(this.api, this.root);
        return this.rootId;
      },
      view: () => this.feedView(),
      keep: (view) => {
        this.view = view;
      },
    });
  }

  /** The root must be a folder the account can see: a missing one is `unavailable` (a library whose
   * folder is gone is not an empty library), a revoked link `unauthorized`. */
  async validate(): Promise<void> {
    this.rootId = await resolveRoot(this.api, this.root);
  }

  async list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    const token = pageToken === undefined ? undefined : parseListToken(pageToken);
    const rootId = token?.r ?? (await this.resolvedRoot());
    const view = token ? await this.listingView(rootId) : FolderView.ofRoot(rootId);
    const { r: _root, ...start } = token ?? { r: rootId, q: [rootId] };
    const walked = await walkPage({ api: this.api, view, locator: this.locator }, start, pageSize, { reportMoves: false });
    this.view = view;
    const files = walked.changes.flatMap((c) => (c.kind === 'upsert' ? [c.file] : []));
    const folders = token ? walked.folders : [view.get(rootId)!, ...walked.folders];
    return { files, folders, ...(walked.state ? { nextPageToken: JSON.stringify({ r: rootId, ...walked.state } satisfies ListToken) } : {}) };
  }

  async open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader> {
    return openBlockReader({
      fetchRange: this.api.download(file.fileId), limiter: this.limiter, what: this.what(file), tempDir: this.tempDir,
      signal: context?.signal, attemptTimeoutMs: context?.stallTimeoutMs,
    });
  }

  async download(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }> {
    const { bytesRead } = await downloadTo({
      fetchRange: this.api.download(file.fileId), limiter: this.limiter, what: this.what(file), target,
      signal: context?.signal, expectedSize: file.size, attemptTimeoutMs: context?.stallTimeoutMs,
    });
    return { bytesRead };
  }

  private what(file: FileToRead): string {
    return `Google Drive file ${JSON.stringify(file.path)}`;
  }

  private async resolvedRoot(): Promise<string> {
    this.rootId ??= await resolveRoot(this.api, this.root);
    return this.rootId;
  }

  /** The folders a listing's later page goes on with: this provider's own, else the stored index
   * (which holds the listing's earlier pages), else the root alone (the rest is looked up). */
  private async listingView(rootId: string): Promise<FolderView> {
    if (this.view?.rootId === rootId) return this.view;
    const stored = this.folders ? FolderView.ofIndex(await this.folders.load()) : undefined;
    return stored?.rootId === rootId ? stored : FolderView.ofRoot(rootId);
  }

  /** The folders a feed page is read with: the stored index as loaded now (it holds this read's
   * earlier pages), else this provider's own, else the root alone. (The feed checks that its root
   * is still the folder the profile's path names.) */
  private async feedView(): Promise<FolderView> {
    const stored = this.folders ? FolderView.ofIndex(await this.folders.load()) : undefined;
    return stored ?? this.view ?? FolderView.ofRoot(await this.resolvedRoot());
  }
}

function parseListToken(pageToken: string): ListToken {
  let token: unknown;
  try {
    token = JSON.parse(pageToken);
  } catch {
    token = undefined;
  }
  if (!isWalkState(token) || typeof (token as Partial<ListToken>).r !== 'string') {
    throw new ProviderError('invalid', 'not a page token of a Google Drive listing');
  }
  return token as ListToken;
}

/** A Google Drive profile's root is stored as a clean folder path, its settings as the OAuth client
 * and endpoints only. Nothing is asked of Drive here: the link's tokens are not stored yet. */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  return { root: normalizeRoot(location.root), settings: { ...normalizeSettings(location.settings) } };
}

export const gdriveProvider: ProviderModule<'gdrive'> = {
  kind: 'gdrive',
  secretNames: [REFRESH_TOKEN],
  normalizeProfile,
  create: (profile: ProviderProfile, environment: ProviderEnvironment) => new GdriveProvider(profile, environment),
};

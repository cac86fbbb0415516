import { CloudHttp } from '../cloud/http.ts';
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { REFRESH_TOKEN } from '../oauth/types.ts';
import { displayName } from '../path-bytes.ts';
import { openBlockReader } from '../remote/block-reader.ts';
import { downloadTo } from '../remote/download.ts';
import { limiterFor, type AccountLimiter } from '../remote/limiter.ts';
import type {
  ChangeFeed, FileToRead, ListPage, ProfileLocation, ProviderContext, ProviderEnvironment, ProviderModule, ProviderProfile,
  RandomAccessReader, StorageProvider,
} from '../types.ts';
import { OnedriveDrive } from './drive.ts';
import { graphErrorOf } from './errors.ts';
import { OnedriveFeed } from './feed.ts';
import { GraphClient } from './graph.ts';
import { listPage } from './list.ts';
import { normalizeRoot, normalizeSettings } from './profile.ts';

/** Requests in flight at once to one account (Graph throttles per app and user). */
const MAX_CONNECTIONS = 8;

/**
 * A folder in a user's OneDrive, through Microsoft Graph v1.0: listed and followed by the delta of
 * the root folder (its folders kept as the profile's folder index, since the delta speaks of parent
 * ids only), read by ranged GETs of /content. Every request carries a bearer token renewed with the
 * profile's refresh token and holds a slot of the account's limiter.
 */
export class OnedriveProvider implements StorageProvider {
  readonly kind = 'onedrive';
  readonly usesNetwork = true;
  readonly changeFeed: ChangeFeed;
  private readonly drive: OnedriveDrive;
  private readonly graph: GraphClient;
  private readonly limiter: AccountLimiter;
  private readonly tempDir: string;

  constructor(profile: ProviderProfile, environment: ProviderEnvironment) {
    const root = normalizeRoot(profile.root);
    const settings = normalizeSettings(profile.settings);
    const tokens = createAccessTokens({
      kind: 'onedrive',
      profile: { ...profile, root, settings: { ...settings } },
      secrets: environment.secrets,
      credentials: environment.credentials,
    });
    // The account as Graph counts it is the app and the user; the user is not known before a request,
    // so the profile's root stands in. Never a token in the name.
    this.limiter = limiterFor(`onedrive ${settings.apiUrl} ${settings.clientId} ${root}`, MAX_CONNECTIONS, environment.throttleBoard);
    this.graph = new GraphClient(new CloudHttp({ tokens, limiter: this.limiter, errorOf: graphErrorOf }), settings.apiUrl);
    this.drive = new OnedriveDrive(this.graph, root, environment.folders);
    this.changeFeed = new OnedriveFeed(this.drive);
    this.tempDir = environment.tempDir;
  }

  /** The root must be a folder: a missing one is `unavailable`, refused credentials `unauthorized`. */
  async validate(): Promise<void> {
    await this.drive.rootFolderId();
  }

  list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    return listPage(this.drive, pageToken, pageSize);
  }

  async open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader> {
    return openBlockReader({
      fetchRange: this.graph.content(file.fileId), limiter: this.limiter, what: this.what(file), tempDir: this.tempDir,
      signal: context?.signal, attemptTimeoutMs: context?.stallTimeoutMs,
    });
  }

  async download(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }> {
    const { bytesRead } = await downloadTo({
      fetchRange: this.graph.content(file.fileId), limiter: this.limiter, what: this.what(file), target,
      signal: context?.signal, expectedSize: file.size, attemptTimeoutMs: context?.stallTimeoutMs,
    });
    return { bytesRead };
  }

  private what(file: FileToRead): string {
    return `OneDrive "${displayName(file.path)}"`;
  }
}

/** A OneDrive profile's root is stored without slashes at its ends, its settings with only the
 * client and endpoints; the drive is not asked (the credentials are not stored yet). */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  return { root: normalizeRoot(location.root), settings: { ...normalizeSettings(location.settings) } };
}

export const onedriveProvider: ProviderModule<'onedrive'> = {
  kind: 'onedrive',
  secretNames: [REFRESH_TOKEN],
  normalizeProfile,
  create: (profile: ProviderProfile, environment: ProviderEnvironment) => new OnedriveProvider(profile, environment),
};

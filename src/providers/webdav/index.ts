import { AuthType, createClient, type WebDAVClient } from 'webdav';
import { displayName } from '../path-bytes.ts';
import { openBlockReader } from '../remote/block-reader.ts';
import { downloadTo } from '../remote/download.ts';
import { limiterFor, type AccountLimiter } from '../remote/limiter.ts';
import { withRetry } from '../remote/retry.ts';
import { RemoteRequestError } from '../remote/types.ts';
import type {
  FileToRead,
  ListPage,
  ProfileLocation,
  ProviderContext,
  ProviderEnvironment,
  ProviderModule,
  ProviderProfile,
  ProviderSecrets,
  RandomAccessReader,
  StorageProvider,
} from '../types.ts';
import { ProviderError } from '../types.ts';
import { fetchRangeOf } from './fetch-range.ts';
import { listPage, type FolderAnswer } from './list.ts';
import { filePath, folderPath, listedSegments, normalizeRootUrl, pathSegments, samePath } from './location.ts';
import { decodeForPeople, propfind, type DavEntry } from './propfind.ts';
import { normalizeSettings, readSettings } from './settings.ts';

/** Folders listed at once at most, whatever the connection limit: the listing is one walk, and the
 * batch loops reading files share the same connections. */
const MAX_LOOKAHEAD = 8;

/**
 * A folder on a WebDAV server (Nextcloud, ownCloud, Apache mod_dav, nginx, rclone, a NAS). Listed by
 * PROPFIND, read by ranged GETs. File ids are `oc:fileid` where the server has them (ownCloud,
 * Nextcloud: a rename keeps its id), else the path; the provider hash is the MD5 (or SHA-1) of
 * `oc:checksums`, never the ETag. Every request holds a slot of the account's limiter (one per server
 * and user in the worker) and is retried by remote/retry.ts.
 */
export class WebdavProvider implements StorageProvider {
  readonly kind = 'webdav';
  readonly usesNetwork = true;
  /** The folder's canonical URL (see location.ts). */
  readonly root: string;
  private readonly origin: string;
  private readonly rootSegments: string[];
  private readonly client: WebDAVClient;
  private readonly limiter: AccountLimiter;
  private readonly lookahead: number;
  private readonly tempDir: string;

  constructor(profile: ProfileLocation, environment: ProviderEnvironment) {
    this.root = normalizeRootUrl(profile.root);
    const url = new URL(this.root);
    this.origin = url.origin;
    this.rootSegments = pathSegments(url.pathname);
    const { maxConnections } = readSettings(profile.settings);
    const { username, password } = credentials(environment.secrets);
    this.client = createClient(this.root, clientAuth(username, password));
    // The account is the server and the user, so two profiles of one user share its limit; never the password.
    this.limiter = limiterFor(`webdav ${this.origin} ${username ?? '(anonymous)'}`, maxConnections, environment.throttleBoard);
    this.lookahead = Math.min(MAX_LOOKAHEAD, maxConnections);
    this.tempDir = environment.tempDir;
  }

  /** The root must be a folder the credentials may read: a missing one is `unavailable` (a library
   * whose folder is gone is not an empty library), refused credentials `unauthorized`. */
  async validate(): Promise<void> {
    const entries = await this.listFolder([], 0);
    const self = entries.length === 1 ? entries[0]! : entries.find((e) => samePath(e.segments, this.rootSegments));
    if (!self || !samePath(self.segments, this.rootSegments)) {
      const shown = self ? ` for ${JSON.stringify(displayName(`/${self.segments.join('/')}/`))}` : '';
      throw new ProviderError('invalid', `${this.root}: the WebDAV server answered${shown} when asked for the folder (a proxy rewriting paths?)`);
    }
    if (!self.collection) throw new ProviderError('invalid', `${this.root} is a file, not a folder`);
  }

  /** Depth-first, one PROPFIND per folder, names in code-unit order (see list.ts). */
  list(pageToken: string | undefined, pageSize: number): Promise<ListPage> {
    return listPage(this.rootSegments, (folder, signal) => this.listSubfolder(folder, signal), pageToken, pageSize, this.lookahead);
  }

  async open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader> {
    const url = this.fileUrl(file.path);
    return openBlockReader({
      fetchRange: fetchRangeOf(this.client, url), limiter: this.limiter, what: decodeForPeople(url), tempDir: this.tempDir,
      signal: context?.signal, attemptTimeoutMs: context?.stallTimeoutMs,
    });
  }

  async download(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }> {
    const url = this.fileUrl(file.path);
    const { bytesRead } = await downloadTo({
      fetchRange: fetchRangeOf(this.client, url),
      limiter: this.limiter,
      what: decodeForPeople(url),
      target,
      signal: context?.signal,
      expectedSize: file.size,
      attemptTimeoutMs: context?.stallTimeoutMs,
    });
    return { bytesRead };
  }

  /** One folder of the walk; a subfolder the server refuses (403) or no longer has (404, 410) is
   * answered as refused, so the listing reports it instead of failing or taking it for empty. */
  private async listSubfolder(folder: readonly string[], signal: AbortSignal): Promise<FolderAnswer> {
    if (folder.length === 0) return { entries: await this.listFolder(folder, 1, signal) };
    try {
      return { entries: await this.listFolder(folder, 1, signal) };
    } catch (err) {
      const status = statusOf(err);
      if (status === 403 || status === 404 || status === 410) return { refused: `folder could not be listed: the WebDAV server answered HTTP ${status}` };
      throw err;
    }
  }

  /** PROPFIND of a folder (segments relative to the root), retried; failures of the root itself are
   * said in the root's words. */
  private async listFolder(folder: readonly string[], depth: 0 | 1, signal?: AbortSignal): Promise<DavEntry[]> {
    const url = `${this.origin}${folderPath([...this.rootSegments, ...folder])}`;
    const what = `PROPFIND ${decodeForPeople(url)}`;
    try {
      return await withRetry(this.limiter, what, (attemptSignal) => propfind(this.client, url, depth, attemptSignal), { signal });
    } catch (err) {
      if (folder.length > 0) throw err;
      const status = statusOf(err);
      if (status === 401) throw new ProviderError('unauthorized', `WebDAV server refused the credentials for ${this.root}`, { cause: err });
      if (status === 404 || status === 410) {
        throw new ProviderError('unavailable', `the WebDAV folder ${this.root} does not exist (HTTP ${status}); a missing folder is never taken for an empty one`, { cause: err });
      }
      throw err;
    }
  }

  private fileUrl(path: string): string {
    const segments = listedSegments(path);
    try {
      return `${this.origin}${filePath([...this.rootSegments, ...segments])}`;
    } catch (err) {
      throw new ProviderError('invalid', (err as Error).message, { cause: err });
    }
  }
}

/** The HTTP status behind a failure (withRetry keeps the server's answer as the cause). */
function statusOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof RemoteRequestError) return e.status;
  }
  return undefined;
}

/** A profile's credentials: a user name and a password (which may be empty). Without a user name
 * the server is asked without authentication (a server on a trusted network may need none). */
function credentials(secrets: ProviderSecrets): { username: string | undefined; password: string } {
  const username = secrets.username?.trim() || undefined;
  return { username, password: username === undefined ? '' : (secrets.password ?? '') };
}

/** Basic authentication, switching to Digest when the server asks for it; with an empty password,
 * Basic only (the client sends no credentials at all in its automatic mode then). */
function clientAuth(username: string | undefined, password: string): Parameters<typeof createClient>[1] {
  if (username === undefined) return { authType: AuthType.None };
  return { username, password, authType: password === '' ? AuthType.Password : AuthType.Auto };
}

/** A WebDAV profile's root is stored as its canonical URL; the server is not asked (a profile may be
 * added before the server is up; `validate` runs before every sync). */
async function normalizeProfile(location: ProfileLocation): Promise<ProfileLocation> {
  return { root: normalizeRootUrl(location.root), settings: normalizeSettings(location.settings) };
}

export const webdavProvider: ProviderModule<'webdav'> = {
  kind: 'webdav',
  secretNames: ['username', 'password'],
  normalizeProfile,
  create: (profile: ProviderProfile, environment: ProviderEnvironment) => new WebdavProvider(profile, environment),
};

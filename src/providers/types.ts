// The one contract every storage provider implements. Shaped for remote storage from the start:
// paged listing with an opaque page token, random-access ranged reads, provider-supplied hashes.
import { TRACK_FILE_KEYS, type TrackFile } from '../contract/track.ts';
import type { ThrottleBoard } from './remote/limiter.ts';

/** One file as the provider lists it. `fileId` is the provider's stable id (Drive fileId, Graph id,
 * Dropbox id; device, inode and birth time for a local folder: an id is never proof of identity on its
 * own), `path` is relative to the profile's root with `/` (bytes that are not UTF-8 escaped, see path-bytes.ts). */
export interface ProviderFile extends TrackFile {
  mimeType: string | null;
  /** A content hash the provider computed, as `algo:value` (only comparable within one provider). */
  providerHash: string | null;
  /** The provider's tag for this version of the file (an HTTP ETag): not a content hash, but a file
   * listed with another revision than before has changed, whatever its size and time say. */
  revision: string | null;
}

export const PROVIDER_FILE_KEYS = [...TRACK_FILE_KEYS, 'mimeType', 'providerHash', 'revision'] as const satisfies readonly (keyof ProviderFile)[];

export interface ListPage {
  files: ProviderFile[];
  /** Opaque token for the next page; absent on the last page. */
  nextPageToken?: string;
  /** Folders (or files) under the root that could not be listed, with the reason: their tracks are
   *  neither re-read nor deleted by this sync. Paths are relative to the root, like files'. */
  unlisted?: { path: string; reason: string; /** The whole folder under `path` went unseen. */ folder?: boolean }[];
  /** Folders listed on this page (providers with a FolderIndex: a full listing replaces the index). */
  folders?: FolderEntry[];
}

/** A listed file to read: its id and path, and where known the size and revision it was listed with
 * (a provider that can pins its reads to that revision, so the tags read are of the listed version). */
export type FileToRead = Pick<ProviderFile, 'fileId' | 'path'> & Partial<Pick<ProviderFile, 'size' | 'revision'>>;

/** Random access to one file's bytes. Providers implement it over pread, HTTP Range, etc. */
export interface RandomAccessReader {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns bytes read (0 at EOF). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ProviderContext {
  /** Called by long operations so activities can heartbeat and notice cancellation. */
  signal?: AbortSignal;
  /** How long one request may go without an answer or a byte before it is given up and retried
   * (network providers; the sync's `readStallTimeoutMs`). */
  stallTimeoutMs?: number;
}

/** One entry of a change feed, applied in order:
 * - `upsert`: a file created or changed, with its metadata (and path) as now;
 * - `remove`: a file gone (deleted, trashed, out of reach), by id;
 * - `removePath`: everything at or under a path is gone (a folder deleted; Dropbox's deletions, which
 *   carry a path and no id). `caseInsensitive` where the provider's paths are (Dropbox);
 * - `movePath`: the folder at `from` is now at `to`, with everything under it (Drive and Graph report a
 *   moved or renamed folder once, not its contents). */
export type ProviderChange =
  | { kind: 'upsert'; file: ProviderFile }
  | { kind: 'remove'; fileId: string }
  | { kind: 'removePath'; path: string; caseInsensitive?: boolean }
  | { kind: 'movePath'; from: string; to: string };

/** A folder of a provider whose folders have ids (Drive, Graph): what its files' paths are made of.
 * `parentId` is null for the folder the profile syncs (its root), whatever is above it. */
export interface FolderEntry {
  id: string;
  parentId: string | null;
  name: string;
}

export type FolderChange = { kind: 'upsert'; folder: FolderEntry } | { kind: 'remove'; id: string };

/**
 * The profile's folders by id, kept between syncs for providers whose change feeds speak of ids and
 * parents, never of paths. A page's folder changes are stored in the same transaction as its files
 * and become the profile's only when its sync completes (with the cursor): a sync that fails leaves
 * the index as the cursor it will restart from knew it.
 */
export interface FolderIndex {
  /** The folders as the profile's last completed sync left them, with this sync's changes so far
   * over them (an activity retried in the middle of a listing or a feed sees its earlier pages). */
  load(): Promise<Map<string, FolderEntry>>;
}

export interface ChangePage {
  changes: ProviderChange[];
  /** Folder changes of this page (providers with a FolderIndex). */
  folders?: FolderChange[];
  /** Another page of this feed read follows. */
  nextPageToken?: string;
  /** On the last page only: the cursor for the next sync (Drive's newStartPageToken, Graph's deltaLink). */
  newCursor?: string;
}

/**
 * A provider's own change feed, the shape of Google Drive `changes.list`, Microsoft Graph `delta` and
 * Dropbox `list_folder/continue`: changes keyed by file id since a cursor, in pages. An entry may
 * appear twice in one read; the last one wins. A cursor the provider no longer honours (Graph 410,
 * Dropbox `reset`) is ProviderError('cursorExpired'): a full sync is needed.
 */
export interface ChangeFeed {
  /** A cursor for "now"; a full sync takes it before listing so nothing changed meanwhile is lost. */
  getStartCursor(): Promise<string>;
  getChanges(cursor: string, pageToken: string | undefined, pageSize: number): Promise<ChangePage>;
}

export interface StorageProvider {
  readonly kind: string;
  /** True when reads cross a network, so the wifiOnly policy applies. */
  readonly usesNetwork: boolean;
  /** Checks the root is reachable and readable (credentials, mount present). Throws ProviderError. */
  validate(): Promise<void>;
  /** One page of the full recursive listing. */
  list(pageToken: string | undefined, pageSize: number): Promise<ListPage>;
  /** Opens a file for ranged reads; throws ProviderError(notFound) when it is gone. Over a network,
   * reads are coalesced and read ahead, and `size` is the file's size as the server states it now. */
  open(file: FileToRead, context?: ProviderContext): Promise<RandomAccessReader>;
  /** Network providers: copies the whole file once, streamed, into `target` (a new file the caller
   * named and deletes), resuming after a broken transfer. Answers the bytes transferred. */
  download?(file: FileToRead, target: string, context?: ProviderContext): Promise<{ bytesRead: number }>;
  /** Providers with a change feed; without one, an incremental sync diffs a full listing against
   * the profile's snapshot (the local folder's feed is exactly that diff). */
  readonly changeFeed?: ChangeFeed;
}

/** Where a profile's music is: the root (a folder, a bucket prefix, a drive folder) and the
 * provider's own settings. */
export interface ProfileLocation {
  root: string;
  settings: Record<string, unknown>;
}

export interface ProviderProfile extends ProfileLocation {
  provider: string;
  /** The stored profile's id (absent for a profile being checked before it is stored). */
  id?: string;
  /** Its name, for messages that tell the user what to run. */
  name?: string;
}

/** A profile's credentials by name (`username`, `password`, `accessKeyId`, ...), opened from the
 * secret store inside an activity; never in workflow inputs, results, events or logs. */
export type ProviderSecrets = Readonly<Record<string, string>>;

/** What a provider is made with besides its profile. */
export interface ProviderEnvironment {
  secrets: ProviderSecrets;
  /** Where files read whole are spooled (named and deleted by music-sync). */
  tempDir: string;
  /** Throttling shared with the other worker processes reading from the same account. */
  throttleBoard?: ThrottleBoard;
  /** Writes a rotated credential back (OAuth refresh tokens), see CredentialStore. */
  credentials?: CredentialStore;
  /** The profile's folder index (providers whose feeds speak of folder ids). */
  folders?: FolderIndex;
}

/** The profile's stored credentials, for the one kind of credential that changes by itself: an OAuth
 * refresh token the provider rotates on use. */
export interface CredentialStore {
  /** The credential as stored now (another process may have rotated it since the provider was made). */
  read(name: string): Promise<string | undefined>;
  /** Replaces `name` with `next` only if it is still `expected` (compare-and-set, atomic in the
   * store): false when someone else replaced it first. */
  replace(name: string, expected: string, next: string): Promise<boolean>;
}

/** One provider kind: how its profiles are checked and normalised, and how a provider is made for one. */
export interface ProviderModule<K extends string = string> {
  readonly kind: K;
  /** The secret names a profile of this kind needs (none for a local folder). */
  readonly secretNames: readonly string[];
  /** A profile's location as it will be stored: checked and normalised (a local root becomes an
   * absolute path). Throws ProviderError('invalid') with a message for the user. */
  normalizeProfile(location: ProfileLocation): Promise<ProfileLocation>;
  /** A provider for one stored profile. */
  create(profile: ProviderProfile, environment: ProviderEnvironment): StorageProvider;
}

/** `unauthorized`: the credentials were refused (the whole account); `forbidden`: this one file or
 * folder may not be read (a permission), so a file fails alone, a root fails its sync. */
export type ProviderErrorKind = 'notFound' | 'unauthorized' | 'forbidden' | 'unavailable' | 'rateLimited' | 'invalid' | 'cursorExpired';

/** The provider's verdict on a failure; activities turn it into retryable or non-retryable. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly retryAfterMs: number | undefined;
  constructor(kind: ProviderErrorKind, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.retryAfterMs = options?.retryAfterMs;
  }
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rateLimited';
  }
}

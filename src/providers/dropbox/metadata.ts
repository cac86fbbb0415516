// The shapes of Dropbox's answers this provider reads (`Metadata` and `ListFolderResult` of
// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder), checked as
// they arrive, and a listed file as the library keeps it.
import type { ProviderFile } from '../types.ts';
import { ProviderError } from '../types.ts';

interface EntryBase {
  name: string;
  /** Absent for an item that is not mounted. */
  path_lower?: string;
  path_display?: string;
}

export interface FileMetadata extends EntryBase {
  '.tag': 'file';
  id: string;
  size: number;
  /** The file's own time, as the app that uploaded it set it. */
  client_modified?: string;
  server_modified?: string;
  rev?: string;
  /** https://www.dropbox.com/developers/reference/content-hash */
  content_hash?: string;
}

export interface FolderMetadata extends EntryBase {
  '.tag': 'folder';
  id: string;
}

/** A file or folder that was at `path_lower` and is gone (deleted, or moved away); it has no id. */
export interface DeletedMetadata extends EntryBase {
  '.tag': 'deleted';
}

export type Metadata = FileMetadata | FolderMetadata | DeletedMetadata;

export interface ListFolderResult {
  entries: Metadata[];
  cursor: string;
  has_more: boolean;
}

const KINDS: ReadonlySet<unknown> = new Set(['file', 'folder', 'deleted']);

/** An answer of list_folder or list_folder/continue, checked. */
export function listFolderResultOf(value: unknown, what: string): ListFolderResult {
  const result = value as Partial<ListFolderResult> | null;
  if (!result || !Array.isArray(result.entries) || typeof result.cursor !== 'string' || typeof result.has_more !== 'boolean') {
    throw malformed(what, 'a listing without entries, cursor or has_more');
  }
  // Kinds this provider does not know (Dropbox's unions are open) carry nothing it could use.
  const entries = result.entries.filter((entry: { '.tag'?: unknown } | null) => !entry || KINDS.has(entry['.tag'])).map((entry) => metadataOf(entry, what));
  return { entries, cursor: result.cursor, has_more: result.has_more };
}

/** One entry, checked: what the provider reads of it is there and of its type. */
export function metadataOf(value: unknown, what: string): Metadata {
  const entry = value as { '.tag'?: unknown; name?: unknown; id?: unknown; size?: unknown; path_display?: unknown } | null;
  if (!entry || typeof entry.name !== 'string') throw malformed(what, 'an entry without a name');
  const tag = entry['.tag'];
  const shown = JSON.stringify(typeof entry.path_display === 'string' ? entry.path_display : entry.name);
  if (!KINDS.has(tag)) throw malformed(what, `an entry of unknown kind ${JSON.stringify(tag)}`);
  if (tag !== 'deleted' && typeof entry.id !== 'string') throw malformed(what, `the ${tag} ${shown} without an id`);
  if (tag === 'file' && !(Number.isSafeInteger(entry.size) && (entry.size as number) >= 0)) throw malformed(what, `the file ${shown} without a size`);
  return entry as Metadata;
}

/** An answer without what the API documents in it. */
export function malformed(what: string, detail: string): ProviderError {
  return new ProviderError('unavailable', `${what}: Dropbox answered ${detail}`);
}

/** A listed file at `path` (relative to the root). Its time is the one the uploader gave it
 * (`client_modified`), which is the file's own; the server's when there is none. */
export function providerFileOf(entry: FileMetadata, path: string): ProviderFile {
  const time = Date.parse(entry.client_modified ?? entry.server_modified ?? '');
  return {
    fileId: entry.id,
    path,
    size: entry.size,
    modifiedAt: Number.isNaN(time) ? null : new Date(time),
    mimeType: null,
    providerHash: typeof entry.content_hash === 'string' && entry.content_hash !== '' ? `dropbox:${entry.content_hash}` : null,
    revision: typeof entry.rev === 'string' && entry.rev !== '' ? entry.rev : null,
  };
}

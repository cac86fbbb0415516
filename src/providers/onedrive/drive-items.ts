// Microsoft Graph's driveItem as the provider reads it, and the file it makes of one
// (https://learn.microsoft.com/en-us/graph/api/resources/driveitem,
// https://learn.microsoft.com/en-us/graph/api/resources/hashes).
import type { ProviderFile } from '../types.ts';

export interface DriveItem {
  id: string;
  name?: string;
  size?: number;
  eTag?: string;
  cTag?: string;
  lastModifiedDateTime?: string;
  /** The times the client that uploaded the file reported: the file's own mtime. */
  fileSystemInfo?: { lastModifiedDateTime?: string };
  file?: { mimeType?: string; hashes?: { quickXorHash?: string; sha1Hash?: string; sha256Hash?: string } };
  folder?: { childCount?: number };
  /** Present on items the delta reports gone (deleted, or moved out of the folder it tracks). */
  deleted?: { state?: string };
  /** Present on the drive's own root. */
  root?: object;
  /** In delta answers `id` only: never `path` (a renamed folder does not report its descendants). */
  parentReference?: { id?: string; driveId?: string; path?: string };
}

/** The fields asked for, in every request that answers items. */
export const ITEM_FIELDS = 'id,name,size,file,folder,deleted,root,parentReference,lastModifiedDateTime,fileSystemInfo,eTag,cTag';

/** quickXorHash (base64) where the service gives it (OneDrive for Business and SharePoint always),
 * else SHA-256 (hex, in lowercase: Graph spells it in uppercase). */
export function providerHashOf(item: DriveItem): string | null {
  const hashes = item.file?.hashes;
  if (hashes?.quickXorHash) return `quickxor:${hashes.quickXorHash}`;
  if (hashes?.sha256Hash) return `sha256:${hashes.sha256Hash.toLowerCase()}`;
  return null;
}

/** A file of the delta at `path` (relative to the root). */
export function fileOf(item: DriveItem, path: string): ProviderFile {
  const time = item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime;
  const modifiedAt = time ? new Date(time) : null;
  return {
    fileId: item.id,
    path,
    size: typeof item.size === 'number' && item.size >= 0 ? item.size : 0,
    modifiedAt: modifiedAt && !Number.isNaN(modifiedAt.getTime()) ? modifiedAt : null,
    mimeType: item.file?.mimeType ?? null,
    providerHash: providerHashOf(item),
    revision: item.eTag ?? null,
  };
}

/** A file that is there to be read (not deleted), with a name and a parent. */
export function isLiveFile(item: DriveItem): item is DriveItem & { name: string; file: object; parentReference: { id: string } } {
  return !item.deleted && item.file !== undefined && typeof item.name === 'string' && typeof item.parentReference?.id === 'string';
}

/** A folder that is there (not deleted), with a name and a parent. */
export function isLiveFolder(item: DriveItem): item is DriveItem & { name: string; folder: object; parentReference: { id: string } } {
  return !item.deleted && item.folder !== undefined && typeof item.name === 'string' && typeof item.parentReference?.id === 'string';
}

/** The last occurrence of each item, in the order of those last occurrences: the delta may name an
 * item twice, and the last one is its state. */
export function lastOccurrences(items: readonly DriveItem[]): DriveItem[] {
  const last = new Map<string, DriveItem>();
  for (const item of items) {
    last.delete(item.id);
    last.set(item.id, item);
  }
  return [...last.values()];
}

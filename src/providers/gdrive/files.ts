// What a Drive item is to the library: a folder, a file with bytes, or neither; and a file's
// ProviderFile.
import type { ProviderFile } from '../types.ts';
import { FOLDER_MIME, type DriveFile } from './api.ts';

/** Google's own types (Docs, Sheets, Forms...) have no bytes to read, only exports; a shortcut
 * (application/vnd.google-apps.shortcut) points at an item that lives elsewhere and is listed there
 * when that place is under the root. Neither is a file of the library. */
const GOOGLE_TYPES = 'application/vnd.google-apps.';

export type ItemKind = 'folder' | 'file' | 'other';

export function kindOf(item: DriveFile): ItemKind {
  if (item.mimeType === FOLDER_MIME) return 'folder';
  return item.mimeType.startsWith(GOOGLE_TYPES) ? 'other' : 'file';
}

/** The parent an item is listed under (Drive items have one since 2020; of an older item with
 * several, the first one among `among`, else its first). */
export function parentOf(item: DriveFile, among?: readonly string[]): string | undefined {
  return (among && item.parents?.find((p) => among.includes(p))) || item.parents?.[0];
}

/** A Drive name as one segment of a path: Drive allows `/` in names ("AC/DC"), a path may not, so it
 * becomes the fullwidth solidus `／` (as rclone shows it). */
export function segmentOf(name: string): string {
  return name.replaceAll('/', '／');
}

/** The time Drive stamps an item with, or null when absent or unreadable. */
function dateOf(text: string | undefined): Date | null {
  const ms = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** A file as the library lists it at `path`: the MD5 Drive computed (else its SHA-256) is its
 * content hash, its `version` (which moves with every change) its revision. */
export function toProviderFile(item: DriveFile, path: string): ProviderFile {
  const size = Number(item.size ?? 0);
  const md5 = item.md5Checksum?.toLowerCase();
  const sha256 = item.sha256Checksum?.toLowerCase();
  return {
    fileId: item.id,
    path,
    size: Number.isSafeInteger(size) && size >= 0 ? size : 0,
    modifiedAt: dateOf(item.modifiedTime),
    mimeType: item.mimeType || null,
    providerHash: md5 ? `md5:${md5}` : sha256 ? `sha256:${sha256}` : null,
    revision: item.version ?? null,
  };
}

/** `child` inside the folder at `folderPath` ('' is the root). */
export function joinPath(folderPath: string, child: string): string {
  return folderPath === '' ? child : `${folderPath}/${child}`;
}

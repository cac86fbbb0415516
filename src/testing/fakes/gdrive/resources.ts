// The tree's items as Drive file resources
// (https://developers.google.com/drive/api/reference/rest/v3/files#File). A folder on disk cannot hold
// what a Drive folder can, so a few names on disk stand for it:
// - `X.gdoc`, `X.gsheet`: a Google Doc or Sheet named `X` (no bytes, no size, no checksums), the way
//   Drive for desktop shows them; `X.gshortcut`: a shortcut named `X`;
// - `X~dup<N>`: another item named `X` in the same folder (Drive allows duplicate names);
// - `∕` (U+2215 DIVISION SLASH): a `/` in a Drive name ("AC/DC").
import type { DirectoryTree, TreeItem } from '../tree.ts';
import { type Selection, wants } from './fields.ts';
import type { QueryItem } from './query.ts';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

const GOOGLE_TYPES: Readonly<Record<string, string>> = {
  '.gdoc': 'application/vnd.google-apps.document',
  '.gsheet': 'application/vnd.google-apps.spreadsheet',
  '.gshortcut': 'application/vnd.google-apps.shortcut',
};

/** What Drive's upload would detect from the extension (the few kinds the tests use). */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.m4a': 'audio/x-m4a',
  '.aac': 'audio/aac',
  '.wav': 'audio/wav',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.txt': 'text/plain',
};

/** When the fake's items were created: in the order the tree first saw them (its ids count up). */
const EPOCH_MS = Date.UTC(2020, 0, 1);

export interface DriveItem extends QueryItem {
  item: TreeItem;
  /** A Google type: no bytes to download. */
  native: boolean;
}

/** My Drive's alias: queries may name it as a parent (`'root' in parents`). */
export const MY_DRIVE = 'root';

/** The tree's item as Drive shows it (the tree's root is My Drive). */
export function driveItem(item: TreeItem, rootId: string): DriveItem {
  let name = item.name.replace(/~dup\d+$/, '').replaceAll('∕', '/');
  let mimeType = item.folder ? FOLDER_MIME : 'application/octet-stream';
  let native = false;
  const ext = /\.[^.]+$/.exec(name)?.[0]?.toLowerCase() ?? '';
  if (!item.folder && GOOGLE_TYPES[ext]) {
    mimeType = GOOGLE_TYPES[ext];
    name = name.slice(0, -ext.length);
    native = true;
  } else if (!item.folder) mimeType = MIME_TYPES[ext] ?? mimeType;
  const parents = item.parentId === null ? [] : item.parentId === rootId ? [rootId, MY_DRIVE] : [item.parentId];
  return { item, name: item.parentId === null ? 'My Drive' : name, mimeType, parents, trashed: false, native };
}

/** The tree's ids: this prefix and a number in base 36 that counts up. */
export const ID_PREFIX = 'gd';

/** Where the item comes in the order the tree first saw items in. */
export function createdOrder(item: TreeItem): number {
  const n = item.id.startsWith(ID_PREFIX) ? Number.parseInt(item.id.slice(ID_PREFIX.length), 36) : 0;
  return Number.isFinite(n) ? n : 0;
}

function createdTime(item: TreeItem): string {
  return new Date(EPOCH_MS + createdOrder(item) * 1000).toISOString();
}

/** The file resource with the fields asked for (checksums only where asked: they read the file). */
export async function fileResource(tree: DirectoryTree, drive: DriveItem, selection: Selection | undefined): Promise<Record<string, unknown>> {
  const { item } = drive;
  const resource: Record<string, unknown> = {
    kind: 'drive#file',
    id: item.id,
    name: drive.name,
    mimeType: drive.mimeType,
    ...(item.parentId !== null ? { parents: [item.parentId] } : {}),
    trashed: false,
    createdTime: createdTime(item),
    modifiedTime: new Date(item.modifiedMs).toISOString(),
    version: String(item.version),
  };
  if (!item.folder && !drive.native) {
    resource.size = String(item.size);
    if (wants(selection, 'md5Checksum') || wants(selection, 'sha256Checksum')) {
      const hashes = await tree.hashes(item.id);
      resource.md5Checksum = hashes.md5;
      resource.sha256Checksum = hashes.sha256;
    }
  }
  return resource;
}

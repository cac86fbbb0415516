// The fake's items as Microsoft Graph answers them: driveItem resources
// (https://learn.microsoft.com/en-us/graph/api/resources/driveitem) with the hashes facet
// (https://learn.microsoft.com/en-us/graph/api/resources/hashes) of the tree's files.
import path from 'node:path';
import type { DirectoryTree, TreeItem } from '../tree.ts';

/** Which hashes files carry: OneDrive for Business has quickXorHash only; OneDrive Personal has had
 * SHA-1 and SHA-256 (in uppercase hex) instead. */
export type HashFlavour = 'business' | 'personal';

export const DRIVE_ID = 'b!fake-drive';

const MIME: Readonly<Record<string, string>> = {
  '.mp3': 'audio/mpeg', '.flac': 'audio/flac', '.m4a': 'audio/mp4', '.ogg': 'audio/ogg', '.opus': 'audio/ogg',
  '.wav': 'audio/wav', '.aac': 'audio/aac', '.wma': 'audio/x-ms-wma', '.jpg': 'image/jpeg', '.png': 'image/png', '.txt': 'text/plain',
};

const iso = (ms: number) => new Date(ms).toISOString();

/** An item as GET answers it (`parentReference.path` included) or as the delta lists it (without the
 * path, which Graph never sends in a delta). */
export async function driveItemOf(
  tree: DirectoryTree, item: TreeItem, options: { hashes: HashFlavour; inDelta: boolean },
): Promise<Record<string, unknown>> {
  const isRoot = item.parentId === null;
  const time = iso(item.modifiedMs);
  const json: Record<string, unknown> = {
    id: item.id,
    name: isRoot ? 'root' : item.name,
    eTag: `"{${item.id}},${item.version}"`,
    cTag: `"c:{${item.id}},${item.version}"`,
    size: item.size,
    createdDateTime: time,
    lastModifiedDateTime: time,
    fileSystemInfo: { createdDateTime: time, lastModifiedDateTime: time },
  };
  if (isRoot) json.root = {};
  else {
    const parent = tree.get(item.parentId!);
    const parentPath = parent ? tree.pathOf(parent.id) : '';
    json.parentReference = {
      driveId: DRIVE_ID, driveType: options.hashes, id: item.parentId,
      ...(options.inDelta ? {} : { path: parentPath === '' ? '/drive/root:' : `/drive/root:/${parentPath}` }),
    };
  }
  if (item.folder) json.folder = { childCount: tree.children(item.id).length };
  else {
    const hashes = await tree.hashes(item.id);
    json.file = {
      mimeType: MIME[path.extname(item.name).toLowerCase()] ?? 'application/octet-stream',
      hashes: options.hashes === 'business'
        ? { quickXorHash: hashes.quickXor }
        : { sha1Hash: hashes.sha1.toUpperCase(), sha256Hash: hashes.sha256.toUpperCase() },
    };
  }
  return json;
}

/** An item the delta reports gone: deleted, or moved out of the folder it tracks. Graph leaves out
 * what it no longer knows (name, size, cTag; the facets, on some services). */
export function deletedItemOf(id: string, parentId: string | undefined): Record<string, unknown> {
  return { id, deleted: { state: 'deleted' }, ...(parentId ? { parentReference: { driveId: DRIVE_ID, id: parentId } } : {}) };
}

/** `$select`: only the properties named (and the id, which Graph always answers). */
export function selected(json: Record<string, unknown>, select: string | null): Record<string, unknown> {
  if (!select) return json;
  const names = new Set(select.split(',').map((s) => s.trim()).filter(Boolean));
  if (names.has('*')) return json;
  return Object.fromEntries(Object.entries(json).filter(([key]) => key === 'id' || names.has(key)));
}

// The full listing of a root: one delta of the root folder from nothing, page by page. Its folders
// become the folder index (the root's own entry on the first page); its files get their paths from
// it. A parent the index does not know yet (Graph lists parents first in practice, but does not
// promise it) is looked up.
import type { FolderEntry, ListPage, ProviderFile } from '../types.ts';
import { ProviderError } from '../types.ts';
import type { OnedriveDrive } from './drive.ts';
import { fileOf, isLiveFile, isLiveFolder, lastOccurrences } from './drive-items.ts';
import { MAX_PAGE_SIZE, type DeltaPage } from './graph.ts';
import { decodeListToken, encodeToken } from './tokens.ts';

export async function listPage(drive: OnedriveDrive, pageToken: string | undefined, pageSize: number): Promise<ListPage> {
  const token = pageToken === undefined ? undefined : decodeListToken(pageToken);
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(pageSize) || 1));
  const rootId = token?.r ?? (await drive.rootFolderId());
  const tree = await drive.tree(rootId, token === undefined);
  const what = `OneDrive: listing ${drive.label}`;
  let link = token?.l ?? drive.graph.deltaStart(rootId, size);
  let skip = token?.s ?? 0;
  let page: DeltaPage;
  try {
    page = await drive.graph.delta(what, link);
  } catch (err) {
    if (!(token && err instanceof ProviderError && err.kind === 'cursorExpired')) throw err;
    // Graph dropped the enumeration half-way (410): it starts again; what was listed stays listed.
    link = drive.graph.deltaStart(rootId, size);
    skip = 0;
    page = await drive.graph.delta(what, link);
  }

  const items = lastOccurrences(page.items);
  const folders: FolderEntry[] = token === undefined ? [tree.rootEntry] : [];
  for (const item of items) {
    if (item.id === rootId || !isLiveFolder(item)) continue;
    const entry = { id: item.id, parentId: item.parentReference.id, name: item.name };
    tree.set(entry);
    folders.push(entry);
  }
  const pageFiles = items.filter(isLiveFile);
  const files: ProviderFile[] = [];
  for (const item of pageFiles.slice(skip, skip + size)) {
    const parentId = item.parentReference.id;
    if (!tree.has(parentId)) folders.push(...(await drive.locator.locate(tree, parentId)));
    const path = tree.childPath(parentId, item.name);
    // A file the delta of the root lists is under it; one whose parents cannot be found moved away
    // meanwhile, and the next sync's feed says where.
    if (path !== undefined) files.push(fileOf(item, path));
  }
  drive.remember(tree);

  // `$top` is a wish Graph may not grant: a page with more files than asked is handed out in parts.
  const result: ListPage = { files, folders };
  if (skip + size < pageFiles.length) result.nextPageToken = encodeToken({ r: rootId, l: link, s: skip + size });
  else if (page.nextLink !== undefined) result.nextPageToken = encodeToken({ r: rootId, l: page.nextLink });
  return result;
}

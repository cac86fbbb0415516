// Dropbox's listing entries as the library's files and changes. A listing page's files are its file
// entries under the root; a feed page (list_folder/continue since a cursor) says, in order, what is
// now at each path (a file's metadata: an upsert) and what is gone from a path (DeletedMetadata, which
// has no id: everything at or under that path, case-insensitively, as Dropbox paths are). Dropbox
// reports a moved or renamed folder as the deletion of its old path followed by every item now under
// its new one, so folders themselves carry nothing the library needs.
// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue
import type { ProviderChange, ProviderFile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { relativePathOf } from './location.ts';
import { providerFileOf, type Metadata } from './metadata.ts';

/** The files of a listing page (deleted entries, which a listing that runs while files change may
 * hold, are for the feed that follows it). */
export function filesOf(entries: readonly Metadata[], root: readonly string[]): ProviderFile[] {
  const files: ProviderFile[] = [];
  for (const entry of entries) {
    if (entry['.tag'] !== 'file') continue;
    const path = relativePathOf(root, entry);
    if (path) files.push(providerFileOf(entry, path));
  }
  return files;
}

/** The changes of a feed page, in Dropbox's order. The root itself reported deleted means the folder
 * was removed or replaced: only a new listing tells which (and refuses a missing folder). */
export function changesOf(entries: readonly Metadata[], root: readonly string[], shownRoot: string): ProviderChange[] {
  const changes: ProviderChange[] = [];
  for (const entry of entries) {
    const path = relativePathOf(root, entry);
    if (path === undefined) continue;
    if (entry['.tag'] === 'deleted') {
      if (path === '') throw new ProviderError('cursorExpired', `the folder ${shownRoot} was deleted or moved in Dropbox since the last sync`);
      changes.push({ kind: 'removePath', path, caseInsensitive: true });
    } else if (entry['.tag'] === 'file' && path !== '') {
      changes.push({ kind: 'upsert', file: providerFileOf(entry, path) });
    }
  }
  return changes;
}

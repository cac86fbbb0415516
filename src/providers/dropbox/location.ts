// Where a Dropbox library is: its root folder as a profile stores it (`Music/Live`, '' for the whole
// Dropbox), as the API names it (`/Music/Live`, ''), and the paths of listed entries relative to it.
// Dropbox paths are case-insensitive, and `path_display` may spell the case of a parent folder other
// than the user last did (only the last component is sure to be right, per the `Metadata` docs of
// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder): entries are
// placed under the root by `path_lower`, and named by `path_display`.
import { normalizeCloudRoot } from '../cloud/profile.ts';

/** The root as stored: without leading or trailing slashes ('' is the whole Dropbox). */
export function normalizeRoot(input: unknown): string {
  return normalizeCloudRoot(input, 'Dropbox');
}

/** The root as the API's `path` argument: '' is the whole Dropbox. */
export function apiPathOf(root: string): string {
  return root === '' ? '' : `/${root}`;
}

/** A name as Dropbox compares names: case-insensitively (and in one Unicode form). */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** The segments of the root, folded, for placing entries under it. */
export function rootKey(root: string): string[] {
  return root === '' ? [] : root.split('/').map(foldName);
}

/** An entry's path relative to the root (`Album/01.mp3`; '' for the root itself), or undefined when
 * it is not under the root or has no path (an item that is not mounted). */
export function relativePathOf(root: readonly string[], entry: { path_lower?: string | null; path_display?: string | null }): string | undefined {
  if (typeof entry.path_lower !== 'string' || !entry.path_lower.startsWith('/')) return undefined;
  const lower = entry.path_lower.slice(1).split('/');
  if (lower.length < root.length || root.some((segment, i) => foldName(lower[i]!) !== segment)) return undefined;
  const display = typeof entry.path_display === 'string' && entry.path_display.startsWith('/') ? entry.path_display.slice(1).split('/') : undefined;
  // Both paths have as many parts; should they not, the lower-case one still names the file.
  const named = display && display.length === lower.length ? display : lower;
  return named.slice(root.length).join('/');
}

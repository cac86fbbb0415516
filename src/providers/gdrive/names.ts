// Drive lets one folder hold several items of one name (two uploads of `Song.mp3`); a path names one
// file. Among the files and folders of one folder that share a name, the one Drive created first (then
// the smaller id) keeps it, and each other one is named with its id before the extension:
// `Song (1AbC…).mp3`. Google's own types and shortcuts (not files of the library) take no part.
// The rule only sees the siblings it is shown: the listing shows it one answer of files.list at a
// time (a folder's items unless it holds more than a page), the change feed the siblings of each
// changed item (one query per page of changes).
import type { DriveFile } from './api.ts';
import { kindOf, parentOf, segmentOf } from './files.ts';

/** Each item's path segment, by id, among `items` (siblings are grouped by parent and name). */
export function uniqueNames(items: readonly DriveFile[], among?: readonly string[]): Map<string, string> {
  const groups = new Map<string, DriveFile[]>();
  for (const item of items) {
    if (kindOf(item) === 'other') continue;
    const key = `${parentOf(item, among) ?? ''}\0${item.name}`;
    const group = groups.get(key);
    if (group) {
      if (!group.some((g) => g.id === item.id)) group.push(item);
    } else groups.set(key, [item]);
  }
  const names = new Map<string, string>();
  for (const group of groups.values()) {
    group.sort(olderFirst);
    group.forEach((item, i) => names.set(item.id, i === 0 ? segmentOf(item.name) : withId(item)));
  }
  return names;
}

/** Drive's creation order: by createdTime, then by id (items without a time last). */
export function olderFirst(a: DriveFile, b: DriveFile): number {
  const ta = Date.parse(a.createdTime ?? '') || Number.POSITIVE_INFINITY;
  const tb = Date.parse(b.createdTime ?? '') || Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `stem (id).ext` for a file, `name (id)` for a folder. */
function withId(item: DriveFile): string {
  const name = segmentOf(item.name);
  const dot = kindOf(item) === 'file' ? name.lastIndexOf('.') : -1;
  return dot > 0 ? `${name.slice(0, dot)} (${item.id})${name.slice(dot)}` : `${name} (${item.id})`;
}

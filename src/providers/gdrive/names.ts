// Drive lets one folder hold several items of one name (two uploads of `Song.mp3`); a path names one
// file. Among the files and folders of one folder that share a name, the one Drive created first (then
// the smaller id) keeps it, and each other one is named with its id before the extension:
// `Song (1AbC…).mp3`. Google's own types and shortcuts (not files of the library) take no part.
// The rule must see every sibling of a name at once. The change feed asks for them (one query per page
// of changes). The listing sees one answer of files.list at a time, ordered by name then creation
// time: same-named siblings lie next to each other, and only those at the end of an answer may go on
// in the next one, so the names taken there are carried over (lastNames). Drive documents that it
// ignores the order for drives of about a million items; there a duplicate split across two answers
// keeps its name in both, and one of the two paths is lost until the files are renamed.
import type { DriveFile } from './api.ts';
import { kindOf, parentOf, segmentOf } from './files.ts';

/** Each item's path segment, by id, among `items` (siblings are grouped by parent and name); a name
 * in `taken` (siblingKey) went to an older sibling already, so every item of that name gets its id. */
export function uniqueNames(items: readonly DriveFile[], among?: readonly string[], taken: ReadonlySet<string> = new Set()): Map<string, string> {
  const groups = new Map<string, DriveFile[]>();
  for (const item of items) {
    if (kindOf(item) === 'other') continue;
    const key = siblingKey(item, among);
    const group = groups.get(key);
    if (group) {
      if (!group.some((g) => g.id === item.id)) group.push(item);
    } else groups.set(key, [item]);
  }
  const names = new Map<string, string>();
  for (const [key, group] of groups) {
    group.sort(olderFirst);
    const kept = taken.has(key) ? -1 : 0;
    group.forEach((item, i) => names.set(item.id, i === kept ? segmentOf(item.name) : withId(item)));
  }
  return names;
}

/** An item's parent and name, the siblings that share a name (ids hold no `/`). */
export function siblingKey(item: DriveFile, among?: readonly string[]): string {
  return `${parentOf(item, among) ?? ''}/${item.name}`;
}

/**
 * The names an answer ordered by name hands on to the next answer of the same query: the sibling keys
 * of the items at its end whose name sorts with its last one (folded, as Drive may compare names
 * loosely), with those of `before` (an answer of one name only). Small: one name, give or take.
 */
export function lastNames(items: readonly DriveFile[], among: readonly string[] | undefined, before: readonly string[] = []): string[] {
  const last = items.at(-1);
  if (!last) return [...before];
  const folded = fold(last.name);
  const keys = new Set(before.filter((key) => fold(key.slice(key.indexOf('/') + 1)) === folded));
  for (const item of items) if (kindOf(item) !== 'other' && fold(item.name) === folded) keys.add(siblingKey(item, among));
  return [...keys];
}

/** A name without case or accents: names equal under it may sort in any order among themselves. */
function fold(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
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

// The Dropbox fake's endpoints over a DirectoryTree: the arguments each takes (unknown fields and bad
// values refused with 400, as Dropbox does), what each answers, and its endpoint errors (409).
// - files/list_folder            https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder
// - files/list_folder/continue   https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue
// - files/list_folder/get_latest_cursor  https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-get_latest_cursor
// - files/get_metadata           https://www.dropbox.com/developers/documentation/http/documentation#files-get_metadata
// - files/download               https://www.dropbox.com/developers/documentation/http/documentation#files-download
import type { DirectoryTree } from '../tree.ts';
import { BadRequest, EndpointError } from './answers.ts';
import { decodeCursor, encodeCursor, type ChangesCursor, type FakeCursor, type ListingCursor } from './cursors.ts';
import { changesBetween, deletedOf, listingItems, metadataOf } from './entries.ts';
import { TreeHistory, type PlacedItem } from './history.ts';

/** Dropbox's largest page (`limit` is at most 2000). */
export const DROPBOX_MAX_LIMIT = 2000;

const LIST_FOLDER_FIELDS = new Set([
  'path', 'recursive', 'include_media_info', 'include_deleted', 'include_has_explicit_shared_members', 'include_mounted_folders', 'limit',
  'shared_link', 'include_property_groups', 'include_non_downloadable_files',
]);
const GET_METADATA_FIELDS = new Set(['path', 'include_media_info', 'include_deleted', 'include_has_explicit_shared_members', 'include_property_groups']);

type Argument = Record<string, unknown>;

/** An argument object with only `allowed` fields (Dropbox refuses unknown ones). */
export function argumentOf(value: unknown, allowed: ReadonlySet<string>): Argument {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest('request body: expected an object');
  for (const field of Object.keys(value)) if (!allowed.has(field)) throw new BadRequest(`request body: unknown field '${field}'`);
  return value as Argument;
}

export class DropboxModel {
  readonly tree: DirectoryTree;
  private readonly history: TreeHistory;
  /** Cursors of an older generation are forgotten (`reset`). */
  private generation = 1;
  /** The most entries a page holds, whatever limit is asked. */
  maxPageSize: number;
  private view: { seq: number; items: Map<string, PlacedItem> } | undefined;

  constructor(tree: DirectoryTree, maxPageSize = DROPBOX_MAX_LIMIT) {
    this.tree = tree;
    this.history = new TreeHistory(tree);
    this.maxPageSize = maxPageSize;
  }

  /** Brings the model up to the folder on disk (before every request). */
  async refresh(): Promise<void> {
    await this.tree.refresh();
    this.history.absorb();
  }

  expireCursors(): void {
    this.generation += 1;
  }

  /** The items now (laid out once per journal position). */
  private now(): Map<string, PlacedItem> {
    const seq = this.history.seq;
    if (this.view?.seq !== seq) this.view = { seq, items: this.history.at(seq) };
    return this.view.items;
  }

  async listFolder(body: unknown): Promise<Argument> {
    const arg = argumentOf(body, LIST_FOLDER_FIELDS);
    const { path, recursive, limit } = this.folderArgument(arg);
    return this.listingPage({ kind: 'listing', path, recursive, limit, generation: this.generation, seq: this.history.seq, after: ['', ''] });
  }

  async continue(body: unknown): Promise<Argument> {
    const arg = argumentOf(body, new Set(['cursor']));
    const cursor = decodeCursor(arg.cursor);
    if (!cursor) throw new BadRequest('Invalid "cursor" parameter');
    if (cursor.generation !== this.generation) throw new EndpointError('reset');
    this.folderAt(cursor.path);
    return cursor.kind === 'listing' ? this.listingPage(cursor) : this.changesPage(cursor);
  }

  latestCursor(body: unknown): Argument {
    const arg = argumentOf(body, LIST_FOLDER_FIELDS);
    const { path, recursive, limit } = this.folderArgument(arg);
    return { cursor: encodeCursor({ kind: 'changes', path, recursive, limit, generation: this.generation, seq: this.history.seq }) };
  }

  async getMetadata(body: unknown): Promise<Argument> {
    const arg = argumentOf(body, GET_METADATA_FIELDS);
    return metadataOf(this.lookup(arg.path, 'path'), this.tree);
  }

  /** The file a download names (`Dropbox-API-Arg`), with its metadata. */
  async downloadTarget(arg: Argument): Promise<{ item: PlacedItem; metadata: Argument }> {
    const item = this.lookup(argumentOf(arg, new Set(['path', 'rev'])).path, 'path');
    if (item.state.folder) throw new EndpointError('path', 'not_file');
    return { item, metadata: await metadataOf(item, this.tree) };
  }

  /** The folder, recursion and page limit of a list_folder or get_latest_cursor argument. */
  private folderArgument(arg: Argument): { path: string; recursive: boolean; limit?: number } {
    if (typeof arg.path !== 'string') throw new BadRequest('request body: path: missing or not a string');
    if (arg.recursive !== undefined && typeof arg.recursive !== 'boolean') throw new BadRequest('request body: recursive: not a boolean');
    const { limit } = arg;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > DROPBOX_MAX_LIMIT)) {
      throw new BadRequest(`request body: limit: ${JSON.stringify(limit)} is not within range [1, ${DROPBOX_MAX_LIMIT}]`);
    }
    let path: string;
    if (arg.path === '') path = '';
    else if (arg.path.startsWith('id:')) path = this.lookup(arg.path, 'path').lower;
    else if (arg.path.startsWith('/')) {
      if (arg.path.endsWith('/')) throw new EndpointError('path', 'malformed_path');
      path = arg.path.toLowerCase();
    } else throw new BadRequest(`request body: path: '${arg.path}' did not match pattern '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/.*)?)'`);
    this.folderAt(path);
    return { path, recursive: arg.recursive === true, limit };
  }

  /** The folder at a lower-case path must be there ('' always is). */
  private folderAt(path: string): void {
    if (path === '') return;
    const item = [...this.now().values()].find((i) => i.lower === path);
    if (!item) throw new EndpointError('path', 'not_found');
    if (!item.state.folder) throw new EndpointError('path', 'not_folder');
  }

  /** The item a `path` argument names: `id:...` or `/a/b` (case-insensitive); not the root. */
  private lookup(path: unknown, field: string): PlacedItem {
    if (typeof path !== 'string' || !(path.startsWith('/') || path.startsWith('id:'))) {
      throw new BadRequest(`request body: ${field}: '${String(path)}' did not match pattern '(/(.|[\\r\\n])*|id:.*)|(rev:[0-9a-f]{9,})|(ns:[0-9]+(/.*)?)'`);
    }
    const items = this.now();
    const item = path.startsWith('id:') ? items.get(path) : [...items.values()].find((i) => i.lower === path.toLowerCase());
    if (!item) throw new EndpointError('path', 'not_found');
    return item;
  }

  private pageSize(cursor: FakeCursor): number {
    return Math.max(1, Math.min(cursor.limit ?? DROPBOX_MAX_LIMIT, this.maxPageSize));
  }

  /** A page of a listing; after its last page, the cursor reports changes since the listing began. */
  private async listingPage(cursor: ListingCursor): Promise<Argument> {
    const items = listingItems(this.now(), cursor.path, cursor.recursive, cursor.after);
    const page = items.slice(0, this.pageSize(cursor));
    const more = items.length > page.length;
    const last = page.at(-1);
    const { kind: _kind, after: _after, ...rest } = cursor;
    const next: FakeCursor = more && last ? { ...cursor, after: [last.key, last.state.id] } : { ...rest, kind: 'changes' };
    return { entries: await Promise.all(page.map((item) => metadataOf(item, this.tree))), cursor: encodeCursor(next), has_more: more };
  }

  /** A page of the changes since the cursor's position, read as of the position the read began at. */
  private async changesPage(cursor: ChangesCursor): Promise<Argument> {
    const to = cursor.to ?? this.history.seq;
    const offset = cursor.offset ?? 0;
    const changes = changesBetween(this.history.at(cursor.seq), to === this.history.seq ? this.now() : this.history.at(to), cursor.path, cursor.recursive);
    const page = changes.slice(offset, offset + this.pageSize(cursor));
    const more = offset + page.length < changes.length;
    const { to: _to, offset: _offset, ...rest } = cursor;
    const next: ChangesCursor = more ? { ...rest, to, offset: offset + page.length } : { ...rest, seq: to };
    const entries = await Promise.all(page.map((change) => ('deleted' in change ? deletedOf(change.deleted) : metadataOf(change.item, this.tree))));
    return { entries, cursor: encodeCursor(next), has_more: more };
  }
}

// The storage behind the fakes of the cloud APIs: a real folder on disk, seen the way a cloud drive
// sees its files. Every item (file or folder) has a stable id that follows it through renames and
// moves (its inode), and every change gets a sequence number in a journal, which is what the fakes
// build their change feeds and cursors from. Tests change the folder with ordinary file operations
// (the same fixtures as for the local, WebDAV and S3 providers); the tree notices on its next refresh,
// which every request of a fake makes first.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DropboxContentHash } from '../../providers/content-hashes/dropbox-content-hash.ts';
import { QuickXorHash } from '../../providers/content-hashes/quick-xor-hash.ts';

export interface TreeItem {
  id: string;
  /** Null for the tree's root. */
  parentId: string | null;
  name: string;
  folder: boolean;
  size: number;
  modifiedMs: number;
  /** Changes whenever the item does (content, name or place): an ETag. */
  version: number;
  /** The journal position of the item's last change. */
  seq: number;
}

export interface TreeChange {
  seq: number;
  id: string;
  /** The item as it is now, or null when it is gone. */
  item: TreeItem | null;
  /** Where it was when it went (gone items only): the feeds that speak of paths need it. */
  lastPath?: string;
}

export interface ItemHashes {
  md5: string;
  sha1: string;
  sha256: string;
  /** OneDrive's QuickXorHash, base64. */
  quickXor: string;
  /** Dropbox's content_hash, hex. */
  dropbox: string;
}

interface Known {
  item: TreeItem;
  key: string;
}

/** A folder on disk as a cloud drive: ids, a journal, hashes. */
export class DirectoryTree {
  readonly root: string;
  readonly rootId: string;
  private readonly byKey = new Map<string, Known>();
  private readonly byId = new Map<string, TreeItem>();
  private readonly journal: TreeChange[] = [];
  private readonly hashCache = new Map<string, { stamp: string; hashes: ItemHashes }>();
  private nextSeq = 1;
  private nextId = 1;
  private refreshing: Promise<void> | undefined;
  private readonly idPrefix: string;

  constructor(root: string, options: { idPrefix?: string } = {}) {
    this.root = root;
    this.idPrefix = options.idPrefix ?? 'id';
    this.rootId = `${this.idPrefix}-root`;
    this.byId.set(this.rootId, { id: this.rootId, parentId: null, name: '', folder: true, size: 0, modifiedMs: 0, version: 1, seq: 0 });
  }

  /** The current journal position: a cursor for "now". */
  get seq(): number {
    return this.nextSeq - 1;
  }

  /** The oldest position the journal still answers from (everything before it was compacted). */
  compactedBefore = 0;

  /** Rescans the folder and journals what changed since the last scan (one scan at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.scan().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  get(id: string): TreeItem | undefined {
    return this.byId.get(id);
  }

  /** Items under `folderId`, by name. */
  children(folderId: string): TreeItem[] {
    return [...this.byId.values()].filter((i) => i.parentId === folderId).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every item but the root, parents before children. */
  all(): TreeItem[] {
    const out: TreeItem[] = [];
    const walk = (id: string) => {
      for (const child of this.children(id)) {
        out.push(child);
        if (child.folder) walk(child.id);
      }
    };
    walk(this.rootId);
    return out;
  }

  /** The item's path from the root (`a/b/c.mp3`; '' for the root). */
  pathOf(id: string): string {
    const parts: string[] = [];
    for (let item = this.byId.get(id); item && item.parentId !== null; item = this.byId.get(item.parentId)) parts.unshift(item.name);
    return parts.join('/');
  }

  /** The item at a path, if any ('' is the root). */
  at(relPath: string): TreeItem | undefined {
    let item = this.byId.get(this.rootId)!;
    for (const name of relPath.split('/').filter(Boolean)) {
      const next = this.children(item.id).find((c) => c.name === name);
      if (!next) return undefined;
      item = next;
    }
    return item;
  }

  /** Whether `id` is `ancestorId` or under it. */
  isUnder(id: string, ancestorId: string): boolean {
    for (let item = this.byId.get(id); item; item = item.parentId ? this.byId.get(item.parentId) : undefined) {
      if (item.id === ancestorId) return true;
    }
    return false;
  }

  /** The last change of each item changed after `seq`, in journal order. */
  changesSince(seq: number): TreeChange[] {
    const last = new Map<string, TreeChange>();
    for (const change of this.journal) {
      if (change.seq <= seq) continue;
      last.delete(change.id);
      last.set(change.id, change);
    }
    return [...last.values()];
  }

  absPath(id: string): string {
    return path.join(this.root, ...this.pathOf(id).split('/'));
  }

  /** Streams bytes [start, end) of a file. */
  stream(id: string, start = 0, end?: number): NodeJS.ReadableStream {
    const item = this.byId.get(id);
    if (!item || item.folder) throw new Error(`no file ${id}`);
    const last = (end ?? item.size) - 1;
    // No bytes: createReadStream refuses an end before its start.
    if (last < start) return Readable.from([]);
    return createReadStream(this.absPath(id), { start, end: last });
  }

  /** The file's content hashes (cached by version). */
  async hashes(id: string): Promise<ItemHashes> {
    const item = this.byId.get(id);
    if (!item || item.folder) throw new Error(`no file ${id}`);
    const stamp = `${item.version}`;
    const cached = this.hashCache.get(id);
    if (cached?.stamp === stamp) return cached.hashes;
    const md5 = createHash('md5');
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const quickXor = new QuickXorHash();
    const dropbox = new DropboxContentHash();
    for await (const chunk of this.stream(id) as AsyncIterable<Buffer>) {
      md5.update(chunk);
      sha1.update(chunk);
      sha256.update(chunk);
      quickXor.update(chunk);
      dropbox.update(chunk);
    }
    const hashes: ItemHashes = {
      md5: md5.digest('hex'),
      sha1: sha1.digest('hex'),
      sha256: sha256.digest('hex'),
      quickXor: quickXor.digest('base64') as string,
      dropbox: dropbox.digest(),
    };
    this.hashCache.set(id, { stamp, hashes });
    return hashes;
  }

  private async scan(): Promise<void> {
    const seen = new Set<string>();
    const walk = async (dir: string, parentId: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return; // vanished while we looked: the next scan sees where it went
      }
      for (const name of names.sort()) {
        const abs = path.join(dir, name);
        let stat;
        try {
          stat = await lstat(abs);
        } catch {
          continue;
        }
        if (!stat.isFile() && !stat.isDirectory()) continue;
        const folder = stat.isDirectory();
        // An inode can be reused after a delete: its birth time tells the two files apart.
        const key = `${stat.dev}:${stat.ino}:${Math.trunc(stat.birthtimeMs)}`;
        seen.add(key);
        const size = folder ? 0 : stat.size;
        const modifiedMs = Math.trunc(stat.mtimeMs);
        const known = this.byKey.get(key);
        if (!known || known.item.folder !== folder) {
          if (known) this.remove(known);
          const item: TreeItem = { id: `${this.idPrefix}${(this.nextId++).toString(36)}`, parentId, name, folder, size, modifiedMs, version: 1, seq: 0 };
          this.byKey.set(key, { item, key });
          this.byId.set(item.id, item);
          this.record(item);
        } else {
          const item = known.item;
          if (item.parentId !== parentId || item.name !== name || item.size !== size || (!folder && item.modifiedMs !== modifiedMs)) {
            item.parentId = parentId;
            item.name = name;
            item.size = size;
            item.modifiedMs = modifiedMs;
            item.version += 1;
            this.record(item);
          }
        }
        if (folder) await walk(abs, this.byKey.get(key)!.item.id);
      }
    };
    await walk(this.root, this.rootId);
    // Gone: children before their folders, so a feed never names a folder's content after the folder.
    const gone = [...this.byKey.values()].filter((k) => !seen.has(k.key));
    gone.sort((a, b) => this.pathOf(b.item.id).length - this.pathOf(a.item.id).length);
    const paths = new Map(gone.map((k) => [k.item.id, this.pathOf(k.item.id)]));
    for (const known of gone) this.remove(known, paths.get(known.item.id));
  }

  private remove(known: Known, lastPath = this.pathOf(known.item.id)): void {
    this.byKey.delete(known.key);
    this.byId.delete(known.item.id);
    this.hashCache.delete(known.item.id);
    this.journal.push({ seq: this.nextSeq++, id: known.item.id, item: null, lastPath });
  }

  private record(item: TreeItem): void {
    item.seq = this.nextSeq++;
    this.journal.push({ seq: item.seq, id: item.id, item: { ...item } });
  }
}

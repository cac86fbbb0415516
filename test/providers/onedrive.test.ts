// The OneDrive provider against the Microsoft Graph fake (src/testing/fakes/onedrive.ts) serving a real
// folder, with tokens from the fake OAuth authority: the provider contract, the change feed against a
// fresh listing after every kind of change, paging, expired cursors and tokens, a revoked grant,
// throttling, and what listing and a no-op feed read cost in requests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { CloudHttp } from '../../src/providers/cloud/http.ts';
import { createAccessTokens } from '../../src/providers/oauth/access-tokens.ts';
import { OnedriveDrive } from '../../src/providers/onedrive/drive.ts';
import { graphErrorOf } from '../../src/providers/onedrive/errors.ts';
import { planPage } from '../../src/providers/onedrive/feed-page.ts';
import { GraphClient } from '../../src/providers/onedrive/graph.ts';
import { onedriveProvider } from '../../src/providers/onedrive/index.ts';
import { limiterFor } from '../../src/providers/remote/limiter.ts';
import {
  type FolderChange, type FolderEntry, type ListPage, type ProviderChange, type ProviderFile, type StorageProvider,
} from '../../src/providers/types.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startOnedriveFake, type OnedriveFake } from '../../src/testing/fakes/onedrive.ts';
import { providerContract, rejectsWith } from '../helpers/provider-contract.ts';

interface Served {
  scratch: string;
  authority: FakeAuthority;
  fake: OnedriveFake;
  refreshToken: string;
  /** A provider over `root` (a folder of the served one), with a folder index when given one. */
  provider(root: string, folders?: Map<string, FolderEntry>): StorageProvider;
  stop(): Promise<void>;
}

async function serve(options: { hashes?: 'business' | 'personal'; ignoreTop?: number } = {}): Promise<Served> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'music-sync-onedrive-'));
  await mkdir(path.join(scratch, 'served'), { recursive: true });
  const authority = await startFakeAuthority();
  const fake = await startOnedriveFake({ root: path.join(scratch, 'served'), authority, ...options });
  const refreshToken = authority.grant();
  const settings = { clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl, apiUrl: fake.apiUrl };
  return {
    scratch, authority, fake, refreshToken,
    provider: (root, folders) => onedriveProvider.create(
      { provider: 'onedrive', root, settings },
      { secrets: { refreshToken }, tempDir: path.join(scratch, 'spool'), ...(folders ? { folders: { load: async () => new Map(folders) } } : {}) },
    ),
    stop: async () => {
      await fake.stop();
      await authority.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

async function put(root: string, relative: string, size: number, seed = relative): Promise<void> {
  const file = path.join(root, ...relative.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, Buffer.alloc(size, seed));
}

/** Every page of a listing; the folders of the pages replace `index` as the product's do. */
async function listAll(provider: StorageProvider, pageSize: number, index?: Map<string, FolderEntry>): Promise<{ files: ProviderFile[]; pages: ListPage[] }> {
  const pages: ListPage[] = [];
  let token: string | undefined;
  index?.clear();
  do {
    const page = await provider.list(token, pageSize);
    assert.ok(page.files.length <= pageSize, `${page.files.length} files on a page of ${pageSize}`);
    for (const folder of page.folders ?? []) index?.set(folder.id, folder);
    pages.push(page);
    token = page.nextPageToken;
    assert.ok(pages.length < 10_000, 'the listing ends');
  } while (token);
  return { files: pages.flatMap((p) => p.files), pages };
}

function applyFolders(index: Map<string, FolderEntry>, changes: readonly FolderChange[]): void {
  for (const change of changes) {
    if (change.kind === 'upsert') index.set(change.folder.id, change.folder);
    else index.delete(change.id);
  }
}

const under = (p: string, folder: string) => folder === '' || p === folder || p.startsWith(`${folder}/`);

/** The library as the product keeps it (by path), changed as the product applies a feed's changes. */
function applyChanges(library: Map<string, ProviderFile>, changes: readonly ProviderChange[]): void {
  for (const change of changes) {
    if (change.kind === 'upsert') {
      for (const [at, file] of library) if (file.fileId === change.file.fileId) library.delete(at);
      library.set(change.file.path, change.file);
    } else if (change.kind === 'remove') {
      for (const [at, file] of library) if (file.fileId === change.fileId) library.delete(at);
    } else if (change.kind === 'removePath') {
      for (const at of [...library.keys()]) if (under(at, change.path)) library.delete(at);
    } else {
      const moving = [...library].filter(([at]) => at !== change.from && under(at, change.from));
      for (const [at] of moving) library.delete(at);
      for (const [at, file] of moving) {
        const to = `${change.to}${at.slice(change.from.length)}`;
        library.set(to, { ...file, path: to });
      }
    }
  }
}

const byPath = (files: Iterable<ProviderFile>) =>
  [...files].map((f) => `${f.path} | ${f.fileId} ${f.size} ${f.providerHash} ${f.revision} ${f.modifiedAt?.toISOString()}`).sort();

/** Folders by path, from an index. */
function folderPaths(index: Map<string, FolderEntry>): string[] {
  const pathOf = (id: string): string => {
    const entry = index.get(id)!;
    return entry.parentId === null ? '' : [pathOf(entry.parentId), entry.name].filter(Boolean).join('/');
  };
  return [...index.keys()].map((id) => `${pathOf(id)} ${id}`).sort();
}


providerContract('onedrive (Microsoft Graph fake)', async () => {
  const served = await serve();
  const root = path.join(served.fake.tree.root, 'music');
  await mkdir(root);
  return {
    root,
    provider: () => served.provider('music'),
    missingRoot: () => served.provider('nothing here'),
    teardown: () => served.stop(),
  };
});

describe('onedrive: profiles', () => {
  const settings = { clientId: 'c', authUrl: 'https://a.example/authorize', tokenUrl: 'https://a.example/token', apiUrl: 'https://graph.example/v1.0/' };

  test('a root is stored without slashes at its ends; settings keep the client and endpoints only', async () => {
    const stored = await onedriveProvider.normalizeProfile({ root: '/Music/Library/', settings: { ...settings, extra: 1 } });
    assert.deepEqual(stored, { root: 'Music/Library', settings: { ...settings, apiUrl: 'https://graph.example/v1.0' } });
    assert.equal((await onedriveProvider.normalizeProfile({ root: '/', settings })).root, '');
    assert.deepEqual(onedriveProvider.secretNames, ['refreshToken']);
  });

  test('a root that names no folder, and settings without a client or endpoints, are refused with one line', async () => {
    for (const root of ['a/../b', 'a//b', 'a/./b', 'a\0b']) {
      const err = await rejectsWith(onedriveProvider.normalizeProfile({ root, settings }), 'invalid');
      assert.ok(!err.message.includes('\n'));
    }
    await rejectsWith(onedriveProvider.normalizeProfile({ root: 'x', settings: { ...settings, clientId: ' ' } }), 'invalid');
    await rejectsWith(onedriveProvider.normalizeProfile({ root: 'x', settings: { ...settings, apiUrl: 'ftp://x' } }), 'invalid');
    await rejectsWith(onedriveProvider.normalizeProfile({ root: 'x', settings: { clientId: 'c' } }), 'invalid');
  });
});

/** A library kept from a listing and then the change feed, as the product keeps it: by path, with the
 * folder index beside it. Every page of the feed is read by a new provider (a retried activity sees
 * only the stored index), and the result is compared with a fresh listing. */
class Follower {
  readonly index = new Map<string, FolderEntry>();
  readonly library = new Map<string, ProviderFile>();
  cursor = '';
  private readonly served: Served;
  private readonly root: string;

  constructor(served: Served, root: string) {
    this.served = served;
    this.root = root;
  }

  /** As a full sync does: the cursor first, then the listing. */
  async start(pageSize: number): Promise<ListPage[]> {
    this.cursor = await this.served.provider(this.root).changeFeed!.getStartCursor();
    const { files, pages } = await listAll(this.served.provider(this.root), pageSize, this.index);
    this.library.clear();
    for (const file of files) this.library.set(file.path, file);
    return pages;
  }

  async follow(label: string, pageSize: number): Promise<{ changes: ProviderChange[]; pages: number }> {
    const changes: ProviderChange[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await this.served.provider(this.root, this.index).changeFeed!.getChanges(this.cursor, token, pageSize);
      pages += 1;
      applyChanges(this.library, page.changes);
      applyFolders(this.index, page.folders ?? []);
      changes.push(...page.changes);
      if (page.nextPageToken) {
        assert.equal(page.newCursor, undefined, `${label}: a new cursor only on the last page`);
        token = page.nextPageToken;
        continue;
      }
      assert.ok(page.newCursor, `${label}: the last page has the new cursor`);
      this.cursor = page.newCursor;
      break;
    }
    const freshIndex = new Map<string, FolderEntry>();
    const fresh = await listAll(this.served.provider(this.root), 1000, freshIndex);
    const shown = () => JSON.stringify(changes.map((c) => (c.kind === 'upsert' ? `upsert ${c.file.path}` : c.kind === 'remove' ? `remove ${c.fileId}` : c.kind === 'removePath' ? `removePath ${c.path}` : `move ${c.from} -> ${c.to}`)));
    assert.deepEqual(byPath(this.library.values()), byPath(fresh.files), `${label}: the feed applied equals a fresh listing; changes: ${shown()}`);
    assert.deepEqual(folderPaths(this.index), folderPaths(freshIndex), `${label}: the folder index equals a fresh listing's`);
    return { changes, pages };
  }
}

describe('onedrive: the change feed against fresh listings', () => {
  let served: Served;
  let lib: string;
  let outside: string;
  let feed: Follower;
  const PAGE = 3;

  before(async () => {
    served = await serve();
    lib = path.join(served.fake.tree.root, 'lib');
    outside = path.join(served.fake.tree.root, 'outside');
    for (const relative of ['top.mp3', 'A/a1.mp3', 'A/a2.mp3', 'A/Sub/s1.flac', 'B/b1.mp3', 'C/c1.mp3', 'D/d1.mp3', 'D/Deep/e1.mp3']) await put(lib, relative, 100 + relative.length);
    for (const relative of ['In/i1.mp3', 'In/Nested/i2.mp3', 'o.mp3']) await put(outside, relative, 50 + relative.length);
    feed = new Follower(served, 'lib');
    const pages = await feed.start(PAGE);
    const roots = pages.flatMap((p) => p.folders ?? []).filter((f) => f.parentId === null);
    assert.equal(roots.length, 1, 'the root folder is listed once');
    assert.equal(roots[0]!.name, '');
  });
  after(() => served.stop());

  test('files added, changed, renamed and moved between folders; a new folder with its files', async () => {
    await put(lib, 'A/a3.mp3', 77);
    await put(lib, 'New/n1.mp3', 31);
    await put(lib, 'New/Inner/n2.mp3', 32);
    await put(lib, 'B/b1.mp3', 999, 'changed');
    await rename(path.join(lib, 'top.mp3'), path.join(lib, 'top renamed.mp3'));
    await rename(path.join(lib, 'A/a2.mp3'), path.join(lib, 'C/a2.mp3'));
    await put(outside, 'o2.mp3', 12);
    const { pages, changes } = await feed.follow('files', PAGE);
    assert.ok(pages > 1, `the feed came in several pages of ${PAGE} (${pages})`);
    assert.ok(!changes.some((c) => c.kind === 'upsert' && c.file.path.includes('o2')), 'nothing from outside the root');
  });

  test('a folder renamed with its files keeps their ids; case-only renames of a file and a folder', async () => {
    const ids = new Map([...feed.library.values()].map((f) => [f.path, f.fileId]));
    await rename(path.join(lib, 'A'), path.join(lib, 'A2'));
    await rename(path.join(lib, 'C/c1.mp3'), path.join(lib, 'C/C1.mp3'));
    await rename(path.join(lib, 'D'), path.join(lib, 'd'));
    const { changes } = await feed.follow('renames', PAGE);
    assert.ok(changes.some((c) => c.kind === 'movePath' && c.to === 'A2'), 'the folder moves as one');
    assert.equal(feed.library.get('A2/Sub/s1.flac')?.fileId, ids.get('A/Sub/s1.flac'));
    assert.equal(feed.library.get('d/Deep/e1.mp3')?.fileId, ids.get('D/Deep/e1.mp3'));
  });

  test('a folder moved in from outside comes with its contents; one moved out goes with its files', async () => {
    await rename(path.join(outside, 'In'), path.join(lib, 'd', 'In'));
    await rename(path.join(lib, 'B'), path.join(outside, 'B'));
    const { changes } = await feed.follow('in and out', PAGE);
    assert.ok(changes.some((c) => c.kind === 'upsert' && c.file.path === 'd/In/Nested/i2.mp3'), 'the moved-in folder is listed');
    assert.ok(changes.some((c) => c.kind === 'removePath' && c.path === 'B'), 'the moved-out folder is removed');
  });

  test('a file and a folder deleted', async () => {
    await rm(path.join(lib, 'C/C1.mp3'));
    await rm(path.join(lib, 'd/Deep'), { recursive: true });
    await feed.follow('deletions', PAGE);
  });

  test('two folders swap names, and a folder takes the name of one deleted in the same read', async () => {
    await rename(path.join(lib, 'A2'), path.join(lib, 'swap'));
    await rename(path.join(lib, 'New'), path.join(lib, 'A2'));
    await rename(path.join(lib, 'swap'), path.join(lib, 'New'));
    await rm(path.join(lib, 'C'), { recursive: true });
    await rename(path.join(lib, 'd'), path.join(lib, 'C'));
    await feed.follow('swaps', PAGE);
  });

  test('a folder kept out of a deleted one; a file where a folder was; known and unknown folders moved into a new one', async () => {
    await rename(path.join(lib, 'New/Sub'), path.join(lib, 'Kept'));
    await rm(path.join(lib, 'New'), { recursive: true });
    await rename(path.join(lib, 'A2'), path.join(outside, 'A2'));
    await put(lib, 'A2', 5);
    await mkdir(path.join(lib, 'Fresh'));
    await rename(path.join(lib, 'C/In'), path.join(lib, 'Fresh/In'));
    await rename(path.join(outside, 'B'), path.join(lib, 'Fresh/B'));
    await feed.follow('mixed', PAGE);
  });

  test('a read with nothing changed gives no change and a cursor, in two requests (the root, the delta)', async () => {
    const count = () => [...served.fake.requests.values()].reduce((a, b) => a + b, 0);
    const before = count();
    const page = await served.provider('lib', feed.index).changeFeed!.getChanges(feed.cursor, undefined, 1000);
    assert.deepEqual(page.changes, []);
    assert.ok(page.newCursor && !page.nextPageToken);
    assert.equal(count() - before, 2);
    feed.cursor = page.newCursor;
  });

  test('a root folder replaced by another of its name is not followed: cursorExpired', async () => {
    await rename(lib, `${lib}-old`);
    await mkdir(lib);
    try {
      await rejectsWith(served.provider('lib', feed.index).changeFeed!.getChanges(feed.cursor, undefined, 100), 'cursorExpired');
    } finally {
      await rm(lib, { recursive: true });
      await rename(`${lib}-old`, lib);
    }
  });

  test('an expired cursor, or one that is not OneDrive\'s, is cursorExpired', async () => {
    served.fake.expireCursors();
    await rejectsWith(served.provider('lib', feed.index).changeFeed!.getChanges(feed.cursor, undefined, 100), 'cursorExpired');
    await rejectsWith(served.provider('lib', feed.index).changeFeed!.getChanges('c-gone', undefined, 100), 'cursorExpired');
    // A new cursor works.
    const fresh = await served.provider('lib').changeFeed!.getStartCursor();
    const page = await served.provider('lib', feed.index).changeFeed!.getChanges(fresh, undefined, 100);
    assert.ok(page.newCursor);
  });
});

describe('onedrive: a folder parked for another and never reported', () => {
  test('is looked up when the read ends, and put where it is', async () => {
    const served = await serve();
    try {
      const lib = path.join(served.fake.tree.root, 'lib');
      await put(lib, 'X/x.mp3', 10);
      const feed = new Follower(served, 'lib');
      await feed.start(100);
      await rename(path.join(lib, 'X'), path.join(lib, 'X-old'));
      await put(lib, 'X/n.mp3', 11);
      // A read whose pages lack the rename of X: the new X parks it, and nothing else moves it.
      const settings = { clientId: served.authority.clientId, authUrl: served.authority.authUrl, tokenUrl: served.authority.tokenUrl, apiUrl: served.fake.apiUrl };
      const tokens = createAccessTokens({ kind: 'onedrive', profile: { provider: 'onedrive', root: 'lib', settings }, secrets: { refreshToken: served.refreshToken } });
      const graph = new GraphClient(new CloudHttp({ tokens, limiter: limiterFor('onedrive parked test', 2), errorOf: graphErrorOf }), served.fake.apiUrl);
      const drive = new OnedriveDrive(graph, 'lib', { load: async () => new Map(feed.index) });
      const { r: rootId, l: link } = JSON.parse(feed.cursor) as { r: string; l: string };
      const page = await graph.delta('test', graph.deltaFrom(link, 100));
      assert.ok(page.deltaLink, 'one page');
      const oldX = [...feed.index.values()].find((f) => f.name === 'X')!;
      const tree = await drive.tree(rootId, false);
      const planned = await planPage(drive, tree, page.items.filter((item) => item.id !== oldX.id), true);
      assert.deepEqual(planned.changes.filter((c) => c.kind === 'movePath').map((c) => c.kind === 'movePath' && `${c.from} -> ${c.to}`), [
        `X -> :moving:${oldX.id}`, `:moving:${oldX.id} -> X-old`,
      ]);
      applyChanges(feed.library, planned.changes);
      const fresh = await listAll(served.provider('lib'), 100);
      assert.deepEqual(byPath(feed.library.values()), byPath(fresh.files));
      assert.deepEqual(planned.folders.find((c) => c.kind === 'upsert' && c.folder.id === oldX.id), { kind: 'upsert', folder: { id: oldX.id, parentId: rootId, name: 'X-old' } });
    } finally {
      await served.stop();
    }
  });
});

describe('onedrive: the change feed after any sequence of changes', () => {
  let served: Served;
  before(async () => {
    served = await serve();
  });
  after(() => served.stop());

  const op = fc.oneof(
    fc.record({ kind: fc.constant('addFile' as const), folder: fc.nat(), name: fc.nat(9), size: fc.nat(40) }),
    fc.record({ kind: fc.constant('modifyFile' as const), i: fc.nat(), size: fc.nat(40) }),
    fc.record({ kind: fc.constant('renameFile' as const), i: fc.nat(), name: fc.nat(9) }),
    fc.record({ kind: fc.constant('moveFile' as const), i: fc.nat(), folder: fc.nat() }),
    fc.record({ kind: fc.constant('deleteFile' as const), i: fc.nat() }),
    fc.record({ kind: fc.constant('addFolder' as const), folder: fc.nat(), name: fc.constantFrom('a', 'b', 'c', 'A') }),
    fc.record({ kind: fc.constant('renameFolder' as const), i: fc.nat(), name: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'x') }),
    fc.record({ kind: fc.constant('moveFolder' as const), i: fc.nat(), folder: fc.nat() }),
    fc.record({ kind: fc.constant('deleteFolder' as const), i: fc.nat() }),
    fc.record({ kind: fc.constant('moveOut' as const), i: fc.nat() }),
    fc.record({ kind: fc.constant('moveIn' as const), i: fc.nat(), folder: fc.nat() }),
    fc.record({ kind: fc.constant('swapFolders' as const), i: fc.nat(), j: fc.nat() }),
  );
  type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

  /** Folders ('' for the top) and files under `dir`, relative, sorted. */
  async function entries(dir: string): Promise<{ folders: string[]; files: string[] }> {
    const folders = [''];
    const files: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
      (e.isDirectory() ? folders : files).push(rel);
    }
    return { folders: folders.sort(), files: files.sort() };
  }

  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
  const join = (folder: string, name: string) => (folder === '' ? name : `${folder}/${name}`);
  const exists = async (p: string) => (await stat(p).catch(() => undefined)) !== undefined;

  /** Applies one change on disk; a change that cannot be made here (nothing to act on, a name taken,
   * a folder into itself) is skipped. */
  async function apply(root: string, outside: string, o: Op, serial: number): Promise<void> {
    const { folders, files } = await entries(root);
    const at = (rel: string) => path.join(root, ...rel.split('/').filter(Boolean));
    const move = async (from: string, to: string) => {
      if (!(await exists(to))) await rename(from, to);
    };
    switch (o.kind) {
      case 'addFile':
        return put(root, join(pick(folders, o.folder)!, `f${o.name}-${serial}.mp3`), 10 + o.size);
      case 'modifyFile': {
        const file = pick(files, o.i);
        return file === undefined ? undefined : put(root, file, 60 + o.size, `changed ${serial}`);
      }
      case 'renameFile': {
        const file = pick(files, o.i);
        return file === undefined ? undefined : move(at(file), at(join(path.posix.dirname(file).replace(/^\.$/, ''), `r${o.name}.mp3`)));
      }
      case 'moveFile': {
        const file = pick(files, o.i);
        return file === undefined ? undefined : move(at(file), at(join(pick(folders, o.folder)!, path.posix.basename(file))));
      }
      case 'deleteFile': {
        const file = pick(files, o.i);
        return file === undefined ? undefined : rm(at(file));
      }
      case 'addFolder': {
        const folder = join(pick(folders, o.folder)!, `${o.name}${serial}`);
        await put(root, `${folder}/n${serial}.mp3`, 20);
        return put(root, `${folder}/inner/m${serial}.flac`, 21);
      }
      case 'renameFolder': {
        const folder = pick(folders.slice(1), o.i);
        return folder === undefined ? undefined : move(at(folder), at(join(path.posix.dirname(folder).replace(/^\.$/, ''), o.name)));
      }
      case 'moveFolder': {
        const folder = pick(folders.slice(1), o.i);
        const into = pick(folders, o.folder)!;
        if (folder === undefined || into === folder || into.startsWith(`${folder}/`)) return undefined;
        return move(at(folder), at(join(into, path.posix.basename(folder))));
      }
      case 'deleteFolder': {
        const folder = pick(folders.slice(1), o.i);
        return folder === undefined ? undefined : rm(at(folder), { recursive: true });
      }
      case 'moveOut': {
        const folder = pick(folders.slice(1), o.i);
        return folder === undefined ? undefined : move(at(folder), path.join(outside, `out${serial}`));
      }
      case 'moveIn': {
        const away = (await readdir(outside)).sort();
        const folder = pick(away, o.i);
        return folder === undefined ? undefined : move(path.join(outside, folder), at(join(pick(folders, o.folder)!, `in${serial}`)));
      }
      case 'swapFolders': {
        const a = pick(folders.slice(1), o.i);
        const b = pick(folders.slice(1), o.j);
        if (a === undefined || b === undefined || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)) return undefined;
        const parked = path.join(root, `.swap${serial}`);
        await rename(at(a), parked);
        await rename(at(b), at(a));
        return rename(parked, at(b));
      }
    }
  }

  test('incremental equals a fresh listing, whatever the changes and the page size', { timeout: 300_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 2, 5, 100), async (steps, pageSize) => {
        run += 1;
        const root = path.join(served.fake.tree.root, `prop${run}`);
        const outside = path.join(served.fake.tree.root, `away${run}`);
        for (const relative of ['t.mp3', 'a/a1.mp3', 'a/a2.mp3', 'b/b1.mp3', 'b/c/c1.mp3', 'B/x.mp3']) await put(root, relative, 30 + relative.length);
        await put(outside, 'o/o1.mp3', 40);
        await put(outside, 'p/q/p1.mp3', 41);
        try {
          const feed = new Follower(served, `prop${run}`);
          await feed.start(pageSize);
          let serial = 0;
          for (const [n, ops] of steps.entries()) {
            for (const o of ops) await apply(root, outside, o, ++serial);
            await feed.follow(`run ${run} step ${n} ${JSON.stringify(ops)}`, pageSize);
          }
        } finally {
          // The served tree stays small: every request of the fake scans it.
          await rm(root, { recursive: true, force: true });
          await rm(outside, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), endOnFailure: true },
    );
  });
});

describe('onedrive: tokens, throttling, hashes and cost', () => {
  let served: Served;
  const FILES = 1000;

  before(async () => {
    served = await serve();
    const root = path.join(served.fake.tree.root, 'big');
    for (let i = 0; i < FILES; i++) await put(root, `Artist ${i % 10}/Album ${i % 50}/${i} track.mp3`, 16 + (i % 7));
  });
  after(() => served.stop());

  test(`listing ${FILES} files and a no-op feed read cost a handful of requests`, async (t) => {
    const count = () => [...served.fake.requests.values()].reduce((a, b) => a + b, 0);
    const provider = served.provider('big');
    let at = count();
    await provider.validate();
    const cursor = await provider.changeFeed!.getStartCursor();
    const { files } = await listAll(provider, 1000);
    const listing = count() - at;
    assert.equal(files.length, FILES);
    at = count();
    const page = await served.provider('big', new Map()).changeFeed!.getChanges(cursor, undefined, 1000);
    const noop = count() - at;
    assert.deepEqual(page.changes, []);
    t.diagnostic(`validate + start cursor + listing of ${FILES} files: ${listing} requests (${JSON.stringify(Object.fromEntries(served.fake.requests))}); no-op feed read: ${noop}`);
    assert.ok(listing <= 5, `${listing} requests`);
    assert.equal(noop, 2);
  });

  test('an access token that expires between pages is renewed; the listing goes on', async () => {
    const provider = served.provider('big');
    const first = await provider.list(undefined, 100);
    const refreshes = served.authority.stats.refreshes;
    served.authority.expireAccessTokens();
    const second = await provider.list(first.nextPageToken, 100);
    assert.ok(second.files.length > 0);
    assert.ok(served.authority.stats.refreshes > refreshes, 'renewed');
  });

  test('throttled requests are waited for, not failed', async () => {
    served.fake.throttle(3);
    const started = Date.now();
    const { files } = await listAll(served.provider('big'), 1000);
    assert.equal(files.length, FILES);
    assert.ok(Date.now() - started >= 900, 'Retry-After was honoured');
  });

  test('a revoked grant is unauthorized', async () => {
    const other = await serve();
    try {
      await other.provider('').validate();
      other.authority.revokeGrants();
      other.authority.expireAccessTokens();
      await rejectsWith(other.provider('').validate(), 'unauthorized');
    } finally {
      await other.stop();
    }
  });

  test('pages Graph answers larger than asked are handed out in parts', async () => {
    const loose = await serve({ ignoreTop: 50 });
    try {
      for (let i = 0; i < 40; i++) await put(loose.fake.tree.root, `m/${i % 4}/${i}.mp3`, 10);
      const { files, pages } = await listAll(loose.provider('m'), 7);
      assert.equal(files.length, 40);
      assert.equal(new Set(files.map((f) => f.path)).size, 40);
      assert.ok(pages.length >= 6, `${pages.length} pages`);
    } finally {
      await loose.stop();
    }
  });

  test('without quickXorHash (OneDrive Personal) files carry SHA-256; the whole drive is a root; a file is not', async () => {
    const personal = await serve({ hashes: 'personal' });
    try {
      await put(personal.fake.tree.root, 'x/y.mp3', 1234, 'y');
      const { files, pages } = await listAll(personal.provider(''), 10);
      assert.equal(files.length, 1);
      assert.equal(files[0]!.path, 'x/y.mp3');
      assert.equal(files[0]!.providerHash, `sha256:${createHash('sha256').update(Buffer.alloc(1234, 'y')).digest('hex')}`);
      assert.ok(pages[0]!.folders?.some((f) => f.parentId === null));
      await rejectsWith(personal.provider('x/y.mp3').validate(), 'invalid');
    } finally {
      await personal.stop();
    }
  });
});

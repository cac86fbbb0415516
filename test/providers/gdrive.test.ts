// The Google Drive provider against the fake Drive API (src/testing/fakes/gdrive.ts) over real
// folders, with tokens from the fake OAuth authority: the provider contract with the profile's root a
// subfolder of the drive, the change feed (checked by applying its changes to the listing before and
// comparing with a listing after), expired cursors, tokens and grants, throttling, and what Drive has
// that a folder on disk does not (Google Docs, duplicate names, `/` in names).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/failures.ts';
import { driveErrorOf, SPENT_QUOTA_RETRY_MS } from '../../src/providers/gdrive/errors.ts';
import { gdriveProvider } from '../../src/providers/gdrive/index.ts';
import { RemoteRequestError } from '../../src/providers/remote/types.ts';
import type {
  ChangePage, FolderEntry, FolderIndex, ProviderChange, ProviderEnvironment, ProviderFile, StorageProvider,
} from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startGdriveFake, type GdriveFake } from '../../src/testing/fakes/gdrive.ts';
import { providerContract, rejectsWith } from '../helpers/provider-contract.ts';

let authority: FakeAuthority;
let fake: GdriveFake;
let served: string;
let tempDir: string;

before(async () => {
  served = await mkdtemp(path.join(os.tmpdir(), 'music-sync-gdrive-'));
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-gdrive-spool-'));
  authority = await startFakeAuthority();
  fake = await startGdriveFake({ root: served, authority });
});
after(async () => {
  await fake?.stop();
  await authority?.stop();
  await rm(served, { recursive: true, force: true });
  await rm(tempDir, { recursive: true, force: true });
});

function settingsOf(apiUrl: string, auth: FakeAuthority = authority) {
  return { clientId: auth.clientId, authUrl: auth.authUrl, tokenUrl: auth.tokenUrl, apiUrl };
}

function providerFor(root: string, options: { folders?: FolderIndex; apiUrl?: string; auth?: FakeAuthority } = {}): StorageProvider {
  const auth = options.auth ?? authority;
  const environment: ProviderEnvironment = { secrets: { refreshToken: auth.grant() }, tempDir, ...(options.folders ? { folders: options.folders } : {}) };
  return gdriveProvider.create({ provider: 'gdrive', root, settings: settingsOf(options.apiUrl ?? fake.apiUrl, auth) }, environment);
}

async function put(relative: string, content: string | Buffer = relative): Promise<void> {
  const file = path.join(served, ...relative.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

const move = (from: string, to: string) => rename(path.join(served, ...from.split('/')), path.join(served, ...to.split('/')));

/** A folder index kept as the product keeps it: a listing replaces it, a feed page changes it. */
class MemoryIndex implements FolderIndex {
  readonly folders = new Map<string, FolderEntry>();
  async load(): Promise<Map<string, FolderEntry>> {
    return new Map(this.folders);
  }
  changed(page: ChangePage): void {
    for (const change of page.folders ?? []) {
      if (change.kind === 'upsert') this.folders.set(change.folder.id, change.folder);
      else this.folders.delete(change.id);
    }
  }
}

async function listAll(provider: StorageProvider, pageSize = 1000, index?: MemoryIndex): Promise<ProviderFile[]> {
  const files: ProviderFile[] = [];
  let token: string | undefined;
  index?.folders.clear();
  do {
    const page = await provider.list(token, pageSize);
    assert.ok(page.files.length <= pageSize);
    for (const folder of page.folders ?? []) index?.folders.set(folder.id, folder);
    files.push(...page.files);
    token = page.nextPageToken;
  } while (token);
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function readFeed(provider: StorageProvider, cursor: string, pageSize = 1000, index?: MemoryIndex): Promise<{ pages: ChangePage[]; changes: ProviderChange[]; newCursor: string }> {
  const pages: ChangePage[] = [];
  let token: string | undefined;
  do {
    const page = await provider.changeFeed!.getChanges(cursor, token, pageSize);
    index?.changed(page);
    pages.push(page);
    token = page.nextPageToken;
    if (token) assert.equal(page.newCursor, undefined, 'a new cursor only on the last page');
    assert.ok(pages.length < 500, 'the feed read ends');
  } while (token);
  const newCursor = pages.at(-1)!.newCursor;
  assert.ok(newCursor, 'the last page has the new cursor');
  return { pages, changes: pages.flatMap((p) => p.changes), newCursor };
}

/** The changes applied in order to a listing, as the product applies them. */
function applyChanges(listed: readonly ProviderFile[], changes: readonly ProviderChange[]): ProviderFile[] {
  let files = [...listed];
  const under = (p: string, folder: string) => p === folder || p.startsWith(`${folder}/`);
  for (const change of changes) {
    if (change.kind === 'upsert') files = [...files.filter((f) => f.fileId !== change.file.fileId && f.path !== change.file.path), change.file];
    else if (change.kind === 'remove') files = files.filter((f) => f.fileId !== change.fileId);
    else if (change.kind === 'removePath') files = files.filter((f) => !under(f.path, change.path));
    else files = files.map((f) => (under(f.path, change.from) ? { ...f, path: change.to + f.path.slice(change.from.length) } : f));
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}


const requestsNow = () => new Map(fake.requests);
const requestsSince = (before: Map<string, number>) =>
  Object.fromEntries([...fake.requests].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

providerContract('gdrive', async () => {
  // The profile's root is a folder of the drive; what is beside it must never be listed.
  await put('beside the library.mp3');
  await put('Other/not in the library.mp3');
  const root = path.join(served, 'library');
  await mkdir(root, { recursive: true });
  return {
    root,
    provider: () => providerFor('/library/'),
    missingRoot: () => providerFor('library/no such folder'),
    teardown: async () => {
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('gdrive: profiles', () => {
  test('normalizeProfile keeps a clean folder path and the OAuth settings only, and refuses what names no folder', async () => {
    const settings = { ...settingsOf('http://127.0.0.1:1/drive/v3/'), stray: 'dropped' };
    const stored = await gdriveProvider.normalizeProfile({ root: '/Music/Library/', settings });
    assert.deepEqual(stored, { root: 'Music/Library', settings: { ...settingsOf('http://127.0.0.1:1/drive/v3') } });
    assert.equal((await gdriveProvider.normalizeProfile({ root: '/', settings })).root, '');
    for (const root of ['a//b', 'a/../b', './a', 'a\0b']) {
      await rejectsWith(gdriveProvider.normalizeProfile({ root, settings }), 'invalid');
    }
    await rejectsWith(gdriveProvider.normalizeProfile({ root: 'a', settings: { ...settings, apiUrl: 'ftp://x' } }), 'invalid');
    await rejectsWith(gdriveProvider.normalizeProfile({ root: 'a', settings: { ...settings, clientId: '' } }), 'invalid');
  });

  test('a page token that is not one of ours is refused as invalid, before any request', async () => {
    const provider = providerFor('');
    const before = requestsNow();
    for (const token of ['garbage', '{}', '{"q":[1]}', '{"r":"x","q":"y"}']) await rejectsWith(provider.list(token, 10), 'invalid');
    for (const token of ['garbage', '{}', '{"w":{"q":["x"]}}']) await rejectsWith(provider.changeFeed!.getChanges('1', token, 10), 'invalid');
    assert.deepEqual(requestsSince(before), {});
  });

  test("Drive's error answers: rate limits are throttling (429), spent quotas rateLimited for an hour, other refusals keep their status", () => {
    const answer = (status: number, reason: string, headers: Record<string, string> = {}) =>
      driveErrorOf(new Response(null, { status, headers }), JSON.stringify({ error: { code: status, message: reason, errors: [{ domain: 'usageLimits', reason, message: reason }] } }));
    const statusOf = (err: Error) => {
      assert.ok(err instanceof RemoteRequestError, `a RemoteRequestError, got ${String(err)}`);
      return err.status;
    };
    assert.equal(statusOf(answer(403, 'userRateLimitExceeded')), 429);
    assert.equal(statusOf(answer(403, 'rateLimitExceeded')), 429);
    assert.equal(statusOf(answer(429, 'rateLimitExceeded')), 429);
    assert.equal(statusOf(answer(403, 'sharingRateLimitExceeded')), 429);
    assert.equal(statusOf(answer(403, 'insufficientFilePermissions')), 403);
    assert.equal(statusOf(answer(403, 'cannotDownloadAbusiveFile')), 403);
    assert.ok(answer(500, 'backendError') instanceof RemoteRequestError);
    assert.equal(statusOf(driveErrorOf(new Response(null, { status: 502 }), '<html>Bad Gateway</html>')), 502);
    // A spent quota is the account's, never one file's: retried by the activity an hour later (or
    // when Drive says, if later).
    for (const reason of ['dailyLimitExceeded', 'quotaExceeded', 'downloadQuotaExceeded']) {
      const err = answer(403, reason);
      assert.ok(err instanceof ProviderError && err.kind === 'rateLimited', `${reason}: ${String(err)}`);
      assert.equal(err.retryAfterMs, SPENT_QUOTA_RETRY_MS);
      assert.match(err.message, new RegExp(`^Google Drive .*quota exceeded \\(${reason}\\): try again later$`));
    }
    assert.equal((answer(403, 'dailyLimitExceeded', { 'retry-after': '7200' }) as ProviderError).retryAfterMs, 7_200_000);
    assert.equal((answer(403, 'dailyLimitExceeded', { 'retry-after': '5' }) as ProviderError).retryAfterMs, SPENT_QUOTA_RETRY_MS);
  });
});

describe('gdrive: what Drive has that a disk has not', () => {
  test('Google Docs and shortcuts are not files; a `/` in a name is `／`; duplicate names get the id of all but the oldest', async () => {
    await put('odd/notes.gdoc');
    await put('odd/budget.gsheet');
    await put('odd/link to song.gshortcut');
    await put('odd/AC∕DC - Song.mp3');
    await put('odd/same.mp3', 'first');
    await put('odd/same.mp3~dup1', 'second');
    await put('odd/Twin/a.mp3');
    await put('odd/Twin~dup1/b.mp3');
    try {
      const listed = await listAll(providerFor('odd'), 3);
      const ids = new Map(listed.map((f) => [f.path, f.fileId]));
      const second = fake.tree.at('odd/same.mp3~dup1')!.id;
      const twin = fake.tree.at('odd/Twin~dup1')!.id;
      assert.deepEqual([...ids.keys()].sort(), ['AC／DC - Song.mp3', 'Twin/a.mp3', `Twin (${twin})/b.mp3`, 'same.mp3', `same (${second}).mp3`].sort());
      assert.equal(ids.get('same.mp3'), fake.tree.at('odd/same.mp3')!.id, 'the older file keeps the name');
    } finally {
      await rm(path.join(served, 'odd'), { recursive: true, force: true });
    }
  });
});

describe('gdrive: duplicate names in two answers of files.list', () => {
  test('the older keeps the name and the newer gets its id, whatever answer and page each is in, as the feed names them', async () => {
    // One folder of 1,001 files (Drive answers at most 1,000 items): 999 that sort first, then two
    // items named `dup.mp3`, the older the last of the first answer, the newer the first of the next.
    const bulk = await mkdtemp(path.join(os.tmpdir(), 'music-sync-gdrive-dups-'));
    const drive = await startGdriveFake({ root: bulk, authority });
    try {
      await mkdir(path.join(bulk, 'lib', 'split'), { recursive: true });
      for (let i = 0; i < 999; i++) await writeFile(path.join(bulk, 'lib', 'split', `a${String(i).padStart(3, '0')}.mp3`), `${i}`);
      await writeFile(path.join(bulk, 'lib', 'split', 'dup.mp3'), 'older');
      await writeFile(path.join(bulk, 'lib', 'split', 'dup.mp3~dup1'), 'newer');
      const index = new MemoryIndex();
      const provider = providerFor('lib', { apiUrl: drive.apiUrl, folders: index });
      const cursor = await provider.changeFeed!.getStartCursor();
      const older = drive.tree.at('lib/split/dup.mp3')!.id;
      const newer = drive.tree.at('lib/split/dup.mp3~dup1')!.id;
      const expected = { 'split/dup.mp3': older, [`split/dup (${newer}).mp3`]: newer };
      const dups = (files: readonly ProviderFile[]) => Object.fromEntries(files.filter((f) => f.path.includes('dup')).map((f) => [f.path, f.fileId]));
      // Pages of 1,000 (one answer each) and of 300 (pages that end inside an answer).
      for (const pageSize of [1000, 300]) {
        const files = await listAll(providerFor('lib', { apiUrl: drive.apiUrl }), pageSize, index);
        assert.equal(files.length, 1001, `page size ${pageSize}`);
        assert.deepEqual(dups(files), expected, `page size ${pageSize}`);
      }
      // The feed names a changed duplicate as the listing does.
      await writeFile(path.join(bulk, 'lib', 'split', 'dup.mp3~dup1'), 'newer, changed');
      const { changes } = await readFeed(providerFor('lib', { apiUrl: drive.apiUrl, folders: index }), cursor, 1000, index);
      assert.deepEqual(changes.flatMap((c) => (c.kind === 'upsert' ? [[c.file.path, c.file.fileId]] : [])), Object.entries(expected).slice(1));
    } finally {
      await drive.stop();
      await rm(bulk, { recursive: true, force: true });
    }
  });
});

describe('gdrive: change feed', () => {
  const lib = 'feed';
  const index = new MemoryIndex();
  let cursor: string;

  before(async () => {
    for (const f of ['A/one.mp3', 'A/two.mp3', 'B/three.mp3', 'B/keep.mp3', 'C/sub/four.mp3', 'case/Song.mp3', 'top.mp3', 'del/x.mp3', 'del/deeper/y.mp3']) {
      await put(`${lib}/${f}`);
    }
    await put('outside/In/five.mp3');
    await put('outside/In/deep/six.mp3');
    await put('outside/other.mp3');
  });
  after(async () => {
    await rm(path.join(served, lib), { recursive: true, force: true });
    await rm(path.join(served, 'outside'), { recursive: true, force: true });
  });

  /** Changes on disk, then the feed from the cursor: applied to the listing before, it gives the
   * listing after. The feed is read by a new provider with the stored index (the next sync). */
  async function check(change: () => Promise<void>, pageSize = 1000): Promise<{ pages: ChangePage[]; changes: ProviderChange[] }> {
    const before = await listAll(providerFor(lib));
    await change();
    const read = await readFeed(providerFor(lib, { folders: index }), cursor, pageSize, index);
    const after = await listAll(providerFor(lib));
    assert.deepEqual(applyChanges(before, read.changes), after);
    cursor = read.newCursor;
    // The index the feed left is the one a listing gives.
    const fresh = new MemoryIndex();
    await listAll(providerFor(lib), 1000, fresh);
    assert.deepEqual([...index.folders.values()].sort(byId), [...fresh.folders.values()].sort(byId));
    return read;
  }

  test('a listing after the start cursor, then every kind of change, read as changes that turn the old listing into the new', async () => {
    const provider = providerFor(lib, { folders: index });
    cursor = await provider.changeFeed!.getStartCursor();
    await listAll(provider, 2, index);
    const { changes } = await check(async () => {
      await put(`${lib}/A/new.mp3`);
      await put(`${lib}/A/two.mp3`, 'two, longer than before');
      await move(`${lib}/top.mp3`, `${lib}/top renamed.mp3`);
      await move(`${lib}/B/three.mp3`, `${lib}/A/three.mp3`);
      await move(`${lib}/C`, `${lib}/C2`);
      await move('outside/In', `${lib}/In`);
      await move(`${lib}/B`, 'outside/B');
      await rm(path.join(served, lib, 'A/one.mp3'));
      await rm(path.join(served, lib, 'del'), { recursive: true });
      await move(`${lib}/case/Song.mp3`, `${lib}/case/song.mp3`);
      await put('outside/other.mp3', 'changed outside the library');
    });
    assert.ok(changes.some((c) => c.kind === 'movePath' && c.from === 'C' && c.to === 'C2'), 'a renamed folder is one movePath');
    assert.ok(changes.some((c) => c.kind === 'removePath' && c.path === 'B'), 'a folder moved out is a removePath');
    assert.ok(changes.some((c) => c.kind === 'removePath' && c.path === 'del'), 'a deleted folder is a removePath');
    assert.ok(changes.some((c) => c.kind === 'upsert' && c.file.path === 'In/deep/six.mp3'), 'what a folder brought in is listed');
    assert.ok(!changes.some((c) => c.kind === 'upsert' && c.file.path.includes('other')), 'nothing outside');
  });

  test('paged: small pages, the new cursor on the last one only; the folders moved back out and in again', async () => {
    const { pages } = await check(async () => {
      for (let i = 0; i < 5; i++) await put(`${lib}/many/${i}.mp3`);
      await move(`${lib}/In`, 'outside/In');
      await move('outside/B', `${lib}/B again`);
      await put(`${lib}/C2/sub/four.mp3`, 'four, changed');
    }, 2);
    assert.ok(pages.length > 3, `${pages.length} pages`);
    assert.ok(pages.every((p) => p.changes.filter((c) => c.kind === 'upsert').length <= 2), 'no page holds more files than asked');
  });

  test('a feed read by the same provider without a stored index; a duplicate name arriving by the feed', async () => {
    const provider = providerFor(lib);
    const start = await provider.changeFeed!.getStartCursor();
    const before = await listAll(provider);
    await put(`${lib}/A/new.mp3~dup1`, 'a second upload of new.mp3');
    await put(`${lib}/fresh/deeper/z.mp3`);
    const read = await readFeed(provider, start);
    const after = await listAll(providerFor(lib));
    assert.deepEqual(applyChanges(before, read.changes), after);
    assert.ok(after.some((f) => f.path === `A/new (${fake.tree.at(`${lib}/A/new.mp3~dup1`)!.id}).mp3`));
  });

  test('a feed read with nothing changed is two requests (the root looked up by its path, the feed) and no change', async () => {
    const provider = providerFor(lib, { folders: index });
    const cursorNow = await provider.changeFeed!.getStartCursor();
    const before = requestsNow();
    const read = await readFeed(provider, cursorNow, 1000, index);
    const made = requestsSince(before);
    assert.deepEqual(read.changes, []);
    assert.deepEqual(made, { 'files.list': 1, 'changes.list': 1 });
  });

  test('an expired cursor is cursorExpired', async () => {
    const provider = providerFor(lib, { folders: index });
    const old = await provider.changeFeed!.getStartCursor();
    fake.expireCursors();
    await rejectsWith(provider.changeFeed!.getChanges(old, undefined, 100), 'cursorExpired');
    const fresh = await provider.changeFeed!.getStartCursor();
    assert.ok((await provider.changeFeed!.getChanges(fresh, undefined, 100)).newCursor);
  });
});

describe('gdrive: change feed, every page read twice', () => {
  after(async () => {
    await rm(path.join(served, 'replay'), { recursive: true, force: true });
    await rm(path.join(served, 'away'), { recursive: true, force: true });
  });

  test('a page read again with an index that already holds its folder changes (a retried activity) loses nothing', async () => {
    for (const f of ['Keep/a.mp3', 'Rename me/b.mp3', 'Rename me/inner/c.mp3', 'Drop/d.mp3']) await put(`replay/${f}`);
    for (const f of ['Arrives/e.mp3', 'Arrives/deep/er/f.mp3']) await put(`away/${f}`);
    const index = new MemoryIndex();
    const first = providerFor('replay', { folders: index });
    const cursor = await first.changeFeed!.getStartCursor();
    const before = await listAll(first, 1000, index);
    await move('away/Arrives', 'replay/Keep/Arrives');
    await move('replay/Rename me', 'replay/Renamed');
    await rm(path.join(served, 'replay/Drop'), { recursive: true });
    for (let i = 0; i < 3; i++) await put(`replay/New/deeper/${i}.mp3`);
    await put('replay/Renamed/inner/c.mp3', 'c, changed');

    const changes: ProviderChange[] = [];
    let token: string | undefined;
    let newCursor: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 200, 'the feed read ends');
      // The first attempt's page is stored (its folder changes with it), then the attempt dies before
      // it heartbeats its token: the retry reads the same page again, with that index.
      const page = await providerFor('replay', { folders: index }).changeFeed!.getChanges(cursor, token, 2);
      index.changed(page);
      changes.push(...page.changes);
      const again = await providerFor('replay', { folders: index }).changeFeed!.getChanges(cursor, token, 2);
      index.changed(again);
      changes.push(...again.changes);
      token = again.nextPageToken;
      newCursor = again.newCursor;
      if (!token) break;
    }
    assert.ok(newCursor);
    const fresh = new MemoryIndex();
    const after = await listAll(providerFor('replay'), 1000, fresh);
    assert.deepEqual(applyChanges(before, changes), after);
    assert.deepEqual([...index.folders.values()].sort(byId), [...fresh.folders.values()].sort(byId));
  });
});

const byId = (a: FolderEntry, b: FolderEntry) => (a.id < b.id ? -1 : 1);

describe("gdrive: the profile's folder renamed, moved or replaced", () => {
  const paths = (files: readonly ProviderFile[]) => files.map((f) => f.path);
  after(async () => {
    for (const name of ['Music', 'Music (old)', 'Music (older)', 'Elsewhere', 'Deep', 'Deep (old)']) await rm(path.join(served, name), { recursive: true, force: true });
  });

  test('renamed and replaced by a new folder of its name: the feed asks for a full listing, which reads the new folder', async () => {
    await put('Music/a.mp3');
    await put('Music/sub/b.mp3');
    const index = new MemoryIndex();
    const provider = providerFor('Music', { folders: index });
    const cursor = await provider.changeFeed!.getStartCursor();
    assert.deepEqual(paths(await listAll(provider, 1000, index)), ['a.mp3', 'sub/b.mp3']);

    // Renamed away with nothing in its place: the path names no folder, as the listing will say.
    await move('Music', 'Music (old)');
    await rejectsWith(providerFor('Music', { folders: index }).changeFeed!.getChanges(cursor, undefined, 100), 'unavailable');
    // A new `Music`: its path names another folder than the one the index follows.
    await put('Music/c.mp3');
    const err = await rejectsWith(providerFor('Music', { folders: index }).changeFeed!.getChanges(cursor, undefined, 100), 'cursorExpired');
    assert.match(err.message, /renamed, moved or replaced/);
    assert.deepEqual(paths(await listAll(providerFor('Music'))), ['c.mp3']);
  });

  test('a folder above it renamed and replaced (no change of the root itself in the feed): cursorExpired', async () => {
    await put('Deep/Music/a.mp3');
    const index = new MemoryIndex();
    const provider = providerFor('Deep/Music', { folders: index });
    const cursor = await provider.changeFeed!.getStartCursor();
    await listAll(provider, 1000, index);
    await move('Deep', 'Deep (old)');
    await put('Deep/Music/c.mp3');
    await rejectsWith(providerFor('Deep/Music', { folders: index }).changeFeed!.getChanges(cursor, undefined, 100), 'cursorExpired');
    assert.deepEqual(paths(await listAll(providerFor('Deep/Music'))), ['c.mp3']);
  });

  test('renamed and replaced while a read goes on (after its first page): cursorExpired when the change of the root comes', async () => {
    await rm(path.join(served, 'Music'), { recursive: true, force: true });
    for (const f of ['a.mp3', 'b.mp3']) await put(`Music/${f}`);
    const index = new MemoryIndex();
    const first = providerFor('Music', { folders: index });
    const cursor = await first.changeFeed!.getStartCursor();
    await listAll(first, 1000, index);
    for (const f of ['a.mp3', 'b.mp3']) await put(`Music/${f}`, `${f}, changed`);
    const page = await providerFor('Music', { folders: index }).changeFeed!.getChanges(cursor, undefined, 1);
    index.changed(page);
    assert.ok(page.nextPageToken);
    await move('Music', 'Music (older)');
    await put('Music/new.mp3');
    let token: string | undefined = page.nextPageToken;
    let caught: unknown;
    try {
      for (let pages = 0; token && pages < 20; pages++) {
        const next: ChangePage = await providerFor('Music', { folders: index }).changeFeed!.getChanges(cursor, token, 1);
        index.changed(next);
        token = next.nextPageToken;
      }
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ProviderError && caught.kind === 'cursorExpired', `cursorExpired, got ${String(caught)}`);
  });

  test('moved away and back between two syncs: the feed goes on (the path still names it)', async () => {
    await rm(path.join(served, 'Music'), { recursive: true, force: true });
    await put('Music/a.mp3');
    const index = new MemoryIndex();
    const first = providerFor('Music', { folders: index });
    const cursor = await first.changeFeed!.getStartCursor();
    const before = await listAll(first, 1000, index);
    await mkdir(path.join(served, 'Elsewhere'), { recursive: true });
    await move('Music', 'Elsewhere/Music');
    await fake.tree.refresh();
    await move('Elsewhere/Music', 'Music');
    await put('Music/b.mp3');
    const read = await readFeed(providerFor('Music', { folders: index }), cursor, 100, index);
    assert.deepEqual(applyChanges(before, read.changes), await listAll(providerFor('Music')));
    assert.deepEqual(paths(await listAll(providerFor('Music'))), ['a.mp3', 'b.mp3']);
  });
});

describe('gdrive: tokens, grants and throttling', () => {
  test('an access token that expires between two pages is renewed, and the listing goes on', async () => {
    await put('tokens/a.mp3');
    await put('tokens/b/c.mp3');
    try {
      const provider = providerFor('tokens');
      const first = await provider.list(undefined, 1);
      assert.ok(first.nextPageToken);
      const refreshes = authority.stats.refreshes;
      authority.expireAccessTokens();
      let token: string | undefined = first.nextPageToken;
      const files = [...first.files];
      while (token) {
        const page = await provider.list(token, 1);
        files.push(...page.files);
        token = page.nextPageToken;
      }
      assert.deepEqual(files.map((f) => f.path).sort(), ['a.mp3', 'b/c.mp3']);
      assert.equal(authority.stats.refreshes, refreshes + 1);
    } finally {
      await rm(path.join(served, 'tokens'), { recursive: true, force: true });
    }
  });

  test("Drive's rate limit (403 userRateLimitExceeded) is waited out, not a failure", async () => {
    await put('busy/a.mp3');
    try {
      const provider = providerFor('busy');
      await provider.validate();
      const before = requestsNow();
      fake.throttle(3);
      const started = Date.now();
      const files = await listAll(provider);
      assert.deepEqual(files.map((f) => f.path), ['a.mp3']);
      assert.equal(total(requestsSince(before)), 4, 'three throttled answers, then the answer');
      assert.ok(Date.now() - started >= 2_000, 'Retry-After was waited for');
    } finally {
      await rm(path.join(served, 'busy'), { recursive: true, force: true });
    }
  });

  test("a spent quota (403 downloadQuotaExceeded) is rateLimited at once, an activity retry an hour later, never the file's failure", async () => {
    await put('quota/a.mp3', 'some bytes');
    try {
      const provider = providerFor('quota');
      const [file] = await listAll(provider);
      const before = requestsNow();
      fake.throttle(1, 'downloadQuotaExceeded');
      const err = await rejectsWith(provider.open(file!), 'rateLimited');
      assert.equal(err.retryAfterMs, SPENT_QUOTA_RETRY_MS);
      assert.deepEqual(requestsSince(before), { 'files.download': 1 }, 'not retried within the request');
      // processBatch records a file's failure only for notFound, forbidden and invalid; any other
      // ProviderError fails the activity through toActivityFailure, which retries it after the wait.
      const failure = toActivityFailure(err);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.nonRetryable, false);
      assert.equal(failure.nextRetryDelay, SPENT_QUOTA_RETRY_MS);
      fake.throttle(1, 'dailyLimitExceeded');
      await rejectsWith(provider.list(undefined, 10), 'rateLimited');
      const reader = await provider.open(file!);
      await reader.close();
    } finally {
      await rm(path.join(served, 'quota'), { recursive: true, force: true });
    }
  });

  test('a revoked grant is unauthorized', async () => {
    // An authority and a fake of their own: revoking ends every grant of the authority.
    const own = await startFakeAuthority();
    const drive = await startGdriveFake({ root: served, authority: own });
    try {
      const provider = providerFor('', { apiUrl: drive.apiUrl, auth: own });
      const unused = providerFor('', { apiUrl: drive.apiUrl, auth: own });
      await provider.validate();
      own.revokeGrants();
      own.expireAccessTokens();
      await rejectsWith(provider.list(undefined, 10), 'unauthorized');
      await rejectsWith(unused.validate(), 'unauthorized');
    } finally {
      await drive.stop();
      await own.stop();
    }
  });
});

describe('gdrive: requests', () => {
  test('listing 1,000 files in 50 folders, and a feed read with nothing new', async (t) => {
    const bulk = await mkdtemp(path.join(os.tmpdir(), 'music-sync-gdrive-bulk-'));
    const drive = await startGdriveFake({ root: bulk, authority });
    try {
      for (let folder = 0; folder < 50; folder++) {
        await mkdir(path.join(bulk, 'lib', `artist ${folder % 10}`, `album ${folder}`), { recursive: true });
        for (let i = 0; i < 20; i++) await writeFile(path.join(bulk, 'lib', `artist ${folder % 10}`, `album ${folder}`, `${i}.mp3`), `${folder}/${i}`);
      }
      const provider = providerFor('lib', { apiUrl: drive.apiUrl });
      const index = new MemoryIndex();
      await provider.validate();
      let cursor = await provider.changeFeed!.getStartCursor();
      const before = new Map(drive.requests);
      const files = await listAll(provider, 1000, index);
      const listing = Object.fromEntries([...drive.requests].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0));
      assert.equal(files.length, 1000);
      assert.equal(index.folders.size, 61, 'the root, 10 artists and 50 albums');
      const afterListing = new Map(drive.requests);
      ({ newCursor: cursor } = await readFeed(providerFor('lib', { apiUrl: drive.apiUrl, folders: index }), cursor, 1000, index));
      const feed = Object.fromEntries([...drive.requests].map(([k, v]) => [k, v - (afterListing.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0));
      // Ten files added to an album, another album renamed: the root's lookup, the feed, and one query
      // for same-named siblings.
      for (let i = 0; i < 10; i++) await writeFile(path.join(bulk, 'lib', 'artist 0', 'album 0', `new ${i}.mp3`), `new ${i}`);
      await rename(path.join(bulk, 'lib', 'artist 1', 'album 1'), path.join(bulk, 'lib', 'artist 1', 'album one'));
      const beforeChanges = new Map(drive.requests);
      const { changes } = await readFeed(providerFor('lib', { apiUrl: drive.apiUrl, folders: index }), cursor, 1000, index);
      const changed = Object.fromEntries([...drive.requests].map(([k, v]) => [k, v - (beforeChanges.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0));
      assert.equal(changes.length, 11);
      t.diagnostic(`listing 1,000 files: ${JSON.stringify(listing)}; a feed read with nothing new: ${JSON.stringify(feed)}; ` +
        `with 10 files added and a folder renamed: ${JSON.stringify(changed)}`);
      assert.ok(total(listing) <= 6, `listing requests: ${JSON.stringify(listing)}`);
      assert.deepEqual(feed, { 'changes.list': 1, 'files.list': 1 });
      assert.deepEqual(changed, { 'changes.list': 1, 'files.list': 2 });
    } finally {
      await drive.stop();
      await rm(bulk, { recursive: true, force: true });
    }
  });
});

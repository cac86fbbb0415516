// The Dropbox provider against the Dropbox fake (src/testing/fakes/dropbox.ts: a real HTTP server over
// a folder on disk) and the fake OAuth authority: the provider contract, the change feed checked
// against fresh listings, tokens that expire or are revoked, throttling, and Dropbox's error answers.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dropboxProvider } from '../../src/providers/dropbox/index.ts';
import { dropboxErrorOf } from '../../src/providers/dropbox/errors.ts';
import { headerSafeJson } from '../../src/providers/dropbox/header-json.ts';
import { RemoteRequestError } from '../../src/providers/remote/types.ts';
import type { ChangePage, ProviderChange, ProviderFile, StorageProvider } from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startDropboxFake, type DropboxFake } from '../../src/testing/fakes/dropbox.ts';
import { providerContract, rejectsWith } from '../helpers/provider-contract.ts';

interface Served {
  dir: string;
  authority: FakeAuthority;
  fake: DropboxFake;
  tempDir: string;
  /** A provider over `root` (a folder of the served Dropbox), linked with a grant of its own. */
  provider(root: string): StorageProvider;
  stop(): Promise<void>;
}

async function serve(): Promise<Served> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-dropbox-'));
  const tempDir = path.join(dir, '.spool');
  const served = path.join(dir, 'served');
  await mkdir(served, { recursive: true });
  const authority = await startFakeAuthority();
  const fake = await startDropboxFake({ root: served, authority });
  return {
    dir: served,
    authority,
    fake,
    tempDir,
    provider: (root) =>
      dropboxProvider.create(
        {
          provider: 'dropbox',
          root,
          settings: { clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl, apiUrl: fake.apiUrl, contentUrl: fake.contentUrl },
        },
        { secrets: { refreshToken: authority.grant() }, tempDir },
      ),
    async stop() {
      await fake.stop();
      await authority.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function put(root: string, relative: string, content: string | Buffer, mtime?: Date): Promise<void> {
  const file = path.join(root, ...relative.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  if (mtime) await utimes(file, mtime, mtime);
}

async function listAll(provider: StorageProvider, pageSize = 1000): Promise<Map<string, ProviderFile>> {
  const files = new Map<string, ProviderFile>();
  let token: string | undefined;
  do {
    const page = await provider.list(token, pageSize);
    for (const file of page.files) {
      assert.ok(!files.has(file.path), `${file.path} listed once`);
      files.set(file.path, file);
    }
    token = page.nextPageToken;
  } while (token);
  return files;
}

/** Every page of one feed read; checks the cursor comes on the last page only. */
async function readFeed(provider: StorageProvider, cursor: string, pageSize = 1000): Promise<{ pages: ChangePage[]; changes: ProviderChange[]; newCursor: string }> {
  const pages: ChangePage[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await provider.changeFeed!.getChanges(cursor, token, pageSize);
    pages.push(page);
    assert.ok(pages.length < 1000, 'the read ends');
    if (page.nextPageToken) {
      assert.equal(page.newCursor, undefined, 'no new cursor before the last page');
      token = page.nextPageToken;
      continue;
    }
    assert.ok(page.newCursor, 'the last page has the new cursor');
    return { pages, changes: pages.flatMap((p) => p.changes), newCursor: page.newCursor };
  }
}

/** The product's reading of a feed: changes in order, the later entry winning. */
function applyChanges(files: Map<string, ProviderFile>, changes: readonly ProviderChange[]): void {
  const dropId = (id: string) => {
    for (const [p, f] of files) if (f.fileId === id) files.delete(p);
  };
  for (const change of changes) {
    if (change.kind === 'upsert') {
      dropId(change.file.fileId);
      files.set(change.file.path, change.file);
    } else if (change.kind === 'remove') dropId(change.fileId);
    else if (change.kind === 'removePath') {
      const fold = (s: string) => (change.caseInsensitive ? s.toLowerCase() : s);
      const gone = fold(change.path);
      for (const p of [...files.keys()]) if (gone === '' || fold(p) === gone || fold(p).startsWith(`${gone}/`)) files.delete(p);
    } else {
      for (const [p, f] of [...files]) {
        if (!p.startsWith(`${change.from}/`)) continue;
        files.delete(p);
        const to = `${change.to}${p.slice(change.from.length)}`;
        files.set(to, { ...f, path: to });
      }
    }
  }
}

/** What a listing says of each file, by path; `fold` compares paths as Dropbox does. */
function described(files: Map<string, ProviderFile>, fold = false) {
  return new Map(
    [...files.values()].map((f) => [fold ? f.path.toLowerCase() : f.path, { fileId: f.fileId, size: f.size, hash: f.providerHash, revision: f.revision, time: f.modifiedAt?.getTime() }]),
  );
}


const requestsOf = (fake: DropboxFake) => [...fake.requests.values()].reduce((a, b) => a + b, 0);

// The profile's root is a subfolder, named in another case than on disk (Dropbox paths are
// case-insensitive), beside files that must not be listed.
{
  let served: Served;
  providerContract('dropbox', async () => {
    served = await serve();
    const root = path.join(served.dir, 'Music', 'Library');
    await mkdir(root, { recursive: true });
    await put(served.dir, 'outside.mp3', 'not in the library');
    await put(served.dir, 'Music/beside.mp3', 'not in the library either');
    await put(served.dir, 'Music/Library Two/near.mp3', 'a folder whose name starts like the root');
    return {
      root,
      provider: () => served.provider('music/LIBRARY'),
      missingRoot: () => served.provider('Music/Nowhere'),
      teardown: () => served.stop(),
    };
  });
}

describe('dropbox provider', () => {
  let served: Served;
  let lib: string;
  before(async () => {
    served = await serve();
    lib = path.join(served.dir, 'Lib');
    await put(lib, 'top.mp3', 'top');
  });
  after(() => served.stop());

  test('validate: a missing root is unavailable, a file is invalid, the whole Dropbox is fine', async () => {
    await served.provider('Lib').validate();
    await served.provider('').validate();
    await served.provider('/lib/').validate();
    await rejectsWith(served.provider('Lib/none').validate(), 'unavailable', /"\/Lib\/none" does not exist in Dropbox/);
    await rejectsWith(served.provider('Lib/top.mp3').validate(), 'invalid', /is a file in Dropbox, not a folder/);
    await rejectsWith(served.provider('Lib/none').list(undefined, 10), 'unavailable', /does not exist/);
    await rejectsWith(served.provider('Lib/none').changeFeed!.getStartCursor(), 'unavailable', /does not exist/);
  });

  test('normalizeProfile keeps the root without slashes and only the OAuth settings; refuses what is wrong', async () => {
    const settings = { clientId: ' app ', authUrl: 'https://www.dropbox.com/oauth2/authorize', tokenUrl: 'https://api.dropboxapi.com/oauth2/token', apiUrl: 'https://api.dropboxapi.com/2/', contentUrl: 'https://content.dropboxapi.com/2' };
    const normalized = await dropboxProvider.normalizeProfile({ root: '/Music/Live/', settings: { ...settings, other: 1 } });
    assert.deepEqual(normalized, { root: 'Music/Live', settings: { ...settings, clientId: 'app', apiUrl: 'https://api.dropboxapi.com/2' } });
    assert.equal((await dropboxProvider.normalizeProfile({ root: '/', settings })).root, '');
    for (const root of ['a//b', 'a/../b', './a', 'a\0b']) await rejectsWith(dropboxProvider.normalizeProfile({ root, settings }), 'invalid');
    await rejectsWith(dropboxProvider.normalizeProfile({ root: 'a', settings: { ...settings, contentUrl: undefined } }), 'invalid', /contentUrl/);
    await rejectsWith(dropboxProvider.normalizeProfile({ root: 'a', settings: { ...settings, apiUrl: 'ftp://x' } }), 'invalid', /apiUrl/);
    await rejectsWith(dropboxProvider.normalizeProfile({ root: 'a', settings: { ...settings, clientId: '' } }), 'invalid', /client id/);
  });

  test('a file read by a path goes through Dropbox-API-Arg escaped, and a renamed file is read by its id', async () => {
    const name = 'Ünïcödé ♫/Café – ☃.mp3';
    await put(lib, name, 'unicode bytes');
    const provider = served.provider('Lib');
    // A file id of another shape: the provider names the file by its path.
    const reader = await provider.open({ fileId: 'legacy', path: name });
    const buffer = Buffer.alloc(reader.size);
    assert.equal(await reader.read(buffer, 0, buffer.length, 0), buffer.length);
    assert.equal(buffer.toString(), 'unicode bytes');
    await reader.close();
    const listed = (await listAll(provider)).get(name)!;
    await rename(path.join(lib, ...name.split('/')), path.join(lib, 'renamed.mp3'));
    const target = path.join(served.dir, '..', 'renamed-copy');
    await provider.download!(listed, target);
    assert.equal(await readFile(target, 'utf8'), 'unicode bytes');
  });

  test('an access token that expires between pages is renewed; a revoked grant is unauthorized', async () => {
    for (let i = 0; i < 6; i++) await put(lib, `tokens/${i}.mp3`, `t${i}`);
    const provider = served.provider('Lib/tokens');
    const first = await provider.list(undefined, 2);
    assert.ok(first.nextPageToken);
    const refreshes = served.authority.stats.refreshes;
    served.authority.expireAccessTokens();
    const files = [...first.files];
    for (let token: string | undefined = first.nextPageToken; token; ) {
      const page = await provider.list(token, 2);
      files.push(...page.files);
      token = page.nextPageToken;
    }
    assert.equal(files.length, 6);
    assert.equal(served.authority.stats.refreshes, refreshes + 1, 'renewed once');

    // A revoked grant (its own authority: revoking ends every grant of it).
    const other = await serve();
    try {
      await put(other.dir, 'Lib/a.mp3', 'a');
      const linked = other.provider('Lib');
      await linked.validate();
      other.authority.revokeGrants();
      other.authority.expireAccessTokens();
      await rejectsWith(linked.list(undefined, 10), 'unauthorized');
    } finally {
      await other.stop();
    }
  });

  test('throttling answers are waited out, not failures', async () => {
    const provider = served.provider('Lib');
    await provider.validate();
    const before = served.fake.requests.get('files/get_metadata') ?? 0;
    const started = Date.now();
    served.fake.throttle(3);
    await provider.validate();
    assert.equal((served.fake.requests.get('files/get_metadata') ?? 0) - before, 4, 'three throttled answers, then the answer');
    assert.ok(Date.now() - started >= 2000, `waited for Retry-After (${Date.now() - started} ms)`);
    served.fake.throttle(2);
    const reader = await provider.open({ fileId: (await listAll(provider)).get('top.mp3')!.fileId, path: 'top.mp3' });
    const buffer = Buffer.alloc(3);
    assert.equal(await reader.read(buffer, 0, 3, 0), 3);
    assert.equal(buffer.toString(), 'top');
    await reader.close();
  });

  test('a listing whose cursor Dropbox forgets midway starts over', async () => {
    for (let i = 0; i < 4; i++) await put(lib, `restart/${i}.mp3`, `r${i}`);
    const provider = served.provider('Lib/restart');
    const first = await provider.list(undefined, 2);
    served.fake.expireCursors();
    const again = await provider.list(first.nextPageToken, 2);
    assert.deepEqual(again.files.map((f) => f.path), first.files.map((f) => f.path));
    await rejectsWith(provider.list('{"nope":1}', 2), 'invalid');
  });

  test('requests: listing 1,000 files and a feed read that finds nothing', async (t) => {
    const big = path.join(served.dir, 'Big');
    for (let folder = 0; folder < 50; folder++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => put(big, `Artist ${folder}/Track ${i}.mp3`, `${folder}-${i}`)));
    }
    const provider = served.provider('Big');
    const before = requestsOf(served.fake);
    const cursor = await provider.changeFeed!.getStartCursor();
    const files = await listAll(provider, 1000);
    const listing = requestsOf(served.fake) - before;
    assert.equal(files.size, 1000);
    // 1,050 entries (files and folders) in pages of 1,000, plus the start cursor.
    assert.ok(listing <= 3, `${listing} requests`);
    const noop = requestsOf(served.fake);
    const read = await readFeed(provider, cursor);
    assert.deepEqual(read.changes, []);
    const feedRequests = requestsOf(served.fake) - noop;
    assert.equal(feedRequests, 1);
    t.diagnostic(`1,000 files: ${listing} requests to list (start cursor included; the token request is the authority's); a no-op feed read: ${feedRequests}`);
  });
});

describe('dropbox change feed', () => {
  let served: Served;
  let lib: string;
  const T0 = new Date('2024-05-06T07:08:09Z');
  before(async () => {
    served = await serve();
    lib = path.join(served.dir, 'Lib');
    const files = [
      'a.mp3', 'b.mp3', 'keep/x.mp3', 'Album/1.mp3', 'Album/2.mp3', 'Album/inner/3.mp3', 'Moving/m.mp3', 'Gone/d1.mp3', 'Gone/sub/d2.mp3',
      'case.mp3', 'mod.mp3',
    ];
    for (const f of files) await put(lib, f, `content of ${f}`, T0);
    await put(served.dir, 'Outside/In/i1.mp3', 'in 1', T0);
    await put(served.dir, 'Outside/In/deep/i2.mp3', 'in 2', T0);
    await put(served.dir, 'outside.mp3', 'outside', T0);
  });
  after(() => served.stop());

  test('changes applied to the earlier listing give the fresh listing', async () => {
    const provider = served.provider('lib');
    const cursor = await provider.changeFeed!.getStartCursor();
    const listed = await listAll(provider);
    assert.equal(listed.size, 11);

    await put(lib, 'new.mp3', 'a new file');
    await put(lib, 'mod.mp3', 'modified, and longer than before', new Date(T0.getTime() + 60_000));
    await rename(path.join(lib, 'a.mp3'), path.join(lib, 'a2.mp3'));
    await rename(path.join(lib, 'b.mp3'), path.join(lib, 'keep', 'b.mp3'));
    await rename(path.join(lib, 'Album'), path.join(lib, 'Album (Deluxe)'));
    await rename(path.join(served.dir, 'Outside', 'In'), path.join(lib, 'In'));
    await rename(path.join(lib, 'Moving'), path.join(served.dir, 'Moved'));
    await rm(path.join(lib, 'keep', 'x.mp3'));
    await rm(path.join(lib, 'Gone'), { recursive: true });
    await rename(path.join(lib, 'case.mp3'), path.join(lib, 'CASE.mp3'));
    await put(served.dir, 'outside.mp3', 'changed outside the root');

    const { changes, newCursor } = await readFeed(provider, cursor);
    const removed = changes.flatMap((c) => (c.kind === 'removePath' ? [c.path] : []));
    assert.deepEqual(new Set(removed), new Set(['a.mp3', 'b.mp3', 'Album', 'Moving', 'keep/x.mp3', 'Gone']), 'a folder gone is its path once');
    assert.ok(changes.every((c) => c.kind !== 'removePath' || c.caseInsensitive === true));
    const upserted = changes.flatMap((c) => (c.kind === 'upsert' ? [c.file.path] : [])).sort();
    assert.deepEqual(upserted, ['Album (Deluxe)/1.mp3', 'Album (Deluxe)/2.mp3', 'Album (Deluxe)/inner/3.mp3', 'In/deep/i2.mp3', 'In/i1.mp3', 'a2.mp3', 'keep/b.mp3', 'mod.mp3', 'new.mp3']);
    // Deletions come first: a removePath never takes a file the same read put there.
    const firstUpsert = changes.findIndex((c) => c.kind === 'upsert');
    assert.ok(changes.slice(firstUpsert).every((c) => c.kind === 'upsert'));

    const applied = new Map(listed);
    applyChanges(applied, changes);
    const fresh = await listAll(provider);
    // Dropbox does not report a change of case alone ("Changes to only the casing of paths won't be
    // returned by list_folder/continue"): the library keeps `case.mp3`, which is the same file.
    assert.ok(fresh.has('CASE.mp3') && applied.has('case.mp3'));
    assert.equal(fresh.get('CASE.mp3')!.fileId, applied.get('case.mp3')!.fileId);
    assert.deepEqual(described(applied, true), described(fresh, true));
    assert.deepEqual([...applied.keys()].filter((p) => p !== 'case.mp3').sort(), [...fresh.keys()].filter((p) => p !== 'CASE.mp3').sort());
    // A moved file keeps its id.
    assert.equal(fresh.get('a2.mp3')!.fileId, listed.get('a.mp3')!.fileId);
    assert.equal(fresh.get('Album (Deluxe)/inner/3.mp3')!.fileId, listed.get('Album/inner/3.mp3')!.fileId);

    const again = await readFeed(provider, newCursor);
    assert.deepEqual(again.changes, [], 'nothing changed since');
  });

  test('a file replaced by another at its path is removed, then listed again', async () => {
    const provider = served.provider('Lib');
    const cursor = await provider.changeFeed!.getStartCursor();
    const listed = await listAll(provider);
    await rm(path.join(lib, 'new.mp3'));
    await put(lib, 'NEW.mp3', 'another file, in another case');
    const { changes } = await readFeed(provider, cursor);
    assert.deepEqual(changes.map((c) => c.kind), ['removePath', 'upsert']);
    const applied = new Map(listed);
    applyChanges(applied, changes);
    assert.deepEqual(described(applied), described(await listAll(provider)));
  });

  test('a feed read in pages: Dropbox sizes them, and the new cursor comes with the last', async () => {
    const provider = served.provider('Lib');
    const cursor = await provider.changeFeed!.getStartCursor();
    const listed = await listAll(provider);
    for (let i = 0; i < 5; i++) await put(lib, `paged/${i}.mp3`, `p${i}`);
    await rm(path.join(lib, 'In'), { recursive: true });
    served.fake.maxPageSize = 2;
    try {
      const { pages, changes } = await readFeed(provider, cursor, 2);
      assert.ok(pages.length >= 4, `${pages.length} pages`);
      for (const page of pages) assert.ok(page.changes.length <= 2);
      const applied = new Map(listed);
      applyChanges(applied, changes);
      assert.deepEqual(described(applied), described(await listAll(provider)));
    } finally {
      served.fake.maxPageSize = 2000;
    }
  });

  test('an expired cursor is cursorExpired; a root deleted since is unavailable', async () => {
    const provider = served.provider('Lib');
    const cursor = await provider.changeFeed!.getStartCursor();
    served.fake.expireCursors();
    await rejectsWith(provider.changeFeed!.getChanges(cursor, undefined, 100), 'cursorExpired', /reset/);

    const fresh = await provider.changeFeed!.getStartCursor();
    await rename(lib, path.join(served.dir, 'Lib moved'));
    try {
      await rejectsWith(provider.changeFeed!.getChanges(fresh, undefined, 100), 'unavailable', /does not exist in Dropbox/);
      // Another folder at the root's path: only a new listing can tell what is there.
      await mkdir(lib);
      await rejectsWith(provider.changeFeed!.getChanges(fresh, undefined, 100), 'cursorExpired', /deleted or moved/);
    } finally {
      await rm(lib, { recursive: true, force: true });
      await rename(path.join(served.dir, 'Lib moved'), lib);
    }
  });
});

describe('dropbox error answers', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return dropboxErrorOf(new Response(text, { status, headers }), text);
  };
  const statusOf = (err: Error) => (assert.ok(err instanceof RemoteRequestError, String(err)), err.status);

  test('throttling: Retry-After, else the JSON retry_after; plain-text bodies too', () => {
    const plain = answer(429, 'Too many requests', { 'retry-after': '3', 'content-type': 'text/plain' }) as RemoteRequestError;
    assert.equal(plain.status, 429);
    assert.equal(plain.retryAfterMs, 3000);
    const json = answer(429, { error_summary: 'too_many_requests/..', error: { reason: { '.tag': 'too_many_requests' }, retry_after: 2 } }) as RemoteRequestError;
    assert.equal(json.retryAfterMs, 2000);
    assert.equal(statusOf(answer(503, 'unavailable')), 503);
  });

  test('409: reset is cursorExpired, a missing path 404, restricted content 403, the rest 409', () => {
    const reset = answer(409, { error_summary: 'reset/..', error: { '.tag': 'reset' } });
    assert.ok(reset instanceof ProviderError && reset.kind === 'cursorExpired');
    assert.equal(statusOf(answer(409, { error_summary: 'path/not_found/...', error: { '.tag': 'path', path: { '.tag': 'not_found' } } })), 404);
    assert.equal(statusOf(answer(409, { error_summary: 'path/restricted_content/..', error: { '.tag': 'path', path: { '.tag': 'restricted_content' } } })), 403);
    assert.equal(statusOf(answer(409, { error_summary: 'path/not_file/..', error: { '.tag': 'path', path: { '.tag': 'not_file' } } })), 409);
    assert.equal(statusOf(answer(401, { error_summary: 'expired_access_token/..', error: { '.tag': 'expired_access_token' } })), 401);
    assert.match(answer(400, 'Error in call to API function "files/list_folder": bad').message, /files\/list_folder/);
  });

  test('Dropbox-API-Arg JSON escapes 0x7F and everything beyond ASCII', () => {
    assert.equal(headerSafeJson({ field: 'some_üñîcødé_and_\u007f' }), '{"field":"some_\\u00fc\\u00f1\\u00eec\\u00f8d\\u00e9_and_\\u007f"}');
    assert.equal(headerSafeJson({ path: '/♫𝄞' }), '{"path":"/\\u266b\\ud834\\udd1e"}');
    assert.deepEqual(JSON.parse(headerSafeJson({ path: '/♫𝄞 é' })), { path: '/♫𝄞 é' });
  });
});

// The WebDAV provider against a real server (rclone serve webdav over a temp folder), and against the
// same server behind a small proxy that answers the way other servers do: hrefs as absolute URLs in
// another escaping and without folders' trailing slashes, a folder refused with 403, a throttle.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RemoteReader } from '../../src/providers/remote/block-reader.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { ProviderError, type ListPage, type ProviderFile, type StorageProvider } from '../../src/providers/types.ts';
import { webdavProvider } from '../../src/providers/webdav/index.ts';
import { startWebdavServer, type WebdavServer } from '../../src/testing/remote-servers.ts';

/** The library on disk: relative path → size. Hidden names are served but never listed. */
const TREE: Record<string, number> = {
  'root.mp3': 3_000,
  'empty.mp3': 0,
  'a+b;c=d (1).mp3': 1_234,
  'Artist A/Album 1/01 Intro.mp3': 10_000,
  'Artist A/Album 1/02 100% #2.flac': 20_000,
  'Artist A/Album 1/cover.jpg': 500,
  'Artist A/Ünïcödé 日本/03 ü.mp3': 7_777,
  'B & C (live) #1/x%20y.mp3': 4_321,
  'big/long.flac': 1_500_000,
  'Z/a/b/c/deep.mp3': 99,
};
const HIDDEN = ['._root.mp3', 'Artist A/Ünïcödé 日本/.hidden.mp3', '.git/x.mp3'];

let dir: string;
let root: string;
let server: WebdavServer;
let tempDir: string;
const content = new Map<string, Buffer>();
const mtimes = new Map<string, number>();

function providerFor(url: string, secrets: Record<string, string> = { username: server.username, password: server.password }, settings = {}): StorageProvider {
  return webdavProvider.create({ provider: 'webdav', root: url, settings }, { secrets, tempDir });
}

async function listAll(provider: StorageProvider, pageSize: number): Promise<{ files: ProviderFile[]; unlisted: NonNullable<ListPage['unlisted']>; pages: number }> {
  const files: ProviderFile[] = [];
  const unlisted: NonNullable<ListPage['unlisted']> = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await provider.list(token, pageSize);
    assert.ok(page.files.length + (page.unlisted?.length ?? 0) <= pageSize, 'a page holds at most pageSize positions');
    if (page.nextPageToken) assert.equal(page.files.length + (page.unlisted?.length ?? 0), pageSize, 'only the last page is short');
    files.push(...page.files);
    unlisted.push(...(page.unlisted ?? []));
    token = page.nextPageToken;
    pages += 1;
    assert.ok(pages < 1000, 'listing terminates');
  } while (token);
  return { files, unlisted, pages };
}

/** Fails unless `fn` rejects with a ProviderError of `kind` that does not show the password. */
async function rejectsWith(fn: () => Promise<unknown>, kind: ProviderError['kind'], pattern?: RegExp): Promise<ProviderError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProviderError, `expected ProviderError(${kind}), got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  assert.ok(!JSON.stringify([caught.message, String(caught.cause), caught.stack]).includes(server.password), 'no credential in the error');
  return caught;
}

async function readAll(reader: RemoteReader, chunk: number): Promise<Buffer> {
  const out = Buffer.alloc(reader.size);
  for (let at = 0; at < reader.size; ) {
    const n = await reader.read(out, at, Math.min(chunk, reader.size - at), at);
    assert.ok(n > 0, `progress at ${at}`);
    at += n;
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-webdav-'));
  root = path.join(dir, 'library root');
  tempDir = path.join(dir, 'tmp');
  await mkdir(tempDir);
  let second = 1_600_000_000;
  for (const [rel, size] of Object.entries(TREE)) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    // A fraction of a second too: WebDAV states whole seconds.
    second += 86_400 + 17;
    await utimes(file, second + 0.25, second + 0.25);
    content.set(rel, bytes);
    mtimes.set(rel, second * 1000);
  }
  for (const rel of HIDDEN) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), 'hidden');
  }
  await mkdir(path.join(root, 'empty folder'));
  server = await startWebdavServer({ root: dir });
});

after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const rootUrl = (): string => `${server.url}library%20root/`;

test('the registry ships the webdav kind', () => {
  assert.ok(defaultProviders().has('webdav'));
  assert.deepEqual(defaultProviders().secretNames('webdav'), ['username', 'password']);
});

test('validate: the folder is there and the credentials are accepted', async () => {
  const provider = providerFor(rootUrl());
  assert.equal(provider.kind, 'webdav');
  assert.equal(provider.usesNetwork, true);
  await provider.validate();
  // Spelled another way, the root is the same folder.
  await providerFor(`webdav://${new URL(server.url).host}/library root`).validate();
});

test('validate: a wrong password is unauthorized, and no credential is shown', async () => {
  const wrong = providerFor(rootUrl(), { username: server.username, password: `not-${server.password}` });
  const err = await rejectsWith(() => wrong.validate(), 'unauthorized', /WebDAV server refused the credentials for http:\/\/127\.0\.0\.1:\d+\/library%20root\//);
  assert.doesNotMatch(err.message, new RegExp(`not-${server.password}`));
  await rejectsWith(() => providerFor(rootUrl(), {}).validate(), 'unauthorized');
  await rejectsWith(() => wrong.list(undefined, 10), 'unauthorized');
});

test('validate: a missing root is unavailable, never an empty library; a file is not a folder', async () => {
  const missing = providerFor(`${server.url}no%20such%20folder/`);
  await rejectsWith(() => missing.validate(), 'unavailable', /does not exist/);
  await rejectsWith(() => missing.list(undefined, 10), 'unavailable', /does not exist/);
  await rejectsWith(() => providerFor(`${rootUrl()}root.mp3`).validate(), 'invalid', /is a file, not a folder/);
});

test('list: every file once, in one stable order, across pages of any size; names, sizes and times as on disk', async () => {
  const provider = providerFor(rootUrl());
  const expected = Object.keys(TREE).sort();
  let order: string[] | undefined;
  for (const pageSize of [1, 2, 3, 4, 7, 100]) {
    const { files, unlisted, pages } = await listAll(provider, pageSize);
    const paths = files.map((f) => f.path);
    assert.deepEqual([...paths].sort(), expected, `page size ${pageSize}`);
    assert.deepEqual(unlisted, []);
    assert.ok(pages >= Math.ceil(expected.length / pageSize));
    if (order) assert.deepEqual(paths, order, 'the same order for every page size');
    order = paths;
  }
  const { files } = await listAll(provider, 100);
  for (const file of files) {
    assert.equal(file.size, TREE[file.path], file.path);
    assert.equal(file.modifiedAt?.getTime(), mtimes.get(file.path), `${file.path}: the modification time to the second`);
    assert.equal(file.fileId, file.path, 'rclone states no oc:fileid: the path is the id');
    assert.equal(file.providerHash, null, 'the ETag is never taken for a hash');
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  assert.equal(byPath.get('root.mp3')?.mimeType, 'audio/mpeg');
  assert.equal(byPath.get('big/long.flac')?.mimeType, 'audio/flac');
  // Depth-first, each folder's files before its subfolders, names in code-unit order.
  assert.deepEqual(order, [
    'a+b;c=d (1).mp3',
    'empty.mp3',
    'root.mp3',
    'Artist A/Album 1/01 Intro.mp3',
    'Artist A/Album 1/02 100% #2.flac',
    'Artist A/Album 1/cover.jpg',
    'Artist A/Ünïcödé 日本/03 ü.mp3',
    'B & C (live) #1/x%20y.mp3',
    'Z/a/b/c/deep.mp3',
    'big/long.flac',
  ]);
});

test('list: a bad page token is refused', async () => {
  for (const token of ['nope', '{}', '{"f":[]}', '{"f":["../x"]}', '{"f":["a"],"a":1}']) {
    await rejectsWith(() => providerFor(rootUrl()).list(token, 10), 'invalid', /page token/);
  }
});

test('list: a folder that vanishes between pages is reported as unlisted, not as empty', async () => {
  const scratch = path.join(dir, 'scratch');
  for (const rel of ['a/1.mp3', 'b/2.mp3', 'b/c/3.mp3', 'd/4.mp3']) {
    await mkdir(path.dirname(path.join(scratch, rel)), { recursive: true });
    await writeFile(path.join(scratch, rel), rel);
  }
  const provider = providerFor(`${server.url}scratch/`);
  const first = await provider.list(undefined, 1);
  assert.deepEqual(first.files.map((f) => f.path), ['a/1.mp3']);
  await rm(path.join(scratch, 'b'), { recursive: true });
  const rest: ProviderFile[] = [];
  const unlisted: NonNullable<ListPage['unlisted']> = [];
  let token = first.nextPageToken;
  while (token) {
    const page = await provider.list(token, 1);
    rest.push(...page.files);
    unlisted.push(...(page.unlisted ?? []));
    token = page.nextPageToken;
  }
  assert.deepEqual(rest.map((f) => f.path), ['d/4.mp3']);
  assert.equal(unlisted.length, 1);
  assert.equal(unlisted[0]!.path, 'b');
  assert.equal(unlisted[0]!.folder, true);
  assert.match(unlisted[0]!.reason, /HTTP 404/);
});

test('open: ranged reads give the exact bytes with few requests', async () => {
  const provider = providerFor(rootUrl());
  const bytes = content.get('big/long.flac')!;
  const reader = (await provider.open({ fileId: 'big/long.flac', path: 'big/long.flac' })) as RemoteReader;
  try {
    assert.equal(reader.size, bytes.length);
    // A tag reader's pattern: the head, the tail, a seek into the middle.
    for (const [position, length] of [[0, 10], [10, 4096], [bytes.length - 128, 128], [700_000, 1000], [bytes.length - 10, 100]] as const) {
      const out = Buffer.alloc(length);
      const n = await reader.read(out, 0, length, position);
      assert.equal(n, Math.min(length, bytes.length - position));
      assert.ok(out.subarray(0, n).equals(bytes.subarray(position, position + n)), `bytes at ${position}`);
    }
    const random = reader.requests;
    assert.ok(random <= 4, `${random} GETs for a head, a tail and a seek`);
    const whole = await readAll(reader, 64 * 1024);
    assert.ok(whole.equals(bytes), 'the whole file, read in order');
    console.log(`# 1.5 MB file: ${random} GETs for 5 scattered reads, ${reader.requests} in all after a full read; ${reader.bytesTransferred} bytes transferred`);
    assert.ok(reader.requests <= random + 4, `${reader.requests} GETs in all`);
  } finally {
    await reader.close();
  }
  for (const rel of ['Artist A/Album 1/02 100% #2.flac', 'Artist A/Ünïcödé 日本/03 ü.mp3', 'B & C (live) #1/x%20y.mp3', 'a+b;c=d (1).mp3', 'empty.mp3']) {
    const small = (await provider.open({ fileId: rel, path: rel })) as RemoteReader;
    try {
      assert.equal(small.size, TREE[rel]);
      assert.ok((await readAll(small, 1000)).equals(content.get(rel)!), rel);
      assert.equal(small.requests, 1, `${rel}: read in one GET`);
    } finally {
      await small.close();
    }
  }
});

test('open: a file that vanished is notFound; a path outside the root is refused', async () => {
  const gone = path.join(root, 'gone.mp3');
  await writeFile(gone, 'x');
  const provider = providerFor(rootUrl());
  const { files } = await listAll(provider, 100);
  assert.ok(files.some((f) => f.path === 'gone.mp3'));
  await rm(gone);
  await rejectsWith(() => provider.open({ fileId: 'gone.mp3', path: 'gone.mp3' }), 'notFound');
  await rejectsWith(() => provider.open({ fileId: 'x', path: '../secret.mp3' }), 'invalid');
  await rejectsWith(() => provider.open({ fileId: 'x', path: 'a//b.mp3' }), 'invalid');
});

test('download: the exact bytes into the target, the size checked against the listing', async () => {
  const provider = providerFor(rootUrl());
  for (const rel of ['big/long.flac', 'Artist A/Ünïcödé 日本/03 ü.mp3', 'empty.mp3']) {
    const target = path.join(tempDir, `download-${createHash('md5').update(rel).digest('hex')}`);
    const { bytesRead } = await provider.download!({ fileId: rel, path: rel, size: TREE[rel] }, target);
    assert.equal(bytesRead, TREE[rel]);
    assert.ok((await readFile(target)).equals(content.get(rel)!), rel);
    await rm(target);
  }
  const target = path.join(tempDir, 'changed');
  await rejectsWith(() => provider.download!({ fileId: 'root.mp3', path: 'root.mp3', size: 1 }, target), 'invalid', /changed since it was listed/);
  await rm(target, { force: true });
});

describe('a server that states checksums (rclone --etag-hash MD5)', () => {
  let hashed: WebdavServer;
  before(async () => {
    hashed = await startWebdavServer({ root, etagHash: 'MD5' });
  });
  after(() => hashed?.stop());

  test('providerHash is md5:<hex> of the content', async () => {
    const provider = providerFor(hashed.url, { username: hashed.username, password: hashed.password });
    const { files } = await listAll(provider, 100);
    assert.equal(files.length, Object.keys(TREE).length);
    for (const file of files) {
      assert.equal(file.providerHash, `md5:${createHash('md5').update(content.get(file.path)!).digest('hex')}`, file.path);
    }
  });
});

describe('behind a proxy that answers as other servers do', () => {
  let proxy: http.Server;
  let proxyUrl: string;
  const seen: { method: string; path: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let refusePrefix: string | undefined;
  let throttleOnce = false;
  /** Entries added to the answer for a folder (by its decoded path). */
  const inject = new Map<string, string>();

  before(async () => {
    const upstream = new URL(server.url);
    proxy = http.createServer((req, res) => {
      seen.push({ method: req.method!, path: req.url! });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => (inFlight -= 1));
      if (throttleOnce && req.method === 'PROPFIND') {
        throttleOnce = false;
        res.writeHead(503, { 'Retry-After': '1' }).end();
        return;
      }
      if (refusePrefix && req.method === 'PROPFIND' && decodeURIComponent(req.url!).startsWith(refusePrefix)) {
        res.writeHead(403).end();
        return;
      }
      // Uncompressed, so the answer can be rewritten.
      const headers = { ...req.headers, 'accept-encoding': 'identity' };
      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
        if (req.method !== 'PROPFIND' || up.statusCode !== 207) {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          // Each entry twice: as rclone spells it, and as an absolute URL with lower-case escapes, raw
          // spaces and no trailing slash on folders.
          const body = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/<D:response>.*?<\/D:response>/gs, (entry) => {
              const respelled = entry.replace(/<D:href>([^<]*)<\/D:href>/, (_, href: string) => {
                const url = href.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()).replace(/%20/g, ' ').replace(/(.)\/$/, '$1');
                return `<D:href>http://${req.headers.host}${url}</D:href>`;
              });
              return respelled + entry;
            })
            .replace('</D:multistatus>', `${inject.get(decodeURIComponent(req.url!)) ?? ''}</D:multistatus>`);
          const headers = { ...up.headers };
          delete headers['content-length'];
          res.writeHead(207, headers).end(body);
        });
      });
      req.pipe(forward);
      forward.on('error', () => res.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/library%20root/`;
  });
  after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  test('hrefs in another spelling list the same files', async () => {
    const provider = providerFor(proxyUrl);
    await provider.validate();
    const direct = await listAll(providerFor(rootUrl()), 100);
    for (const pageSize of [1, 3, 100]) {
      const { files, unlisted } = await listAll(provider, pageSize);
      assert.deepEqual(files, direct.files, `page size ${pageSize}`);
      assert.deepEqual(unlisted, []);
    }
  });

  test('a refused subfolder is unlisted with its reason, the rest listed', async () => {
    refusePrefix = '/library root/Artist A/Album 1/';
    try {
      const { files, unlisted } = await listAll(providerFor(proxyUrl), 2);
      assert.deepEqual(unlisted, [{ path: 'Artist A/Album 1', reason: 'folder could not be listed: the WebDAV server answered HTTP 403', folder: true }]);
      assert.deepEqual(
        files.map((f) => f.path).sort(),
        Object.keys(TREE)
          .filter((p) => !p.startsWith('Artist A/Album 1/'))
          .sort(),
      );
    } finally {
      refusePrefix = undefined;
    }
  });

  test('odd entries: refused, unnamable, deeper than asked', async () => {
    const scratch = path.join(dir, 'odd');
    await mkdir(path.join(scratch, 'ok'), { recursive: true });
    await writeFile(path.join(scratch, 'ok', 'x.mp3'), 'x');
    const file = (href: string) =>
      `<D:response><D:href>${href}</D:href><D:propstat><D:prop><D:resourcetype></D:resourcetype><D:getcontentlength>5</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`;
    inject.set(
      '/odd/',
      `<D:response><D:href>/odd/secret/</D:href><D:status>HTTP/1.1 403 Forbidden</D:status></D:response>` +
        file('/odd/a%2Fb.mp3') +
        file('/odd/ghost/deeper.mp3') +
        `<D:response><D:href>/odd/nosize.mp3</D:href><D:propstat><D:prop><D:resourcetype></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`,
    );
    inject.set('/odd/ok/', file('/elsewhere/y.mp3'));
    try {
      const provider = providerFor(`${proxyUrl.replace(/library%20root\/$/, '')}odd/`);
      const { files, unlisted } = await listAll(provider, 100);
      assert.deepEqual(files, []);
      assert.deepEqual(unlisted, [
        { path: 'a%2Fb.mp3', reason: 'the server names it with a "/" or a NUL, which no path holds' },
        { path: 'nosize.mp3', reason: 'the server states no size for it' },
        { path: 'secret', reason: 'the server would not state its properties (HTTP 403)', folder: true },
        { path: 'ghost', reason: 'folder could not be listed: the WebDAV server answered HTTP 404', folder: true },
        { path: 'ok', reason: 'listing "ok", the server answered for "/elsewhere/y.mp3", which is not inside it (a proxy rewriting paths?)', folder: true },
      ]);
    } finally {
      inject.clear();
    }
  });

  test('a refused root is forbidden (not a credentials problem, and not an empty library)', async () => {
    refusePrefix = '/library root/';
    try {
      await rejectsWith(() => providerFor(proxyUrl).validate(), 'forbidden');
    } finally {
      refusePrefix = undefined;
    }
  });

  test('folders are listed several at a time', async () => {
    const scratch = path.join(dir, 'many');
    for (let i = 0; i < 24; i++) await mkdir(path.join(scratch, `album ${String(i).padStart(2, '0')}`), { recursive: true });
    for (let i = 0; i < 24; i++) await writeFile(path.join(scratch, `album ${String(i).padStart(2, '0')}`, 'x.mp3'), 'x');
    const provider = providerFor(`${proxyUrl.replace(/library%20root\/$/, '')}many/`);
    seen.length = 0;
    maxInFlight = 0;
    const { files, pages } = await listAll(provider, 1000);
    assert.equal(files.length, 24);
    assert.equal(pages, 1);
    assert.equal(seen.filter((r) => r.method === 'PROPFIND').length, 25, 'one PROPFIND per folder, none wasted on a single page');
    assert.ok(maxInFlight > 1, `${maxInFlight} PROPFINDs at once`);
    console.log(`# 25 folders listed with up to ${maxInFlight} PROPFINDs at once`);
  });

  test('a throttled PROPFIND waits for Retry-After and succeeds', async () => {
    throttleOnce = true;
    const started = Date.now();
    await providerFor(proxyUrl, undefined, { maxConnections: 2 }).validate();
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
  });

});

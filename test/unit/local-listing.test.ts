import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { compareSegments } from '../../src/providers/local/order.ts';
import { bytesToText, textToBytes } from '../../src/providers/path-bytes.ts';
import { ProviderError, type ListPage } from '../../src/providers/types.ts';

type Unlisted = NonNullable<ListPage['unlisted']>[number];

/** The whole listing, page by page; each page is asked twice, as a retried activity would. */
async function listAll(provider: LocalProvider, pageSize: number): Promise<{ files: string[]; unlisted: Unlisted[]; pages: number }> {
  const files: string[] = [];
  const unlisted: Unlisted[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await provider.list(token, pageSize);
    assert.deepEqual(await provider.list(token, pageSize), page, 'a retried page is the same page');
    assert.ok(page.files.length + (page.unlisted?.length ?? 0) <= pageSize, 'a page holds at most pageSize positions');
    files.push(...page.files.map((f) => f.path));
    unlisted.push(...(page.unlisted ?? []));
    token = page.nextPageToken;
    pages += 1;
    assert.ok(pages < 1000, 'the listing ends');
  } while (token);
  return { files, unlisted, pages };
}

const textOf = (relBytes: Buffer[]): string => relBytes.map(bytesToText).join('/');
const byOrder = (a: string, b: string): number => compareSegments(a.split('/'), b.split('/'));
const join = (root: string, rel: Buffer[]): Buffer => Buffer.concat([Buffer.from(root), ...rel.flatMap((s) => [Buffer.from('/'), s])]);

describe('names that are not plain', () => {
  let root: string;
  const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
  // Each file's content is its own path's bytes, so a read proves the right file was opened.
  const files: Buffer[][] = [
    [Buffer.from('a\nnew line.mp3')],
    [Buffer.from(`it's "quoted".mp3`)],
    [Buffer.from('%s %d %n.mp3')],
    [Buffer.from("'; drop table tracks; --.mp3")],
    [Buffer.from('back\\slash: *?<>|.mp3')],
    [Buffer.from(`${'a'.repeat(2)}${'é'.repeat(122)}.mp3`)], // 250 bytes, near the 255-byte limit
    [latin1('Beyonc\xe9'), latin1('Halo \xe9t\xe9.mp3')], // a Latin-1 rip: neither name is UTF-8
    [Buffer.from('Beyoncé'), Buffer.from('Halo.mp3')], // the same name in UTF-8 is another folder
    [Buffer.from([0xff, 0xfe, 0x2e, 0x6d, 0x70, 0x33])],
    [Buffer.from(`private ${String.fromCodePoint(0x10ffe9)}.mp3`)], // a real character of the escape range
    [Buffer.from('x.mp3'), Buffer.from('inside a folder named like a file.flac')],
    [Buffer.from('zz.mp3')],
  ];
  const expected = files.map(textOf).sort(byOrder);

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-names-'));
    for (const rel of files) {
      if (rel.length > 1) await mkdir(join(root, rel.slice(0, -1)), { recursive: true });
      await writeFile(join(root, rel), join(root, rel));
    }
    await writeFile(join(root, [Buffer.from([0x2e, 0xe9, 0x2e, 0x6d, 0x70, 0x33])]), 'hidden, and not UTF-8');
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('every name is listed once, in code-unit order of its text, across pages of every size', async () => {
    assert.equal(files[5]![0]!.length, 250);
    const provider = new LocalProvider(root);
    for (let pageSize = 1; pageSize <= files.length + 1; pageSize++) {
      const { files: listed, unlisted } = await listAll(provider, pageSize);
      assert.deepEqual(listed, expected, `page size ${pageSize}`);
      assert.deepEqual(unlisted, []);
    }
  });

  test('a listed path maps back to its bytes and opens the right file', async () => {
    const provider = new LocalProvider(root);
    const { files: listed } = await provider.list(undefined, 100);
    assert.ok(listed.some((f) => f.path === `Beyonc${String.fromCodePoint(0x10ffe9)}/Halo ${String.fromCodePoint(0x10ffe9)}t${String.fromCodePoint(0x10ffe9)}.mp3`));
    for (const file of listed) {
      const abs = join(root, file.path.split('/').map(textToBytes));
      const reader = await provider.open(file);
      const buffer = new Uint8Array(reader.size);
      assert.equal(await reader.read(buffer, 0, reader.size, 0), abs.length);
      await reader.close();
      assert.deepEqual(Buffer.from(buffer), abs, file.path);
      const s = await stat(abs, { bigint: true });
      assert.ok(file.fileId.startsWith(`${s.dev}:${s.ino}`));
    }
    // Messages are for people: escaped bytes read as the characters they most likely were.
    await assert.rejects(provider.open({ fileId: '', path: `Beyonc${String.fromCodePoint(0x10ffe9)}/gone.mp3` }), (e: unknown) =>
      e instanceof ProviderError && e.kind === 'notFound' && e.message === `${root}/Beyoncé/gone.mp3 does not exist`);
  });

  test('a token made from such a name resumes right after it', async () => {
    const provider = new LocalProvider(root);
    for (let i = 0; i < expected.length; i++) {
      const rest = (await provider.list(expected[i], 100)).files.map((f) => f.path);
      assert.deepEqual(rest, expected.slice(i + 1), `after ${JSON.stringify(expected[i])}`);
    }
  });
});

describe('entries that are not regular files, and links', () => {
  let root: string;
  let outside: string;
  let socketServer: net.Server;
  let hasDevice = false;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-special-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'music-sync-outside-'));
    await writeFile(path.join(outside, 'elsewhere.mp3'), 'outside');
    await writeFile(path.join(root, 'a.mp3'), 'a');
    await mkdir(path.join(root, 'b.mp3')); // a folder named like a file is a folder
    await writeFile(path.join(root, 'b.mp3', 'in-folder.mp3'), 'b');
    execFileSync('mkfifo', [path.join(root, 'c fifo.mp3')]);
    execFileSync('mkfifo', [path.join(root, '.mp3')]); // hidden, even as a FIFO
    await symlink('/dev/zero', path.join(root, 'd zero.mp3'));
    await symlink('/etc/passwd', path.join(root, 'e passwd.mp3'));
    await symlink(path.join(outside, 'elsewhere.mp3'), path.join(root, 'f outside.mp3'));
    await symlink('g loop.mp3', path.join(root, 'g loop.mp3'));
    await symlink('h dangling target.mp3', path.join(root, 'h dangling.mp3'));
    await symlink('a.mp3', path.join(root, 'i inside.mp3'));
    await symlink(root, path.join(root, 'j folder link')); // folder links stay unfollowed
    await symlink(outside, path.join(root, 'k outside folder link'));
    socketServer = net.createServer();
    await new Promise<void>((resolve) => socketServer.listen(path.join(root, 'l socket.mp3'), resolve));
    try {
      execFileSync('mknod', [path.join(root, 'm device.mp3'), 'c', '1', '3'], { stdio: 'ignore' }); // /dev/null's numbers
      hasDevice = true;
    } catch {
      hasDevice = false; // not root, or no CAP_MKNOD
    }
    await writeFile(path.join(root, 'z.mp3'), 'z');
  });
  after(async () => {
    await new Promise((resolve) => socketServer.close(resolve));
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('only regular files inside the root are listed; the rest is reported with a reason, once, on any page size', async () => {
    const provider = new LocalProvider(root);
    const expectedUnlisted: Unlisted[] = [
      { path: 'c fifo.mp3', reason: 'not a regular file (FIFO)' },
      { path: 'd zero.mp3', reason: 'symlink leads outside the music folder' },
      { path: 'e passwd.mp3', reason: 'symlink leads outside the music folder' },
      { path: 'f outside.mp3', reason: 'symlink leads outside the music folder' },
      { path: 'g loop.mp3', reason: 'symlink loop' },
      { path: 'l socket.mp3', reason: 'not a regular file (socket)' },
      ...(hasDevice ? [{ path: 'm device.mp3', reason: 'not a regular file (character device)' }] : []),
    ];
    const expectedFiles = ['a.mp3', 'b.mp3/in-folder.mp3', 'i inside.mp3', 'z.mp3'];
    const positions = expectedFiles.length + expectedUnlisted.length;
    for (let pageSize = 1; pageSize <= positions + 1; pageSize++) {
      const { files, unlisted, pages } = await listAll(provider, pageSize);
      assert.deepEqual(files, expectedFiles, `files, page size ${pageSize}`);
      assert.deepEqual(unlisted, expectedUnlisted, `unlisted, page size ${pageSize}`);
      // A page that ends on the last position still has a token; the page after it is empty.
      assert.equal(pages, Math.floor(positions / pageSize) + 1, `pages, page size ${pageSize}`);
    }
    // A link to a file inside the root is that file: same id.
    const { files } = await provider.list(undefined, 100);
    assert.equal(files.find((f) => f.path === 'i inside.mp3')!.fileId, files.find((f) => f.path === 'a.mp3')!.fileId);
  });
});

describe('folders that cannot be read', () => {
  let root: string;
  const uid = process.getuid?.();

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-unreadable-'));
    await chmod(root, 0o755); // the child below may run as nobody
    for (const f of ['a.mp3', 'b/1.mp3', 'b/2.mp3', 'c/1.mp3', 'c/d/1.mp3', 'e/1.mp3', 'f/1.mp3', 'g.mp3']) {
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await writeFile(path.join(root, f), f);
    }
    await chmod(path.join(root, 'c'), 0o000); // unreadable, with a folder inside
    await chmod(path.join(root, 'e'), 0o311); // may be entered, not read
    await chmod(path.join(root, 'f', '1.mp3'), 0o000); // listed (its folder is readable), but not readable
    await mkdir(path.join(root, 'locked'), { mode: 0o755 });
    await chmod(path.join(root, 'locked'), 0o000);
  });
  after(async () => {
    for (const d of ['c', 'e', 'locked']) await chmod(path.join(root, d), 0o755);
    await rm(root, { recursive: true, force: true });
  });

  // Root reads every folder, so the listing runs in a child that drops to nobody first (modules are
  // loaded before it does, so the sources need not be readable by nobody). Not root: it runs as is.
  function asNobody(folder: string, script: string, ...args: string[]): unknown {
    const providerUrl = pathToFileURL(path.resolve('src/providers/local/index.ts')).href;
    const code = `
      import { LocalProvider } from ${JSON.stringify(providerUrl)};
      if (process.getuid?.() === 0) { process.setgroups([]); process.setgid(65534); process.setuid(65534); }
      const [root, ...args] = process.argv.slice(1);
      const provider = new LocalProvider(root);
      const run = async () => { ${script} };
      try { console.log(JSON.stringify({ ok: await run() })); }
      catch (e) { console.log(JSON.stringify({ error: { name: e.name, kind: e.kind, message: e.message } })); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code, folder, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout);
  }

  test('an unreadable folder is reported (never an empty one), exactly once across pages of any size', { skip: uid === undefined }, () => {
    const script = `
      const pageSize = Number(args[0]);
      const files = [], unlisted = [];
      let token;
      do {
        const page = await provider.list(token, pageSize);
        const again = await provider.list(token, pageSize);
        if (JSON.stringify(again) !== JSON.stringify(page)) throw new Error('a retried page differs');
        files.push(...page.files.map((f) => f.path));
        unlisted.push(...(page.unlisted ?? []));
        token = page.nextPageToken;
      } while (token);
      return { files, unlisted };`;
    const denied = 'folder could not be listed: EACCES (permission denied)';
    for (const pageSize of [1, 2, 3, 4, 100]) {
      assert.deepEqual(asNobody(root, script, String(pageSize)), {
        ok: {
          files: ['a.mp3', 'b/1.mp3', 'b/2.mp3', 'f/1.mp3', 'g.mp3'],
          unlisted: [{ path: 'c', reason: denied, folder: true }, { path: 'e', reason: denied, folder: true }, { path: 'locked', reason: denied, folder: true }],
        },
      }, `page size ${pageSize}`);
    }
  });

  test('resuming after an unlisted folder skips it; an unreadable file is listed, and refused when opened', { skip: uid === undefined }, () => {
    assert.deepEqual(asNobody(root, `const page = await provider.list('c', 100); return [page.files.map((f) => f.path), page.unlisted.map((u) => u.path)];`), {
      ok: [['f/1.mp3', 'g.mp3'], ['e', 'locked']],
    });
    assert.deepEqual(asNobody(root, `return await provider.open({ fileId: '', path: 'f/1.mp3' });`), {
      error: { name: 'ProviderError', kind: 'forbidden', message: `${root}/f/1.mp3 is not readable` },
    });
  });

  test('an unreadable root is an error, not an empty listing', { skip: uid === undefined }, () => {
    const locked = path.join(root, 'locked');
    assert.deepEqual(asNobody(locked, 'await provider.validate();'), {
      error: { name: 'ProviderError', kind: 'forbidden', message: `music folder ${locked} is not readable` },
    });
    assert.deepEqual(asNobody(locked, 'return await provider.list(undefined, 10);'), {
      error: { name: 'ProviderError', kind: 'forbidden', message: `${locked} is not readable` },
    });
  });
});

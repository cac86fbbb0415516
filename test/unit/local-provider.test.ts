import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PROVIDER_KINDS } from '../../src/contract/providers.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { ProviderError } from '../../src/providers/types.ts';

let root: string;
// Code-unit order: 'zz' sorts before 'é'.
const files = ['a.mp3', 'b/c.flac', 'b/d/e.ogg', 'b/z.mp3', 'c.txt', 'zz/last.wav', 'é/ü.m4a'];

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-local-'));
  for (const f of files) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), f);
  }
  await writeFile(path.join(root, '.hidden.mp3'), 'x');
  await mkdir(path.join(root, 'b', '.git'), { recursive: true });
  await writeFile(path.join(root, 'b', '.git', 'x.mp3'), 'x');
  await symlink(root, path.join(root, 'b', 'loop')); // a folder link back to the root must not loop
});
after(() => rm(root, { recursive: true, force: true }));

test('lists every file once, in a stable order, across pages of any size', async () => {
  const provider = new LocalProvider(root);
  for (const pageSize of [1, 2, 3, 100]) {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await provider.list(token, pageSize);
      assert.ok(page.files.length <= pageSize);
      seen.push(...page.files.map((f) => f.path));
      token = page.nextPageToken;
      pages += 1;
      assert.ok(pages < 100, 'listing terminates');
    } while (token);
    assert.deepEqual(seen, files, `page size ${pageSize}`);
  }
});

test('file ids survive a rename, sizes and times are real', async () => {
  const provider = new LocalProvider(root);
  const before = (await provider.list(undefined, 100)).files.find((f) => f.path === 'a.mp3')!;
  assert.equal(before.size, 'a.mp3'.length);
  assert.ok(before.modifiedAt instanceof Date);
  const { rename } = await import('node:fs/promises');
  await rename(path.join(root, 'a.mp3'), path.join(root, 'zz', 'a-renamed.mp3'));
  const afterList = (await provider.list(undefined, 100)).files;
  assert.equal(afterList.find((f) => f.path === 'zz/a-renamed.mp3')!.fileId, before.fileId);
  await rename(path.join(root, 'zz', 'a-renamed.mp3'), path.join(root, 'a.mp3'));
});

test('reads byte ranges', async () => {
  const reader = await new LocalProvider(root).open({ fileId: '', path: 'b/d/e.ogg' });
  const buf = new Uint8Array(3);
  assert.equal(await reader.read(buf, 0, 3, 2), 3);
  assert.equal(Buffer.from(buf).toString(), 'd/e');
  assert.equal(await reader.read(buf, 0, 3, 100), 0);
  await reader.close();
});

test('a missing root is unavailable (never an empty library); a missing file is notFound', async () => {
  await assert.rejects(new LocalProvider(path.join(root, 'nope')).validate(), (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable');
  await assert.rejects(new LocalProvider(root).open({ fileId: '', path: 'missing.mp3' }), (e: unknown) => e instanceof ProviderError && e.kind === 'notFound');
});

test('the registry: a local profile is stored with an absolute folder; an unknown kind or a non-folder is refused', async () => {
  const providers = defaultProviders();
  assert.deepEqual(providers.kinds(), [...PROVIDER_KINDS]);
  const relative = path.relative(process.cwd(), path.join(root, 'b'));
  assert.deepEqual(await providers.normalizeProfile('local', { root: relative, settings: {} }), { root: path.join(root, 'b'), settings: {} });
  await assert.rejects(providers.normalizeProfile('local', { root: path.join(root, 'a.mp3'), settings: {} }), (e: unknown) =>
    e instanceof ProviderError && e.kind === 'invalid' && /is not a folder/.test(e.message));
  await assert.rejects(providers.normalizeProfile('local', { root: path.join(root, 'nope'), settings: {} }), /is not a folder/);
  assert.throws(() => providers.create({ provider: 'ftp', root, settings: {} }, { secrets: {}, tempDir: root }), (e: unknown) =>
    e instanceof ProviderError && e.kind === 'invalid' && e.message.includes(`unknown provider "ftp" (known: ${PROVIDER_KINDS.join(', ')})`));
  assert.ok(providers.create({ provider: 'local', root, settings: {} }, { secrets: {}, tempDir: root }) instanceof LocalProvider);
});

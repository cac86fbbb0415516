import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { openRegularFile } from '../../src/providers/local/open.ts';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/types.ts';

// Every test here would hang on a blocking open: the timeout turns a hang into a failure.
const options = { timeout: 10_000 };
let root: string;
let outside: string;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-open-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'music-sync-open-outside-'));
  await writeFile(path.join(outside, 'secret.mp3'), 'not yours');
  await writeFile(path.join(root, 'song.mp3'), 'song bytes');
  await mkdir(path.join(root, 'folder.mp3'));
  execFileSync('mkfifo', [path.join(root, 'fifo.mp3')]);
  await symlink('/dev/zero', path.join(root, 'zero.mp3'));
  await symlink('/etc/passwd', path.join(root, 'passwd.mp3'));
  await symlink('song.mp3', path.join(root, 'link to song.mp3'));
  await symlink('loop.mp3', path.join(root, 'loop.mp3'));
  await symlink(outside, path.join(root, 'outside folder'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function refused(kind: ProviderErrorKind, message: RegExp) {
  return (e: unknown) => e instanceof ProviderError && e.kind === kind && message.test(e.message);
}

test('a FIFO, a folder or a device is never read, and opening one does not wait', options, async () => {
  const provider = new LocalProvider(root);
  await assert.rejects(provider.open({ fileId: '', path: 'fifo.mp3' }), refused('invalid', /^not a regular file: .*fifo\.mp3 \(FIFO\)$/));
  await assert.rejects(provider.open({ fileId: '', path: 'folder.mp3' }), refused('invalid', /^not a regular file: .*folder\.mp3 \(folder\)$/));
  // Past the checks by path (a FIFO swapped in after them): the handle is checked before any read.
  await assert.rejects(openRegularFile(Buffer.from(path.join(root, 'fifo.mp3')), 'fifo.mp3'), refused('invalid', /^not a regular file: fifo\.mp3 \(FIFO\)$/));
  await assert.rejects(openRegularFile(Buffer.from('/dev/zero'), '/dev/zero'), refused('invalid', /\(character device\)$/));
});

test('a file swapped for a FIFO after the listing is refused, without blocking', options, async () => {
  const provider = new LocalProvider(root);
  await writeFile(path.join(root, 'swapped.mp3'), 'x');
  const listed = (await provider.list(undefined, 100)).files.find((f) => f.path === 'swapped.mp3')!;
  await unlink(path.join(root, 'swapped.mp3'));
  execFileSync('mkfifo', [path.join(root, 'swapped.mp3')]);
  await assert.rejects(provider.open(listed), refused('invalid', /not a regular file/));
  await unlink(path.join(root, 'swapped.mp3'));
});

test('nothing outside the root is opened: links leading out, folders linked from outside, `..`', options, async () => {
  const provider = new LocalProvider(root);
  for (const p of ['zero.mp3', 'passwd.mp3', 'outside folder/secret.mp3']) {
    await assert.rejects(provider.open({ fileId: '', path: p }), refused('invalid', /leads outside the music folder$/), p);
  }
  for (const p of ['../etc/passwd', 'a/../../x.mp3', '/etc/passwd', '', './song.mp3', 'folder.mp3/', 'song.mp3\0.txt']) {
    await assert.rejects(provider.open({ fileId: '', path: p }), refused('invalid', /is not a path inside the music folder$/), JSON.stringify(p));
  }
  await assert.rejects(provider.open({ fileId: '', path: 'a\ud800.mp3' }), refused('invalid', /lone surrogate/));
  await assert.rejects(provider.open({ fileId: '', path: 'loop.mp3' }), refused('invalid', /ELOOP/));
});

test('a link to a file inside the root reads that file', options, async () => {
  const reader = await new LocalProvider(root).open({ fileId: '', path: 'link to song.mp3' });
  const buffer = new Uint8Array(reader.size);
  assert.equal(await reader.read(buffer, 0, buffer.length, 0), 'song bytes'.length);
  assert.equal(Buffer.from(buffer).toString(), 'song bytes');
  await reader.close();
});

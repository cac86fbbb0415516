import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalProvider } from '../../src/providers/local/index.ts';

let root: string;
let hasBirthTime: boolean;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-identity-'));
  await mkdir(path.join(root, 'sub'));
  hasBirthTime = (await stat(root, { bigint: true })).birthtimeNs > 0n;
});
after(() => rm(root, { recursive: true, force: true }));

async function idOf(relPath: string): Promise<string> {
  const files = (await new LocalProvider(root).list(undefined, 1000)).files;
  const file = files.find((f) => f.path === relPath);
  assert.ok(file, `${relPath} is listed`);
  return file.fileId;
}

test('a file id is dev:ino:btime where the file system keeps birth times, dev:ino elsewhere', async () => {
  await writeFile(path.join(root, 'format.mp3'), 'x');
  const s = await stat(path.join(root, 'format.mp3'), { bigint: true });
  const expected = hasBirthTime ? `${s.dev}:${s.ino}:${s.birthtimeNs}` : `${s.dev}:${s.ino}`;
  assert.equal(await idOf('format.mp3'), expected);
  await unlink(path.join(root, 'format.mp3'));
});

test('the id survives a rename, a move to another folder, a rewrite in place and new times or modes', async () => {
  await writeFile(path.join(root, 'a.mp3'), 'old tags');
  const id = await idOf('a.mp3');
  await rename(path.join(root, 'a.mp3'), path.join(root, 'b.mp3'));
  assert.equal(await idOf('b.mp3'), id);
  await rename(path.join(root, 'b.mp3'), path.join(root, 'sub', 'c.mp3'));
  assert.equal(await idOf('sub/c.mp3'), id);
  await writeFile(path.join(root, 'sub', 'c.mp3'), 'new tags, written in place'); // O_TRUNC: same inode
  await utimes(path.join(root, 'sub', 'c.mp3'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  await chmod(path.join(root, 'sub', 'c.mp3'), 0o600);
  assert.equal(await idOf('sub/c.mp3'), id);
  await unlink(path.join(root, 'sub', 'c.mp3'));
});

test('a new file on a reused inode gets a new id', async (t) => {
  if (!hasBirthTime) {
    t.skip('this file system keeps no birth times: ids are dev:ino and content decides');
    return;
  }
  // Linux hands a freed inode to the next file created, usually at once; try a bounded number of times.
  for (let attempt = 0; attempt < 200; attempt++) {
    await writeFile(path.join(root, 'old.mp3'), 'old song');
    const oldId = await idOf('old.mp3');
    const oldIno = (await stat(path.join(root, 'old.mp3'), { bigint: true })).ino;
    await unlink(path.join(root, 'old.mp3'));
    await writeFile(path.join(root, 'new.mp3'), 'another song');
    const newIno = (await stat(path.join(root, 'new.mp3'), { bigint: true })).ino;
    const newId = await idOf('new.mp3');
    await unlink(path.join(root, 'new.mp3'));
    if (newIno !== oldIno) continue;
    assert.notEqual(newId, oldId);
    assert.equal(newId.split(':').slice(0, 2).join(':'), oldId.split(':').slice(0, 2).join(':'), 'same dev:ino');
    return;
  }
  t.skip('the file system never reused an inode in 200 tries');
});

test('a tool that writes a new file and renames it over the old one makes a new id (content then decides)', async () => {
  await writeFile(path.join(root, 'song.mp3'), 'v1');
  const id = await idOf('song.mp3');
  await writeFile(path.join(root, 'song.mp3.tmp'), 'v2');
  await rename(path.join(root, 'song.mp3.tmp'), path.join(root, 'song.mp3'));
  assert.notEqual(await idOf('song.mp3'), id);
  await unlink(path.join(root, 'song.mp3'));
});

// What every StorageProvider must do, as node:test tests over a real folder: the suite writes a tree
// into the folder the provider serves (directly for `local`, through rclone's `serve webdav` or
// `serve s3` for the network providers, see src/testing/remote-servers.ts), changes it on disk, and
// checks what the provider lists and reads against the bytes on disk.
//
//   providerContract('webdav', async () => {
//     const served = await mkdtemp(...);
//     const server = await startWebdavServer({ root: served });
//     return {
//       root: served,                          // the folder whose contents the provider serves
//       provider: () => /* a fresh provider over server.url */,
//       missingRoot: () => /* one over a folder that does not exist */,
//       teardown: async () => { await server.stop(); await rm(served, { recursive: true, force: true }); },
//     };
//   });
//
// For S3 the provider's root is a bucket: `root` is one subfolder of the server's root (created before
// setup returns). `teardown` owns `root` and removes it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProviderFile, RandomAccessReader, StorageProvider } from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';

export interface ContractSubject {
  /** The local folder whose contents the provider serves (empty; the suite fills it). */
  root: string;
  /** A fresh provider over it (each test makes its own). */
  provider: () => StorageProvider;
  /** A provider whose root does not exist (a folder, a bucket); its validate() must fail cleanly. */
  missingRoot?: () => StorageProvider;
  /** Stops what setup started and removes `root`. */
  teardown(): Promise<void>;
}

/** The tree every provider is checked with: nested folders, spaces, NFC Unicode, characters URLs
 * escape, a 0-byte and a 1-byte file, sizes across read-ahead windows. No dot-files: hidden files are
 * each provider's own policy. Sizes in bytes; contents are deterministic from the path. */
export const CONTRACT_TREE: Readonly<Record<string, number>> = {
  'top.mp3': 1000,
  'zero.mp3': 0,
  'one byte.ogg': 1,
  'Album One/01 - Intro.mp3': 65_536 + 7,
  'Album One/02 - Long Song.flac': 1_200_003,
  'Album One/Disc 2/03 deep.wav': 4096,
  'Ünïcödé/Café del Mar – Ñandú.mp3': 777,
  '日本語/曲 (ライブ).m4a': 333,
  'URL chars/100% #1 ?&+=;,@ [x] {y}.mp3': 500,
  "URL chars/it's ~ $ !.opus": 123,
  'a/b/c/d/e/deep.aac': 2049,
};

/** Folders with nothing in them: never listed as files. */
export const CONTRACT_EMPTY_FOLDERS: readonly string[] = ['empty', 'a/b/empty inside'];

/** Every file's modification time (with milliseconds, which WebDAV loses and S3 listings keep). */
const MTIME = new Date('2024-03-04T05:06:07.678Z');

/** Listed times may lose the sub-second part (WebDAV's getlastmodified is an HTTP date). */
const TIME_TOLERANCE_MS = 1000;

export function contractBytes(relative: string, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = createHash('sha256').update(relative).digest().readUInt32LE(0);
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

async function put(root: string, relative: string, bytes: Buffer, mtime = MTIME): Promise<void> {
  const file = path.join(root, ...relative.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  await utimes(file, mtime, mtime);
}

/** Every file of a full listing, page by page; checks each page keeps to the page size. */
export async function listAll(provider: StorageProvider, pageSize: number): Promise<ProviderFile[]> {
  const files: ProviderFile[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await provider.list(token, pageSize);
    assert.ok(page.files.length <= pageSize, `a page of ${page.files.length} files for a page size of ${pageSize}`);
    assert.deepEqual(page.unlisted ?? [], [], 'nothing left unlisted');
    files.push(...page.files);
    token = page.nextPageToken;
    pages += 1;
    assert.ok(pages <= 10 * (Object.keys(CONTRACT_TREE).length + 10), 'the listing ends');
  } while (token);
  return files;
}

/** Reads until `length` bytes or the end of the file: a read may return fewer bytes than asked. */
async function readFully(reader: RandomAccessReader, position: number, length: number, bufferOffset = 0): Promise<Buffer> {
  const buffer = Buffer.alloc(bufferOffset + length, 0xee);
  let done = 0;
  while (done < length) {
    const n = await reader.read(buffer, bufferOffset + done, length - done, position + done);
    assert.ok(n >= 0 && n <= length - done, `read returned ${n}`);
    if (n === 0) break;
    done += n;
  }
  assert.ok(buffer.subarray(0, bufferOffset).every((b) => b === 0xee), 'nothing written before the offset');
  return buffer.subarray(bufferOffset, bufferOffset + done);
}

const HASHES: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256' };

function checkHash(file: ProviderFile, bytes: Buffer): void {
  if (file.providerHash === null) return;
  const match = /^([a-z0-9-]+):(.+)$/.exec(file.providerHash);
  assert.ok(match, `providerHash is algo:value, got ${file.providerHash}`);
  const algorithm = HASHES[match[1]];
  // A hash named after a known algorithm must be that algorithm's digest of the bytes.
  if (algorithm) assert.equal(match[2], createHash(algorithm).update(bytes).digest('hex'), `${match[1]} of ${file.path}`);
}

async function isNotFound(promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ProviderError, `${what}: a ProviderError, got ${String(err)}`);
    assert.equal(err.kind, 'notFound', `${what}: ${err.message}`);
    return true;
  });
}

/** Registers the contract's tests for one provider, in a `describe` named after it. */
export function providerContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`provider contract: ${name}`, () => {
    let subject: ContractSubject | undefined;
    const expected = new Map<string, Buffer>();
    const current = () => {
      assert.ok(subject, 'setup ran');
      return subject;
    };

    before(async () => {
      subject = await setup();
      for (const [relative, size] of Object.entries(CONTRACT_TREE)) {
        assert.equal(relative, relative.normalize('NFC'));
        const bytes = contractBytes(relative, size);
        await put(subject.root, relative, bytes);
        expected.set(relative, bytes);
      }
      for (const folder of CONTRACT_EMPTY_FOLDERS) await mkdir(path.join(subject.root, ...folder.split('/')), { recursive: true });
    });
    after(async () => {
      await subject?.teardown();
    });

    /** The listing holds exactly the files of `files`, with their sizes, ids, times and hashes. */
    const checkListing = (listed: ProviderFile[], files: Map<string, Buffer>, times: Map<string, Date>) => {
      const paths = listed.map((f) => f.path);
      assert.equal(new Set(paths).size, paths.length, `no file twice: ${paths.join(', ')}`);
      assert.deepEqual([...paths].sort(), [...files.keys()].sort());
      const ids = listed.map((f) => f.fileId);
      assert.equal(new Set(ids).size, ids.length, 'file ids are unique');
      for (const file of listed) {
        const bytes = files.get(file.path)!;
        assert.equal(file.size, bytes.length, `size of ${file.path}`);
        assert.equal(typeof file.fileId, 'string');
        assert.ok(file.fileId.length > 0, `a file id for ${file.path}`);
        assert.ok(file.modifiedAt instanceof Date && !Number.isNaN(file.modifiedAt.getTime()), `a modification time for ${file.path}`);
        const drift = Math.abs(file.modifiedAt.getTime() - (times.get(file.path) ?? MTIME).getTime());
        assert.ok(drift < TIME_TOLERANCE_MS, `modifiedAt of ${file.path} is ${file.modifiedAt.toISOString()}`);
        checkHash(file, bytes);
      }
    };

    test('validate() succeeds', async () => {
      await current().provider().validate();
    });

    test('validate() of a root that does not exist rejects with a ProviderError', async (t) => {
      const missing = current().missingRoot;
      if (!missing) {
        t.skip('the setup gave no provider over a missing root');
        return;
      }
      await assert.rejects(missing().validate(), (err: unknown) => {
        assert.ok(err instanceof ProviderError, `a ProviderError, got ${String(err)}`);
        assert.ok(['unavailable', 'notFound', 'invalid'].includes(err.kind), `kind ${err.kind}: ${err.message}`);
        return true;
      });
    });

    test('list() returns every file exactly once, with its path, size, id and time, at page sizes 1, 3 and 1000', async () => {
      const idsByPath = new Map<string, string>();
      for (const pageSize of [1, 3, 1000]) {
        const listed = await listAll(current().provider(), pageSize);
        checkListing(listed, expected, new Map());
        for (const file of listed) {
          const known = idsByPath.get(file.path) ?? file.fileId;
          assert.equal(file.fileId, known, `the id of ${file.path} is stable from one listing to the next`);
          idsByPath.set(file.path, file.fileId);
        }
      }
    });

    test('the next listing sees files added, changed and removed on disk', async () => {
      const { root } = current();
      const files = new Map(expected);
      const times = new Map<string, Date>();
      // Whatever fails on the way, the tree is as it was for the tests that follow.
      try {
        const added = { 'Later/new song.mp3': contractBytes('new', 100), 'Later/deeper/x.flac': contractBytes('x', 10) };
        for (const [relative, bytes] of Object.entries(added)) {
          await put(root, relative, bytes);
          files.set(relative, bytes);
        }
        checkListing(await listAll(current().provider(), 1000), files, times);

        const before = (await listAll(current().provider(), 1000)).find((f) => f.path === 'Later/new song.mp3')!;
        const changedAt = new Date(MTIME.getTime() + 3_600_000);
        const changed = contractBytes('changed', 250);
        await put(root, 'Later/new song.mp3', changed, changedAt);
        files.set('Later/new song.mp3', changed);
        times.set('Later/new song.mp3', changedAt);
        const afterChange = await listAll(current().provider(), 1000);
        checkListing(afterChange, files, times);
        const after = afterChange.find((f) => f.path === 'Later/new song.mp3')!;
        if (before.providerHash !== null && after.providerHash !== null) assert.notEqual(after.providerHash, before.providerHash);

        await rm(path.join(root, 'Later'), { recursive: true });
        checkListing(await listAll(current().provider(), 1000), expected, new Map());
      } finally {
        await rm(path.join(root, 'Later'), { recursive: true, force: true });
      }
    });

    test('open() reads the exact bytes at the head, middle and tail, across the end and at any buffer offset', async () => {
      const listed = await listAll(current().provider(), 1000);
      const provider = current().provider();
      for (const file of listed) {
        const bytes = expected.get(file.path);
        assert.ok(bytes, `${file.path} is listed but not on disk`);
        const size = bytes.length;
        const reader = await provider.open({ fileId: file.fileId, path: file.path, size: file.size });
        try {
          assert.equal(reader.size, size, `size of ${file.path}`);
          const at = (position: number, length: number) => bytes.subarray(position, Math.min(size, position + length));
          assert.deepEqual(await readFully(reader, 0, 16), at(0, 16), `head of ${file.path}`);
          const middle = Math.max(0, Math.floor(size / 2) - 8);
          assert.deepEqual(await readFully(reader, middle, 16, 5), at(middle, 16), `middle of ${file.path}`);
          const tail = Math.max(0, size - 16);
          assert.deepEqual(await readFully(reader, tail, 16), at(tail, 16), `tail of ${file.path}`);
          const acrossEnd = Math.max(0, size - 5);
          assert.deepEqual(await readFully(reader, acrossEnd, 64), at(acrossEnd, 64), `across the end of ${file.path}`);
          assert.equal(await reader.read(Buffer.alloc(8), 0, 8, size), 0, `nothing at the end of ${file.path}`);
        } finally {
          await reader.close();
        }
      }
    });

    test('open() reads a whole file in odd-sized steps, and concurrent reads of one reader each get their bytes', async () => {
      const provider = current().provider();
      const listed = await listAll(provider, 1000);
      for (const relative of ['Album One/02 - Long Song.flac', 'Album One/01 - Intro.mp3']) {
        const file = listed.find((f) => f.path === relative)!;
        const bytes = expected.get(relative)!;
        const reader = await provider.open(file);
        try {
          const parts: Buffer[] = [];
          for (let position = 0; position < bytes.length; position += 65_537) parts.push(await readFully(reader, position, 65_537));
          assert.ok(Buffer.concat(parts).equals(bytes), `${relative} read whole in steps`);
          const positions = [bytes.length - 1000, 0, Math.floor(bytes.length / 3), 70_000 % bytes.length, 1];
          const reads = await Promise.all(positions.map((p) => readFully(reader, p, 1000)));
          positions.forEach((p, i) => assert.ok(reads[i].equals(bytes.subarray(p, p + 1000)), `${relative} at ${p}, read concurrently`));
        } finally {
          await reader.close();
        }
      }
    });

    test('open() of a file deleted since it was listed rejects with ProviderError notFound', async () => {
      const { root } = current();
      const gone = path.join(root, 'soon gone.mp3');
      try {
        await put(root, 'soon gone.mp3', contractBytes('gone', 300));
        const listed = (await listAll(current().provider(), 1000)).find((f) => f.path === 'soon gone.mp3');
        assert.ok(listed, 'listed while it was there');
        await rm(gone);
        await isNotFound(current().provider().open(listed), 'open of a deleted file');
      } finally {
        await rm(gone, { force: true });
      }
    });

    test('download() writes the exact bytes of each file and answers the bytes it read', async (t) => {
      const provider = current().provider();
      if (!provider.download) {
        t.skip(`${name} has no download()`);
        return;
      }
      const download = provider.download.bind(provider);
      const targets = await mkdtemp(path.join(os.tmpdir(), 'music-sync-contract-download-'));
      try {
        const listed = await listAll(provider, 1000);
        for (const [i, file] of listed.entries()) {
          const target = path.join(targets, `file-${i}`);
          const bytes = expected.get(file.path);
          assert.ok(bytes, `${file.path} is listed but not on disk`);
          const { bytesRead } = await download(file, target);
          assert.ok((await readFile(target)).equals(bytes), `downloaded ${file.path}`);
          assert.ok(bytesRead >= bytes.length, `bytesRead ${bytesRead} for ${bytes.length} bytes of ${file.path}`);
        }
        const { root } = current();
        await put(root, 'soon gone.mp3', contractBytes('gone', 300));
        const gone = (await listAll(provider, 1000)).find((f) => f.path === 'soon gone.mp3');
        assert.ok(gone, 'listed while it was there');
        await rm(path.join(root, 'soon gone.mp3'));
        await isNotFound(download(gone, path.join(targets, 'gone')), 'download of a deleted file');
      } finally {
        await rm(path.join(current().root, 'soon gone.mp3'), { force: true });
        await rm(targets, { recursive: true, force: true });
      }
    });
  });
}

/** Awaits a promise that must fail with a ProviderError of `kind` (and a message matching `pattern`);
 * the error, for more checks. */
export async function rejectsWith(promise: Promise<unknown>, kind: ProviderError['kind'], pattern?: RegExp): Promise<ProviderError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProviderError, `a ProviderError(${kind}), got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

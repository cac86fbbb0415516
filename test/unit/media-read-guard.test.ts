// Every provider call of a file's read has a deadline and an abort path: a read that never returns
// (a FIFO, a hung mount) fails the file as stalled, or gives way to a cancel, at whatever point of
// the read it hangs; and bytesRead counts every byte the provider handed over.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readTrack, UnreadableFileError } from '../../src/media/read-track.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import type { ProviderFile, RandomAccessReader, StorageProvider } from '../../src/providers/types.ts';
import { encodeMp3 } from '../../src/testing/fixtures.ts';

let dir: string;
const FILE = { fileId: 'a', path: 'a.mp3', mimeType: null };

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-guard-'));
  // Over 1 MiB, so the hash pass takes more than one read.
  await writeFile(path.join(dir, 'a.mp3'), encodeMp3({ title: 'A', artists: ['B'], picture: true }, 1, 3000));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Hanging {
  provider: StorageProvider;
  /** Reads made (the hanging one included), bytes handed over, whether the reader was closed. */
  stats: { reads: number; bytes: number; closed: boolean; hung: boolean };
}

/** The local folder's provider, except that read number `hangAt` (1-based) never returns; with
 * `hangOpen`, open() never returns. */
function hanging(options: { hangAt?: number; hangOpen?: boolean }): Hanging {
  const local = new LocalProvider(dir);
  const stats = { reads: 0, bytes: 0, closed: false, hung: false };
  const never = new Promise<never>(() => {});
  const provider: StorageProvider = {
    kind: 'hanging',
    usesNetwork: false,
    validate: () => local.validate(),
    list: (token, size) => local.list(token, size),
    async open(file: Pick<ProviderFile, 'fileId' | 'path'>): Promise<RandomAccessReader> {
      if (options.hangOpen) {
        stats.hung = true;
        return never;
      }
      const inner = await local.open(file);
      return {
        size: inner.size,
        async read(buffer, offset, length, position) {
          stats.reads += 1;
          if (stats.reads === options.hangAt) {
            stats.hung = true;
            return never;
          }
          const n = await inner.read(buffer, offset, length, position);
          stats.bytes += n;
          return n;
        },
        async close() {
          stats.closed = true;
          await inner.close();
        },
      };
    },
  };
  return { provider, stats };
}

test('bytesRead counts every byte the provider handed over', async () => {
  const { provider, stats } = hanging({});
  const result = await readTrack(provider, FILE, { parseTimeoutMs: 30_000 });
  assert.equal(result.bytesRead, stats.bytes);
  assert.ok(stats.bytes > 1 << 20, 'the whole file was read once at least');
  assert.ok(stats.closed);
});

test('a read that hangs, whichever it is (tags, structure walk, hash pass), fails the file as stalled', async () => {
  const { stats: whole } = await (async () => {
    const h = hanging({});
    await readTrack(h.provider, FILE, { parseTimeoutMs: 30_000 });
    return h;
  })();
  assert.ok(whole.reads >= 4, `${whole.reads} reads`);
  for (let hangAt = 1; hangAt <= whole.reads; hangAt++) {
    const { provider, stats } = hanging({ hangAt });
    const started = performance.now();
    await assert.rejects(readTrack(provider, FILE, { parseTimeoutMs: 30_000, stallTimeoutMs: 100 }), (err: unknown) => {
      assert.ok(err instanceof UnreadableFileError, String(err));
      assert.equal(err.message, 'reading stalled for 0.1 s');
      return true;
    });
    assert.ok(stats.hung, `read ${hangAt} hung`);
    assert.ok(performance.now() - started < 5_000, 'the stuck read was abandoned');
    await waitFor(() => stats.closed, 'the reader is closed in the background');
  }
});

test('an open that hangs fails the file as stalled', async () => {
  const { provider } = hanging({ hangOpen: true });
  await assert.rejects(readTrack(provider, FILE, { parseTimeoutMs: 30_000, stallTimeoutMs: 50 }), /reading stalled for 0.05 s/);
});

test('a cancel reaches a file whose read hangs, and is no verdict on the file', async () => {
  for (const hangAt of [1, 3]) {
    const { provider, stats } = hanging({ hangAt });
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(readTrack(provider, FILE, { parseTimeoutMs: 30_000, stallTimeoutMs: 60_000, signal: controller.signal }), (err: unknown) => {
      assert.equal(err, reason, 'the abort reason, not an UnreadableFileError');
      return true;
    });
    assert.ok(stats.hung);
    await waitFor(() => stats.closed, 'the reader is closed in the background');
  }
  const { provider } = hanging({ hangOpen: true });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(readTrack(provider, FILE, { parseTimeoutMs: 30_000, signal: controller.signal }), { name: 'AbortError' });
});

test('an aborted signal stops a file before it is opened', async () => {
  const { provider, stats } = hanging({});
  await assert.rejects(readTrack(provider, FILE, { parseTimeoutMs: 30_000, signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(stats.reads, 0);
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

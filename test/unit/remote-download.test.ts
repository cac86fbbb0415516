import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { type DownloadOptions, downloadTo } from '../../src/providers/remote/download.ts';
import { AccountLimiter } from '../../src/providers/remote/limiter.ts';
import { sweepTempFiles, tempFilePath } from '../../src/providers/remote/temp-files.ts';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/types.ts';
import { useRangeServer } from '../helpers/range-server.ts';

const options = { timeout: 10_000 };
const song = randomBytes(2 * 1024 * 1024 + 17);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const used = useRangeServer({ '/song.flac': song, '/empty.mp3': new Uint8Array(0) }, 'music-sync-download-');

/** Downloads into a new temporary file, reads it and deletes it, as a caller does. */
async function download(file: string, extra: Partial<DownloadOptions> = {}) {
  const target = await tempFilePath(used.tempDir);
  try {
    const result = await downloadTo({
      fetchRange: used.server.fetchRange(file),
      limiter: new AccountLimiter({ account: 'test', maxConcurrency: 4, throttleBackoffMs: 10 }),
      what: `GET ${file}`,
      target,
      policy: { baseDelayMs: 5, maxDelayMs: 20 },
      ...extra,
    });
    return { ...result, bytes: await readFile(target) };
  } finally {
    await rm(target, { force: true });
  }
}

function kindOf(kind: ProviderErrorKind, message?: RegExp) {
  return (e: unknown) => e instanceof ProviderError && e.kind === kind && (!message || message.test(e.message));
}

test('one streamed GET copies the file', options, async () => {
  const { size, bytesRead, bytes } = await download('/song.flac', { expectedSize: song.length });
  assert.equal(sha(bytes), sha(song));
  assert.equal(size, song.length);
  assert.equal(bytesRead, song.length);
  assert.equal(used.server.stats.requests, 1);
  assert.equal(used.server.stats.bytesSent, song.length);
});

test('a transfer cut short resumes with Range from the bytes written', options, async () => {
  used.server.faults = [{ kind: 'truncate', after: 300_000 }];
  const { bytesRead, bytes } = await download('/song.flac');
  assert.equal(sha(bytes), sha(song));
  assert.equal(used.server.stats.requests, 2);
  assert.equal(used.server.stats.ranges[0], 'bytes=0-');
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(used.server.stats.ranges[1] ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 300_000, `resumed at ${resumedAt}`);
  assert.equal(bytesRead, song.length, 'every byte received was kept');
});

test('transfers that keep breaking after progress are not limited by the attempts', options, async () => {
  used.server.faults = Array.from({ length: 6 }, () => ({ kind: 'truncate', after: 200_000 }) as const);
  const { bytes } = await download('/song.flac', { policy: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } });
  assert.equal(sha(bytes), sha(song));
  assert.equal(used.server.stats.requests, 7);
});

test('resets, used.server errors and a stall mid-body are retried', options, async () => {
  used.server.faults = [{ kind: 'reset' }, { kind: 'status', status: 500 }, { kind: 'stall', after: 100_000 }, { kind: 'status', status: 503, retryAfter: '0' }];
  const { bytes } = await download('/song.flac', { attemptTimeoutMs: 200 });
  assert.equal(sha(bytes), sha(song));
  assert.equal(used.server.stats.requests, 5);
});

test('a used.server that ignores Range on the resume makes the copy start over', options, async () => {
  used.server.ignoreRange = true;
  used.server.faults = [{ kind: 'truncate', after: 500_000 }];
  const { bytes, bytesRead } = await download('/song.flac');
  assert.equal(sha(bytes), sha(song));
  assert.equal(bytes.length, song.length);
  assert.ok(bytesRead > song.length && bytesRead <= song.length + 500_000, `${bytesRead} bytes`);
});

test('refusals are not retried; a file of another size than listed is not copied', options, async () => {
  await assert.rejects(download('/gone.flac'), kindOf('notFound'));
  assert.equal(used.server.stats.requests, 1);
  used.server.resetStats();
  used.server.faults = [{ kind: 'status', status: 403 }];
  await assert.rejects(download('/song.flac'), kindOf('forbidden', /access denied/));
  assert.equal(used.server.stats.requests, 1);
  await assert.rejects(download('/song.flac', { expectedSize: 1000 }), kindOf('invalid', /changed since it was listed/));
});

test('an existing target is never overwritten; an empty file is copied', options, async () => {
  const target = path.join(used.tempDir, 'mine.flac');
  await writeFile(target, 'keep me');
  await assert.rejects(
    downloadTo({ fetchRange: used.server.fetchRange('/song.flac'), limiter: new AccountLimiter({ account: 't', maxConcurrency: 1 }), what: 'GET song.flac', target }),
    { code: 'EEXIST' },
  );
  assert.equal(await readFile(target, 'utf8'), 'keep me');
  assert.equal(used.server.stats.requests, 0);
  await rm(target);

  const { size, bytes } = await download('/empty.mp3', { expectedSize: 0 });
  assert.equal(size, 0);
  assert.equal(bytes.length, 0);
});

test("the caller's abort stops the transfer at once", options, async () => {
  used.server.faults = [{ kind: 'stall', after: 10_000 }];
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('cancelled')), 100);
  await assert.rejects(download('/song.flac', { signal: controller.signal, attemptTimeoutMs: 5000 }), /cancelled/);
  assert.equal(used.server.stats.requests, 1);
});

test('temporary files: our names, swept only when stale and only ours', options, async () => {
  const ours = await tempFilePath(path.join(used.tempDir, 'nested'));
  assert.match(path.basename(ours), new RegExp(`^music-sync-${process.pid}-[0-9a-f-]{36}\\.part$`));
  assert.notEqual(await tempFilePath(used.tempDir), await tempFilePath(used.tempDir));
  const stale = await tempFilePath(used.tempDir);
  const fresh = await tempFilePath(used.tempDir);
  await writeFile(stale, 'x');
  await writeFile(fresh, 'x');
  await writeFile(path.join(used.tempDir, 'music-sync-notes.part'), 'not ours');
  const old = new Date(Date.now() - 3_600_000);
  await utimes(stale, old, old);
  await utimes(path.join(used.tempDir, 'music-sync-notes.part'), old, old);
  assert.equal(await sweepTempFiles(used.tempDir, 60_000), 1);
  await assert.rejects(stat(stale), { code: 'ENOENT' });
  await stat(fresh);
  await stat(path.join(used.tempDir, 'music-sync-notes.part'));
  assert.equal(await sweepTempFiles(path.join(used.tempDir, 'missing'), 0), 0);
  // A fresh file of a worker that is gone (killed mid-read) goes at once.
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  const orphan = path.join(used.tempDir, path.basename(fresh).replace(`-${process.pid}-`, `-${gone}-`));
  await writeFile(orphan, 'x');
  assert.equal(await sweepTempFiles(used.tempDir, 60_000), 1);
  await assert.rejects(stat(orphan), { code: 'ENOENT' });
  await stat(fresh);
  for (const name of await readdir(used.tempDir)) await rm(path.join(used.tempDir, name), { recursive: true });
});

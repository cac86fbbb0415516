import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { type BlockReaderOptions, openBlockReader, type RemoteReader } from '../../src/providers/remote/block-reader.ts';
import { AccountLimiter } from '../../src/providers/remote/limiter.ts';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/types.ts';
import { useRangeServer } from '../helpers/range-server.ts';

const options = { timeout: 10_000 };
const KiB = 1024;
const song = randomBytes(1024 * KiB + 321);
const big = randomBytes(3 * 1024 * KiB + 7);
const used = useRangeServer({ '/song.mp3': song, '/big.flac': big, '/empty.mp3': new Uint8Array(0), '/tiny.mp3': Buffer.from('ID3 tiny') }, 'music-sync-block-reader-');

function open(file: string, extra: Partial<BlockReaderOptions> = {}): Promise<RemoteReader> {
  return openBlockReader({
    fetchRange: used.server.fetchRange(file),
    limiter: new AccountLimiter({ account: 'test', maxConcurrency: 4, throttleBackoffMs: 10 }),
    what: `GET ${file}`,
    tempDir: used.tempDir,
    policy: { baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}

async function readAt(reader: RemoteReader, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const n = await reader.read(buffer, 0, length, position);
  return buffer.subarray(0, n);
}

function kindOf(kind: ProviderErrorKind, message?: RegExp) {
  return (e: unknown) => e instanceof ProviderError && e.kind === kind && (!message || message.test(e.message));
}

test("a tag parser's reads (header, tag, ID3v1 at the end) cost two requests", options, async () => {
  const reader = await open('/song.mp3');
  assert.equal(reader.size, song.length);
  assert.deepEqual(await readAt(reader, 0, 10), song.subarray(0, 10));
  assert.deepEqual(await readAt(reader, 10, 3000), song.subarray(10, 3010));
  assert.deepEqual(await readAt(reader, song.length - 128, 128), song.subarray(song.length - 128));
  assert.deepEqual(await readAt(reader, song.length - 160, 32), song.subarray(song.length - 160, song.length - 128));
  assert.equal(used.server.stats.requests, 2);
  assert.equal(reader.requests, used.server.stats.requests);
  assert.equal(reader.bytesTransferred, used.server.stats.bytesSent);
  // The head (128 KiB) and the last two blocks (the tail's tags and the audio's last frames): nothing else.
  assert.ok(reader.bytesTransferred <= 128 * KiB + 2 * 64 * KiB, `${reader.bytesTransferred} bytes`);
  await reader.close();
});

test('a large tag past the head is fetched in one request', options, async () => {
  const reader = await open('/song.mp3');
  await readAt(reader, 0, 10);
  assert.deepEqual(await readAt(reader, 10, 300 * KiB), song.subarray(10, 10 + 300 * KiB));
  assert.equal(used.server.stats.requests, 2);
  await reader.close();
});

test('reads that run forward are read ahead, doubling, without fetching a byte twice', options, async () => {
  const reader = await open('/big.flac');
  const hash = createHash('sha256');
  for (let at = 0; at < big.length; at += 16 * KiB) hash.update(await readAt(reader, at, 16 * KiB));
  assert.equal(hash.digest('hex'), createHash('sha256').update(big).digest('hex'));
  // 3 MiB: the head, then 192 KiB, 320 KiB, 576 KiB, 1088 KiB and the rest.
  assert.ok(used.server.stats.requests <= 7, `${used.server.stats.requests} requests`);
  assert.equal(reader.bytesTransferred, big.length);
  assert.equal(await readAt(reader, big.length, 10).then((b) => b.length), 0, 'at the end: 0 bytes');
  await reader.close();
});

test('random reads fetch only the blocks they touch, and the cache stays bounded', options, async () => {
  const reader = await open('/big.flac', { firstFetch: 1, maxCachedBytes: 128 * KiB });
  assert.equal(reader.bytesTransferred, 64 * KiB);
  const block = 64 * KiB;
  // Block 30; block 30 again (cached); block 10; blocks 0 and 1 in one request (block 0 was evicted:
  // the cache holds two blocks); block 30 again (evicted meanwhile).
  const reads: [number, number][] = [[2_000_000, 1], [2_000_100, 0], [700_000, 1], [block - 5, 2], [2_000_000, 1]];
  let blocks = 1;
  for (const [at, fetched] of reads) {
    assert.deepEqual(await readAt(reader, at, 100), big.subarray(at, at + 100), `at ${at}`);
    blocks += fetched;
    assert.equal(reader.bytesTransferred, blocks * block, `after the read at ${at}`);
  }
  assert.equal(used.server.stats.requests, 5);
  await reader.close();
});

test('reads past the end are short or empty; tiny and empty files work', options, async () => {
  const reader = await open('/song.mp3');
  assert.deepEqual(await readAt(reader, song.length - 5, 100), song.subarray(song.length - 5));
  assert.equal((await readAt(reader, song.length + 1000, 10)).length, 0);
  await reader.close();
  const tiny = await open('/tiny.mp3');
  assert.equal(tiny.size, 8);
  assert.equal((await readAt(tiny, 0, 100)).toString(), 'ID3 tiny');
  await tiny.close();
  const empty = await open('/empty.mp3');
  assert.equal(empty.size, 0);
  assert.equal((await readAt(empty, 0, 10)).length, 0);
  await empty.close();
});

test('a used.server that ignores Range sends the file once; it is kept in a temporary file until close', options, async () => {
  used.server.ignoreRange = true;
  const reader = await open('/song.mp3');
  assert.equal(reader.size, song.length);
  assert.equal((await readdir(used.tempDir)).filter((n) => /^music-sync-\d+-.*\.part$/.test(n)).length, 1);
  assert.deepEqual(await readAt(reader, 0, 10), song.subarray(0, 10));
  assert.deepEqual(await readAt(reader, 500_000, 200 * KiB), song.subarray(500_000, 500_000 + 200 * KiB));
  assert.deepEqual(await readAt(reader, song.length - 128, 1000), song.subarray(song.length - 128));
  assert.equal(used.server.stats.requests, 1);
  assert.equal(used.server.stats.bytesSent, song.length);
  assert.equal(reader.bytesTransferred, song.length);
  await reader.close();
  await reader.close();
  await assert.rejects(readAt(reader, 0, 1), /closed/);
});

test('a whole-file answer cut short is fetched again and its partial copy removed', options, async () => {
  used.server.ignoreRange = true;
  used.server.faults = [{ kind: 'truncate', after: 100_000 }];
  const reader = await open('/song.mp3');
  assert.deepEqual(await readAt(reader, 900_000, 1000), song.subarray(900_000, 901_000));
  assert.equal(used.server.stats.requests, 2);
  assert.equal((await readdir(used.tempDir)).length, 1);
  await reader.close();
});

test('an abort during a whole-file answer leaves no temporary file', options, async () => {
  used.server.ignoreRange = true;
  used.server.faults = [{ kind: 'stall', after: 50_000 }];
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('cancelled')), 100);
  await assert.rejects(open('/song.mp3', { signal: controller.signal }), /cancelled/);
});

test('throttles, used.server errors, resets, short bodies and stalls are retried and the bytes are right', options, async () => {
  used.server.faults = [{ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'status', status: 500 }];
  const started = performance.now();
  const reader = await open('/big.flac', { attemptTimeoutMs: 200 });
  assert.ok(performance.now() - started >= 1000, 'Retry-After was honoured');
  used.server.faults = [{ kind: 'reset' }, { kind: 'truncate', after: 5000 }, { kind: 'stall', after: 100 }, { kind: 'status', status: 503 }];
  assert.deepEqual(await readAt(reader, 2_500_000, 100_000), big.subarray(2_500_000, 2_600_000));
  assert.equal(used.server.stats.requests, 3 + 5);
  assert.ok(reader.bytesTransferred > 128 * KiB + 100_000, 'the broken bodies are counted');
  await reader.close();
});

test('refusals are not retried and keep their kind; a changed file is noticed', options, async () => {
  await assert.rejects(open('/missing.mp3'), kindOf('notFound'));
  assert.equal(used.server.stats.requests, 1);
  for (const [status, kind] of [[401, 'unauthorized'], [403, 'forbidden']] as const) {
    used.server.resetStats();
    used.server.faults = [{ kind: 'status', status }];
    await assert.rejects(open('/song.mp3'), kindOf(kind));
    assert.equal(used.server.stats.requests, 1);
  }

  const reader = await open('/song.mp3');
  used.server.files.set('/song.mp3', song.subarray(0, 900_000));
  // Bytes it no longer has, then bytes from a file of another size.
  await assert.rejects(readAt(reader, 1_000_000, 10), kindOf('invalid', /changed while it was read \(no bytes at/));
  await assert.rejects(readAt(reader, 860_000, 10), kindOf('invalid', /changed while it was read \(1048897 bytes, now 900000\)/));
  used.server.files.set('/song.mp3', song);
  await reader.close();
});

test('close during a stalled read ends it at once', options, async () => {
  const reader = await open('/big.flac', { attemptTimeoutMs: 5000 });
  used.server.faults = [{ kind: 'stall' }];
  const pending = readAt(reader, 2_000_000, 10);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  await reader.close();
  await assert.rejects(pending, /closed/);
  assert.ok(performance.now() - started < 1000);
});

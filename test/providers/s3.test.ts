// The S3 provider against a real S3 server: rclone's `serve s3` over a temporary folder, whose
// subfolders are buckets and whose files, written on disk, are the objects.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { defaultProviders } from '../../src/providers/registry.ts';
import type { ProviderFile, StorageProvider } from '../../src/providers/types.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { startS3Server, type S3Server } from '../../src/testing/remote-servers.ts';

const BUCKET = 'music';
// Nested keys with spaces and non-ASCII names, sizes on both sides of the reader's first fetch.
const FILES: Record<string, number> = {
  'Library/top.mp3': 1000,
  'Library/A b/01 – Intro.mp3': 300_000,
  'Library/Ünïcode/Ärger ♫/track 2.flac': 70_000,
  'Library/deep/er/still/x.ogg': 5,
  'Library/empty.mp3': 0,
};
const bytesOf = new Map<string, Buffer>();

let server: S3Server;
let dir: string;
let tempDir: string;
const providers = defaultProviders();

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const onDisk = (key: string) => path.join(dir, BUCKET, key);

function provider(root = `s3://${BUCKET}/Library`, secrets: Record<string, string> = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }): StorageProvider {
  return providers.create({ provider: 's3', root, settings: { endpoint: server.endpoint, region: server.region } }, { secrets, tempDir });
}

async function listAll(p: StorageProvider, pageSize: number): Promise<{ files: ProviderFile[]; unlisted: string[]; pages: number }> {
  const files: ProviderFile[] = [];
  const unlisted: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await p.list(token, pageSize);
    assert.ok(page.files.length + (page.unlisted?.length ?? 0) <= pageSize, `a page holds at most ${pageSize}`);
    files.push(...page.files);
    unlisted.push(...(page.unlisted ?? []).map((u) => u.path));
    token = page.nextPageToken;
    pages += 1;
    assert.ok(pages < 100, 'the listing ends');
  } while (token);
  return { files, unlisted, pages };
}

function rejectsAs(kind: ProviderError['kind'], pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ProviderError, `a ProviderError, not ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-s3-'));
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-s3-spool-'));
  for (const [key, size] of Object.entries(FILES)) {
    const bytes = randomBytes(size);
    bytesOf.set(key, bytes);
    await mkdir(path.dirname(onDisk(key)), { recursive: true });
    await writeFile(onDisk(key), bytes);
  }
  await writeFile(onDisk('Library/.hidden.mp3'), 'x'); // hidden: skipped, as in a local folder
  await mkdir(onDisk('Library/empty folder'), { recursive: true }); // listed by rclone as a `/` marker
  await writeFile(onDisk('Library/odd \u{10FFE9}.mp3'), 'x'); // a name path-bytes.ts reserves
  await mkdir(onDisk('Other'), { recursive: true });
  await writeFile(onDisk('Other/outside.mp3'), 'x');
  await mkdir(path.join(dir, 'empty-bucket'));
  server = await startS3Server({ root: dir });
});

after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(tempDir, { recursive: true, force: true });
});

test('the registry ships s3; validate passes on the prefix, and on an empty bucket', async () => {
  assert.ok(providers.kinds().includes('s3'));
  const p = provider();
  assert.equal(p.kind, 's3');
  assert.equal(p.usesNetwork, true);
  await p.validate();
  await provider('s3://empty-bucket').validate();
});

test('lists every file under the prefix once, with its size, time and MD5, in pages of 1, 2 and 1000', async () => {
  const expected = Object.keys(FILES).map((k) => k.slice('Library/'.length)).sort();
  for (const pageSize of [1, 2, 1000]) {
    const { files, unlisted, pages } = await listAll(provider(), pageSize);
    assert.deepEqual(files.map((f) => f.path).sort(), expected, `pageSize ${pageSize}`);
    assert.deepEqual(unlisted, ['odd \u{10FFE9}.mp3'], `pageSize ${pageSize}`);
    if (pageSize === 1000) assert.equal(pages, 1);
    else assert.ok(pages >= Math.ceil(expected.length / pageSize));
    for (const f of files) {
      const bytes = bytesOf.get(`Library/${f.path}`)!;
      assert.equal(f.fileId, f.path, 'the id is the key relative to the root');
      assert.equal(f.size, bytes.length, f.path);
      assert.equal(f.providerHash, `md5:${md5(bytes)}`, f.path);
      assert.ok(f.modifiedAt instanceof Date && Math.abs(f.modifiedAt.getTime() - Date.now()) < 3_600_000, f.path);
      assert.equal(f.mimeType, null);
    }
  }
});

test('a root without a prefix lists the whole bucket', async () => {
  const { files } = await listAll(provider(`s3://${BUCKET}`), 1000);
  const paths = files.map((f) => f.path);
  assert.ok(paths.includes('Library/top.mp3'));
  assert.ok(paths.includes('Other/outside.mp3'));
});

test('a multipart upload: rclone gives the whole content MD5 as its ETag (AWS would give `<hex>-N`, which is no hash)', async () => {
  const client = new S3Client({
    endpoint: server.endpoint, region: server.region, forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const key = 'Library/multipart/upload.mp3';
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
  try {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body: body }));
      etags.push(ETag!);
    }
    await client.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }));
  } finally {
    client.destroy();
  }
  try {
    const { files } = await listAll(provider(), 1000);
    const listed = files.find((f) => f.path === 'multipart/upload.mp3');
    assert.ok(listed);
    assert.equal(listed.size, parts[0]!.length + parts[1]!.length);
    assert.equal(listed.providerHash, `md5:${md5(Buffer.concat(parts))}`);
  } finally {
    await rm(onDisk('Library/multipart'), { recursive: true, force: true });
  }
});

test('open reads exact bytes at any position, through block boundaries and at the end', async () => {
  const p = provider();
  const bytes = bytesOf.get('Library/A b/01 – Intro.mp3')!;
  const reader = await p.open({ fileId: 'A b/01 – Intro.mp3', path: 'A b/01 – Intro.mp3' });
  try {
    assert.equal(reader.size, bytes.length);
    for (const [position, length] of [[0, 10], [131_000, 2_000], [65_530, 12], [299_990, 10], [250_000, 50_000], [100, 1]]) {
      const buffer = Buffer.alloc(length);
      const n = await reader.read(buffer, 0, length, position);
      assert.equal(n, length, `at ${position}`);
      assert.ok(buffer.equals(bytes.subarray(position, position + length)), `bytes at ${position}`);
    }
    const tail = Buffer.alloc(100);
    assert.equal(await reader.read(tail, 0, 100, bytes.length - 40), 40);
    assert.ok(tail.subarray(0, 40).equals(bytes.subarray(bytes.length - 40)));
    assert.equal(await reader.read(tail, 0, 100, bytes.length), 0);
  } finally {
    await reader.close();
  }
  const empty = await p.open({ fileId: 'empty.mp3', path: 'empty.mp3' });
  assert.equal(empty.size, 0);
  assert.equal(await empty.read(Buffer.alloc(4), 0, 4, 0), 0);
  await empty.close();
});

test('download copies exact bytes, empty files included', async () => {
  const p = provider();
  for (const key of ['Library/A b/01 – Intro.mp3', 'Library/Ünïcode/Ärger ♫/track 2.flac', 'Library/empty.mp3']) {
    const rel = key.slice('Library/'.length);
    const target = path.join(tempDir, `download-${md5(Buffer.from(key))}`);
    try {
      const { bytesRead } = await p.download!({ fileId: rel, path: rel, size: FILES[key] }, target);
      const copy = await readFile(target);
      assert.equal(bytesRead, FILES[key]);
      assert.ok(copy.equals(bytesOf.get(key)!), key);
    } finally {
      await rm(target, { force: true });
    }
  }
});

test('a file overwritten while it is read fails the read rather than mixing two versions', async () => {
  const key = 'Library/changing.mp3';
  await writeFile(onDisk(key), randomBytes(400_000));
  try {
    const reader = await provider().open({ fileId: 'changing.mp3', path: 'changing.mp3' });
    try {
      await writeFile(onDisk(key), randomBytes(400_000)); // same size: only the ETag tells
      await assert.rejects(reader.read(Buffer.alloc(10), 0, 10, 390_000), rejectsAs('invalid', /changed while it was read \(another version is there now\)/));
    } finally {
      await reader.close();
    }
  } finally {
    await rm(onDisk(key), { force: true });
  }
});

test('a file overwritten since it was listed is not read as the listed version', async () => {
  const key = 'Library/relisted.mp3';
  await writeFile(onDisk(key), randomBytes(200_000));
  try {
    const listed = (await provider().list(undefined, 1000)).files.find((f) => f.path === 'relisted.mp3')!;
    assert.ok(listed.revision, 'the listing carries the ETag');
    await writeFile(onDisk(key), randomBytes(200_000)); // same size: only the ETag tells
    await assert.rejects(provider().open(listed), rejectsAs('invalid', /changed since it was listed/));
    const again = (await provider().list(undefined, 1000)).files.find((f) => f.path === 'relisted.mp3')!;
    assert.notEqual(again.revision, listed.revision);
    await (await provider().open(again)).close();
  } finally {
    await rm(onDisk(key), { force: true });
  }
});

test('wrong credentials are unauthorized, and no message holds the secret', async () => {
  const secret = 'not-the-secret-0123456789';
  await assert.rejects(provider(undefined, { accessKeyId: server.accessKeyId, secretAccessKey: secret }).validate(), (e: unknown) => {
    rejectsAs('unauthorized', /secret access key does not match/)(e);
    for (let c: unknown = e; c; c = (c as Error).cause) assert.ok(!String((c as Error).message).includes(secret));
    return true;
  });
  await assert.rejects(provider(undefined, { accessKeyId: 'nobody-here', secretAccessKey: secret }).validate(), rejectsAs('unauthorized', /access key id is not known/));
});

test('a missing bucket is unavailable, never an empty listing', async () => {
  await assert.rejects(provider('s3://no-such-bucket/Library').validate(), rejectsAs('unavailable', /bucket "no-such-bucket" does not exist/));
  await assert.rejects(provider('s3://no-such-bucket').list(undefined, 10), rejectsAs('unavailable'));
});

test('an object that vanished is notFound on open and on download', async () => {
  const key = 'Library/vanishing.mp3';
  await writeFile(onDisk(key), 'soon gone');
  const p = provider();
  const { files } = await listAll(p, 1000);
  const listed = files.find((f) => f.path === 'vanishing.mp3');
  assert.ok(listed);
  await rm(onDisk(key));
  await assert.rejects(p.open(listed), rejectsAs('notFound', /s3:\/\/music\/Library\/vanishing\.mp3/));
  await assert.rejects(p.download!(listed, path.join(tempDir, 'vanished')), rejectsAs('notFound'));
  await rm(path.join(tempDir, 'vanished'), { force: true });
});

/** A plain HTTP server answering each request with the next of `answers` (the last one repeats). */
async function answering(answers: { status: number; headers?: Record<string, string>; body: string }[]): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const srv = http.createServer((req, res) => {
    const answer = answers[Math.min(requests.length, answers.length - 1)]!;
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => srv.close(() => resolve())) };
}

function providerAt(endpoint: string): StorageProvider {
  return providers.create(
    { provider: 's3', root: 's3://bucket/Library/', settings: { endpoint } },
    { secrets: { accessKeyId: 'key-id', secretAccessKey: 'secret' }, tempDir },
  );
}

test('a SlowDown answer is waited out (Retry-After) and the request made again', async () => {
  const xml = { 'content-type': 'application/xml' };
  const srv = await answering([
    { status: 503, headers: { ...xml, 'retry-after': '0' }, body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' },
    {
      status: 200, headers: xml,
      body: '<ListBucketResult><Name>bucket</Name><IsTruncated>false</IsTruncated><KeyCount>1</KeyCount><Contents>' +
        '<Key>Library/a.mp3</Key><Size>3</Size><ETag>"900150983cd24fb0d6963f7d28e17f72"</ETag>' +
        '<LastModified>2026-01-02T03:04:05.000Z</LastModified></Contents></ListBucketResult>',
    },
  ]);
  try {
    const page = await providerAt(srv.endpoint).list(undefined, 100);
    assert.deepEqual(page.files, [{
      fileId: 'a.mp3', path: 'a.mp3', size: 3, modifiedAt: new Date('2026-01-02T03:04:05.000Z'), mimeType: null,
      providerHash: 'md5:900150983cd24fb0d6963f7d28e17f72', revision: '"900150983cd24fb0d6963f7d28e17f72"',
    }]);
    assert.equal(srv.requests.length, 2);
    assert.match(srv.requests[0]!, /^GET \/bucket\/?\?list-type=2&max-keys=100&prefix=Library%2F$/, 'path-style on an IP endpoint');
  } finally {
    await srv.close();
  }
});

test('an endpoint that answers a web page (a captive portal, a wrong URL) is unavailable, not an empty bucket', async () => {
  const srv = await answering([{ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Log in to the Wi-Fi</body></html>' }]);
  try {
    await assert.rejects(providerAt(srv.endpoint).validate(), rejectsAs('unavailable', /not an S3 listing/));
    await assert.rejects(providerAt(srv.endpoint).list(undefined, 10), rejectsAs('unavailable', /not an S3 listing/));
  } finally {
    await srv.close();
  }
});

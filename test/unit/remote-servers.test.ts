import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRunning } from '../../src/stack/processes.ts';
import { rcloneBinary, startS3Server, startWebdavServer, type S3Server, type WebdavServer } from '../../src/testing/remote-servers.ts';

const BODY = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13 + 5) % 256));
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
let scratch: string;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'music-sync-servers-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** Processes whose command line names `folder`: what a server over it left running. */
async function processesServing(folder: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(folder) && isRunning(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

async function folderWith(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const root = path.join(scratch, name);
  for (const [file, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), bytes);
  }
  await mkdir(root, { recursive: true });
  return root;
}

test('rcloneBinary: RCLONE_PATH first, then the tools folder, then the PATH; a clear error when there is none', async () => {
  const found = rcloneBinary();
  assert.ok(path.basename(found) === 'rclone', found);
  assert.throws(() => rcloneBinary({ rclonePath: path.join(scratch, 'nope') }), /RCLONE_PATH=.*nope is not an executable file/);
  const empty = path.join(scratch, 'no-tools');
  assert.throws(() => rcloneBinary({ toolsBin: empty, searchPath: empty }), /run `bash scripts\/install-tools\.sh`.*RCLONE_PATH/);
  const onPath = path.join(scratch, 'bin');
  await mkdir(onPath, { recursive: true });
  await writeFile(path.join(onPath, 'rclone'), '#!/bin/sh\n');
  await chmod(path.join(onPath, 'rclone'), 0o755);
  assert.equal(rcloneBinary({ toolsBin: empty, searchPath: `${empty}${path.delimiter}${onPath}` }), path.join(onPath, 'rclone'));
  assert.equal(rcloneBinary({ rclonePath: found, toolsBin: empty }), found);
});

describe('startWebdavServer', () => {
  let root: string;
  let server: WebdavServer;
  const auth = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const headers = () => ({ authorization: auth(server.username, server.password) });

  before(async () => {
    root = await folderWith('webdav', { 'Album/Café 01.mp3': BODY });
    server = await startWebdavServer({ root });
  });
  after(() => server?.stop());

  test('serves the folder on 127.0.0.1 with Range honoured', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.root, root);
    const url = new URL('Album/Caf%C3%A9%2001.mp3', server.url);
    const ranged = await fetch(url, { headers: { ...headers(), range: 'bytes=1000-1999' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 1000-1999/${BODY.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), BODY.subarray(1000, 2000));
    const whole = await fetch(url, { headers: headers() });
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), BODY);
  });

  test('enforces its credentials: a wrong password or none is 401', async () => {
    const url = new URL('Album/', server.url);
    assert.equal((await fetch(url, { method: 'PROPFIND', headers: { depth: '1', authorization: auth(server.username, 'wrong') } })).status, 401);
    assert.equal((await fetch(url, { method: 'PROPFIND', headers: { depth: '1' } })).status, 401);
    assert.equal((await fetch(url, { method: 'PROPFIND', headers: { ...headers(), depth: '1' } })).status, 207);
  });

  test('a file written on disk is listed by the next PROPFIND, with a time-and-size ETag and no checksums', async () => {
    await writeFile(path.join(root, 'Album', 'new.flac'), 'fresh');
    const listing = await (await fetch(new URL('Album/', server.url), { method: 'PROPFIND', headers: { ...headers(), depth: '1' } })).text();
    assert.match(listing, /<D:href>\/Album\/new\.flac<\/D:href>/);
    const etag = /<D:href>\/Album\/new\.flac<\/D:href>.*?<D:getetag>"([0-9a-f]+)"<\/D:getetag>/.exec(listing)?.[1];
    assert.ok(etag?.endsWith((5).toString(16)), `rclone's ETag ends in the size in hex: ${etag}`);
    assert.doesNotMatch(listing, /<checksum/);
  });

  test('etagHash MD5: the ETag is the content\'s MD5, and oc:checksums is answered', async () => {
    const md5Root = await folderWith('webdav-md5', { 'a.mp3': BODY });
    const hashed = await startWebdavServer({ root: md5Root, etagHash: 'MD5', username: 'u', password: 'p' });
    try {
      const body = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getetag/><oc:checksums/></d:prop></d:propfind>';
      const answer = await (await fetch(new URL('a.mp3', hashed.url), {
        method: 'PROPFIND', headers: { authorization: auth('u', 'p'), depth: '0', 'content-type': 'application/xml' }, body,
      })).text();
      assert.match(answer, new RegExp(`<D:getetag>"${md5(BODY)}"</D:getetag>`));
      assert.match(answer, new RegExp(`<checksum xmlns="http://owncloud.org/ns">MD5:${md5(BODY)}</checksum>`));
    } finally {
      await hashed.stop();
    }
  });

  test('stop ends the server and leaves no process', async () => {
    const own = await startWebdavServer({ root: await folderWith('webdav-stop', { 'x.mp3': 'x' }) });
    assert.ok(isRunning(own.pid));
    await own.stop();
    assert.equal(isRunning(own.pid), false);
    assert.deepEqual(await processesServing(own.root), []);
    await assert.rejects(fetch(own.url), 'nothing listens any more');
    await own.stop(); // twice is harmless
  });
});

describe('startS3Server', () => {
  let root: string;
  let server: S3Server;
  let s3: S3Client;

  before(async () => {
    root = await folderWith('s3', { 'music/Album/01 Song.mp3': BODY });
    server = await startS3Server({ root });
    s3 = new S3Client({
      endpoint: server.endpoint, region: server.region, forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  test('serves each subfolder as a bucket, Range honoured, ETag the MD5 of the file on disk', async () => {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'music', Key: 'Album/01 Song.mp3', Range: 'bytes=4990-5100' }));
    assert.equal(ranged.$metadata.httpStatusCode, 206);
    assert.equal(ranged.ContentRange, `bytes 4990-4999/${BODY.length}`);
    assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), BODY.subarray(4990));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'music', Key: 'Album/01 Song.mp3' }));
    assert.equal(head.ETag, `"${md5(BODY)}"`);
    assert.equal(head.ContentLength, BODY.length);
  });

  test('a listing sees files added, changed and removed on disk at once', async () => {
    const list = async () =>
      Object.fromEntries(((await s3.send(new ListObjectsV2Command({ Bucket: 'music' }))).Contents ?? []).map((o) => [o.Key, o.ETag]));
    const added = Buffer.from('added on disk');
    await writeFile(path.join(root, 'music', 'new.mp3'), added);
    assert.equal((await list())['new.mp3'], `"${md5(added)}"`);
    await writeFile(path.join(root, 'music', 'new.mp3'), 'changed');
    assert.equal((await list())['new.mp3'], `"${md5(Buffer.from('changed'))}"`);
    await rm(path.join(root, 'music', 'new.mp3'));
    assert.deepEqual(Object.keys(await list()), ['Album/01 Song.mp3']);
  });

  test('enforces its keys: a wrong secret or an unknown key is 403', async () => {
    const as = (accessKeyId: string, secretAccessKey: string) =>
      new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    const forbidden = (name: string) => (err: Error & { $metadata?: { httpStatusCode?: number } }) =>
      err.name === name && err.$metadata?.httpStatusCode === 403;
    await assert.rejects(as(server.accessKeyId, 'wrong-secret').send(new ListObjectsV2Command({ Bucket: 'music' })), forbidden('SignatureDoesNotMatch'));
    await assert.rejects(as('someone-else', server.secretAccessKey).send(new ListObjectsV2Command({ Bucket: 'music' })), forbidden('InvalidAccessKeyId'));
  });

  test('stop ends the server and leaves no process', async () => {
    const own = await startS3Server({ root: await folderWith('s3-stop', { 'b/x.mp3': 'x' }), accessKeyId: 'key', secretAccessKey: 'secret' });
    assert.equal(own.accessKeyId, 'key');
    await own.stop();
    assert.equal(isRunning(own.pid), false);
    assert.deepEqual(await processesServing(own.root), []);
  });
});

test('a server that cannot start rejects with what rclone said, and leaves no process', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  const root = await folderWith('busy-port', { 'x.mp3': 'x' });
  try {
    await assert.rejects(startWebdavServer({ root, port }), /exited before it answered.*address already in use/s);
    assert.deepEqual(await processesServing(root), []);
  } finally {
    taken.close();
  }
  await assert.rejects(startS3Server({ root: path.join(scratch, 'missing') }), /cannot serve .*missing: not a folder/);
  await assert.rejects(startS3Server({ root, accessKeyId: 'ab' }), /3 characters or more/);
});

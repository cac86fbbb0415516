import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../../src/testing/fault-proxy.ts';
import { startS3Server } from '../../src/testing/remote-servers.ts';

// A real origin: deterministic bodies of any size, an echo of what it received, a slow answer.
let origin: http.Server;
let originUrl: string;
const BODY = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7 + 3) % 256));

before(async () => {
  origin = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    if (url.pathname === '/bytes') {
      res.writeHead(200, { 'content-length': String(BODY.length), etag: '"origin-etag"', 'x-origin': 'yes' }).end(BODY);
    } else if (url.pathname === '/chunked') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(BODY.subarray(0, 4000));
      setTimeout(() => res.end(BODY.subarray(4000)), 20);
    } else if (url.pathname === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
        res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-echo': ['a', 'b'] }).end(body);
      });
    } else if (url.pathname === '/slow') {
      setTimeout(() => res.end('slow'), 150);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => origin.close(() => resolve())));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A plain node:http client; a failed exchange rejects with the error's code and what arrived. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    let received = 0;
    const fail = (err: NodeJS.ErrnoException) => reject(Object.assign(err, { status, received }));
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, signal: options.signal, agent: false }, (res) => {
      status = res.statusCode;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        received += c.length;
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

type Failure = NodeJS.ErrnoException & { status?: number; received: number };

async function withProxy<T>(options: Omit<Parameters<typeof startFaultProxy>[0], 'target'>, run: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy({ target: originUrl, ...options });
  try {
    return await run(proxy);
  } finally {
    await proxy.stop();
  }
}

test('without faults, requests and answers pass through untouched, the client\'s Host included', async () => {
  const arrivals: string[] = [];
  await withProxy({ onRequest: (r) => arrivals.push(`${r.method} ${r.url} ${r.range ?? '-'} ${r.fault ?? 'ok'}`) }, async (proxy) => {
    const echo = await request(`${proxy.url}echo?a=1&b=%2F`, {
      method: 'PUT', headers: { 'X-Custom': 'Kept As Is', 'content-type': 'text/plain' }, body: 'payload',
    });
    assert.equal(echo.status, 201);
    assert.deepEqual(echo.headers['x-echo'], 'a, b');
    const seen = JSON.parse(echo.body.toString()) as { method: string; url: string; rawHeaders: string[]; body: string };
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/echo?a=1&b=%2F');
    assert.equal(seen.body, 'payload');
    const header = (name: string) => seen.rawHeaders[seen.rawHeaders.indexOf(name) + 1];
    assert.equal(header('X-Custom'), 'Kept As Is', 'header names keep their case');
    assert.equal(header('Host'), new URL(proxy.url).host, 'the Host the client sent');

    const bytes = await request(`${proxy.url}bytes`, { headers: { range: 'bytes=0-' } });
    assert.deepEqual(bytes.body, BODY);
    assert.deepEqual(arrivals, ['PUT /echo?a=1&b=%2F - ok', 'GET /bytes bytes=0- ok']);
    assert.equal(bytes.headers.etag, '"origin-etag"');
    assert.equal(proxy.stats.requests, 2);
    assert.equal(proxy.stats.bytesSent, echo.body.length + BODY.length);
    assert.deepEqual(Object.values(proxy.stats.faulted), [0, 0, 0, 0, 0]);
  });
});

test('rewriteHost sends the target\'s host', async () => {
  await withProxy({ rewriteHost: true }, async (proxy) => {
    const seen = JSON.parse((await request(`${proxy.url}echo`)).body.toString()) as { rawHeaders: string[] };
    assert.equal(seen.rawHeaders[seen.rawHeaders.indexOf('Host') + 1], new URL(originUrl).host);
  });
});

test('throttle: 429 (or 503 SlowDown) with the Retry-After asked for', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['throttle'], retryAfterSeconds: 7 } }, async (proxy) => {
    const answer = await request(`${proxy.url}bytes`);
    assert.equal(answer.status, 429);
    assert.equal(answer.headers['retry-after'], '7');
    proxy.setFaults({ rate: 1, kinds: ['throttle'], throttleStatus: 503 });
    const slowDown = await request(`${proxy.url}bytes`);
    assert.equal(slowDown.status, 503);
    assert.equal(slowDown.headers['retry-after'], '1');
    assert.match(slowDown.body.toString(), /<Code>SlowDown<\/Code>/);
    assert.equal(proxy.stats.faulted.throttle, 2);
  });
});

test('server-error: 500', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['server-error'] } }, async (proxy) => {
    assert.equal((await request(`${proxy.url}bytes`)).status, 500);
    assert.equal(proxy.stats.faulted['server-error'], 1);
  });
});

test('reset: the client sees ECONNRESET and no answer', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['reset'] } }, async (proxy) => {
    await assert.rejects(request(`${proxy.url}bytes`), (err: Failure) => err.code === 'ECONNRESET' && err.status === undefined);
    assert.equal(proxy.stats.faulted.reset, 1);
  });
});

test('stall with stallMs: the answer comes, late', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['stall'], stallMs: 300 } }, async (proxy) => {
    const started = performance.now();
    const answer = await request(`${proxy.url}bytes`);
    assert.ok(performance.now() - started >= 295, 'waited the stall');
    assert.deepEqual(answer.body, BODY);
  });
});

test('stall without stallMs: the request hangs until the client gives up; stop() ends it too', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['stall'] } }, async (proxy) => {
    const started = performance.now();
    await assert.rejects(request(`${proxy.url}bytes`, { signal: AbortSignal.timeout(200) }), { name: 'AbortError' });
    assert.ok(performance.now() - started < 2000);
    assert.equal(proxy.stats.faulted.stall, 1);
    const hanging = request(`${proxy.url}bytes`).then(() => 'answered', (err: Failure) => err.code);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = performance.now();
    await proxy.stop();
    assert.equal(await hanging, 'ECONNRESET');
    assert.ok(performance.now() - stopping < 2000, 'stop does not wait for a stalled request');
  });
});

test('truncate: the status and headers arrive, then half the body, then the connection drops', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['truncate'] } }, async (proxy) => {
    await assert.rejects(request(`${proxy.url}bytes`), (err: Failure) => {
      assert.equal(err.status, 200);
      assert.equal(err.received, BODY.length / 2);
      return true;
    });
    // Without a Content-Length, half of the first chunk.
    await assert.rejects(request(`${proxy.url}chunked`), (err: Failure) => err.status === 200 && err.received === 2000);
    assert.equal(proxy.stats.faulted.truncate, 2);
    assert.equal(proxy.stats.bytesSent, BODY.length / 2 + 2000);
  });
});

test('latencyMs is added to every request', async () => {
  const timed = async (url: string) => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await request(url);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[3];
  };
  const direct = await timed(`${originUrl}/bytes`);
  await withProxy({ latencyMs: 50 }, async (proxy) => {
    const proxied = await timed(`${proxy.url}bytes`);
    const added = proxied - direct;
    console.log(`latency: direct ${direct.toFixed(1)} ms, through a 50 ms proxy ${proxied.toFixed(1)} ms (median of 7)`);
    assert.ok(proxied >= 50, `at least the latency (${proxied} ms)`);
    assert.ok(added < 50 + 150, `little more than the latency (${added} ms added)`);
  });
});

test('the same seed faults the same requests; another seed others; the rate is kept', async () => {
  const outcomes = async (seed: number) =>
    withProxy({ seed, faults: { rate: 0.3, kinds: ['throttle', 'server-error'] } }, async (proxy) => {
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await request(`${proxy.url}bytes`)).status);
      assert.equal(proxy.stats.faulted.throttle + proxy.stats.faulted['server-error'], statuses.filter((s) => s !== 200).length);
      return statuses;
    });
  const first = await outcomes(42);
  assert.deepEqual(await outcomes(42), first);
  assert.notDeepEqual(await outcomes(43), first);
  const faulted = first.filter((s) => s !== 200).length;
  assert.ok(faulted >= 8 && faulted <= 30, `about 30% of 60 faulted: ${faulted}`);
  assert.ok(first.includes(429) && first.includes(500), 'both kinds drawn');
});

test('methods limits faults to some requests; setFaults(undefined) ends them', async () => {
  await withProxy({ faults: { rate: 1, kinds: ['server-error'], methods: ['GET'] } }, async (proxy) => {
    assert.equal((await request(`${proxy.url}bytes`, { method: 'HEAD' })).status, 200);
    assert.equal((await request(`${proxy.url}echo`, { method: 'PUT', body: 'x' })).status, 201);
    assert.equal((await request(`${proxy.url}bytes`)).status, 500);
    proxy.setFaults(undefined);
    assert.equal((await request(`${proxy.url}bytes`)).status, 200);
  });
});

test('maxConcurrent counts requests in flight at once', async () => {
  await withProxy({}, async (proxy) => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(`${proxy.url}slow`)));
    assert.deepEqual(answers.map((a) => a.body.toString()), Array(6).fill('slow'));
    assert.equal(proxy.stats.maxConcurrent, 6);
  });
});

test('a plan that means nothing is refused', async () => {
  await assert.rejects(startFaultProxy({ target: originUrl, faults: { rate: 2, kinds: ['reset'] } }), /between 0 and 1/);
  await assert.rejects(startFaultProxy({ target: originUrl, faults: { rate: 0.5, kinds: [] } }), /at least one kind/);
  await assert.rejects(
    startFaultProxy({ target: originUrl, faults: { rate: 0.5, kinds: ['boom' as 'reset'] } }),
    /unknown fault kind boom/,
  );
  await withProxy({}, async (proxy) => {
    assert.throws(() => proxy.setFaults({ rate: -1, kinds: ['reset'] }), /between 0 and 1/);
  });
});

describe('SigV4 through the proxy (rclone serve s3, @aws-sdk/client-s3)', () => {
  let root: string;
  let stopServer: () => Promise<void>;
  let endpoint: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  const client = (proxy: FaultProxy, maxAttempts = 1) =>
    new S3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts });

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'music-sync-proxy-s3-'));
    await mkdir(path.join(root, 'music', 'Album One'), { recursive: true });
    await writeFile(path.join(root, 'music', 'Album One', 'song 1.mp3'), BODY);
    const server = await startS3Server({ root });
    ({ endpoint } = server);
    credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    stopServer = server.stop;
  });
  after(async () => {
    await stopServer?.();
    await rm(root, { recursive: true, force: true });
  });

  test('signed requests verify when the proxy forwards the Host the client signed', async () => {
    const proxy = await startFaultProxy({ target: endpoint });
    try {
      const s3 = client(proxy);
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'music' }));
      assert.deepEqual(listing.Contents?.map((o) => [o.Key, o.Size]), [['Album One/song 1.mp3', BODY.length]]);
      const ranged = await s3.send(new GetObjectCommand({ Bucket: 'music', Key: 'Album One/song 1.mp3', Range: 'bytes=100-199' }));
      assert.equal(ranged.ContentRange, `bytes 100-199/${BODY.length}`);
      assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), BODY.subarray(100, 200));
      assert.equal(proxy.stats.requests, 2);
    } finally {
      await proxy.stop();
    }
  });

  test('a Host rewritten to the target\'s breaks the signature', async () => {
    const proxy = await startFaultProxy({ target: endpoint, rewriteHost: true });
    try {
      await assert.rejects(client(proxy).send(new ListObjectsV2Command({ Bucket: 'music' })), { name: 'SignatureDoesNotMatch' });
    } finally {
      await proxy.stop();
    }
  });

  test('the SDK sees the injected faults as S3 errors, and its own retries get through them', async () => {
    const proxy = await startFaultProxy({ target: endpoint, faults: { rate: 1, kinds: ['throttle'], throttleStatus: 503, retryAfterSeconds: 0 } });
    try {
      await assert.rejects(client(proxy).send(new ListObjectsV2Command({ Bucket: 'music' })), (err: Error & { $metadata?: { httpStatusCode?: number } }) =>
        err.name === 'SlowDown' && err.$metadata?.httpStatusCode === 503);
      proxy.setFaults({ rate: 0.5, kinds: ['server-error', 'reset'] });
      const listing = await client(proxy, 10).send(new ListObjectsV2Command({ Bucket: 'music' }));
      assert.equal(listing.KeyCount, 1);
    } finally {
      await proxy.stop();
    }
  });
});

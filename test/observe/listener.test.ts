// The metrics listener over real sockets: our page, the SDK exporter's page after it (or a comment
// when it is down), health as 200/503 with what is wrong, 404 elsewhere, a taken port refused.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { startMetricsListener } from '../../src/observe/listener.ts';
import { freePort } from '../../src/stack/ports.ts';

test('/metrics, /healthz and nothing else', async (t) => {
  const sdkPage = '# TYPE temporal_request_total counter\ntemporal_request_total{operation="PollWorkflowTaskQueue"} 3\n';
  const sdk = http.createServer((_req, res) => res.end(sdkPage));
  await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => sdk.close(() => resolve())));
  const registry = new Registry();
  new Counter({ name: 'music_sync_syncs_total', help: 'h', labelNames: ['outcome'], registers: [registry] }).inc({ outcome: 'completed' });
  let healthy = true;
  const listener = await startMetricsListener({
    host: '127.0.0.1', port: 0, registry,
    sdkMetricsUrl: `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`,
    health: async () => ({ ok: healthy, checks: { worker: 'ok', database: healthy ? 'ok' : 'connection refused' } }),
  });
  t.after(() => listener.stop());

  const metrics = await fetch(`${listener.url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const page = await metrics.text();
  assert.match(page, /^music_sync_syncs_total\{outcome="completed"\} 1$/m);
  assert.ok(page.endsWith(sdkPage), 'the SDK exporter\'s page follows ours');

  const ok = await fetch(`${listener.url}/healthz`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ok', worker: 'ok', database: 'ok' });
  healthy = false;
  const sick = await fetch(`${listener.url}/healthz`);
  assert.equal(sick.status, 503);
  assert.deepEqual(await sick.json(), { status: 'unhealthy', worker: 'ok', database: 'connection refused' });

  assert.equal((await fetch(`${listener.url}/`)).status, 404);
  assert.equal((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status, 405);
  // A request target no URL parser takes is answered, and the listener goes on serving.
  const port = Number(new URL(listener.url).port);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 500 /);
  assert.equal((await fetch(`${listener.url}/healthz`)).status, 503);

  // The SDK's exporter gone: our figures are still served, with a comment saying what is missing.
  await new Promise<void>((resolve) => sdk.close(() => resolve()));
  const alone = await (await fetch(`${listener.url}/metrics`)).text();
  assert.match(alone, /^music_sync_syncs_total\{outcome="completed"\} 1$/m);
  assert.match(alone, /^# Temporal SDK metrics unavailable: /m);
});

test('an address already taken is an error to report, not a crash', async (t) => {
  const port = await freePort();
  const first = await startMetricsListener({ host: '127.0.0.1', port, registry: new Registry(), health: async () => ({ ok: true, checks: { worker: 'ok', database: 'ok' } }) });
  t.after(() => first.stop());
  await assert.rejects(
    startMetricsListener({ host: '127.0.0.1', port, registry: new Registry(), health: async () => ({ ok: true, checks: { worker: 'ok', database: 'ok' } }) }),
    /EADDRINUSE/,
  );
});

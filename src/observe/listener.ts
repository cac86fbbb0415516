// The worker's observation endpoint: `GET /metrics` (ours, then the Temporal SDK's exporter's page
// when it runs) and `GET /healthz` (200 or 503 with a JSON body saying what is wrong). Nothing else
// is served. Binding it is the only thing that can fail; a scrape never takes the worker down.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Health } from './health.ts';

export interface MetricsListener {
  /** `http://host:port`, as bound (an IPv6 host in brackets). */
  url: string;
  stop(): Promise<void>;
}

export interface ListenerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Where the SDK's own exporter answers, when it runs. */
  sdkMetricsUrl?: string;
  health: () => Promise<Health>;
}

/** How long a scrape waits for the SDK's exporter (on this machine, it answers in milliseconds). */
const SDK_SCRAPE_TIMEOUT_MS = 2_000;

export async function startMetricsListener(options: ListenerOptions): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    // A request target that is no URL (`//[`) is answered (500, with why), not an exception that stops the worker.
    void Promise.resolve()
      .then(() => answer(options, req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname))
      .catch((err: Error) => ({ status: 500, type: 'text/plain; charset=utf-8', body: `${err.message}\n` }))
      .then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function answer(options: ListenerOptions, method: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const text = 'text/plain; charset=utf-8';
  if (path !== '/metrics' && path !== '/healthz') return { status: 404, type: text, body: 'not found: this address serves /metrics and /healthz\n' };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, type: text, body: 'only GET\n' };
  if (path === '/healthz') {
    const health = await options.health();
    return { status: health.ok ? 200 : 503, type: 'application/json', body: `${JSON.stringify({ status: health.ok ? 'ok' : 'unhealthy', ...health.checks })}\n` };
  }
  const ours = await options.registry.metrics();
  const sdk = options.sdkMetricsUrl ? await scrape(options.sdkMetricsUrl) : '';
  return { status: 200, type: options.registry.contentType, body: `${ours}${ours.endsWith('\n') ? '' : '\n'}${sdk}` };
}

/** The SDK exporter's page, or a comment saying why it is missing (our own figures are served anyway). */
async function scrape(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return `# Temporal SDK metrics unavailable: HTTP ${response.status}\n`;
    const body = await response.text();
    return body.endsWith('\n') || body === '' ? body : `${body}\n`;
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}

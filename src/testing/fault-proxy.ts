// A real HTTP reverse proxy in front of a server (rclone's WebDAV or S3, see remote-servers.ts) that adds
// latency and injects the failures networks and cloud APIs produce: throttling with Retry-After, server
// errors, connections reset, requests that stall, bodies cut short. Which request fails is drawn from
// a seeded generator, so a run with the same seed and the same requests in the same order fails the
// same way.
//
// Requests pass through untouched, Host included: an S3 client signs the Host it sends (the proxy's
// address), and the server checks the signature against the Host it receives, so forwarding it as sent
// keeps SigV4 valid. `rewriteHost` sends the target's host instead, for servers that route by it (it
// breaks SigV4, which is why it is off).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { prng } from './fixtures.ts';

export type FaultKind = 'throttle' | 'server-error' | 'reset' | 'stall' | 'truncate';

export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'reset', 'stall', 'truncate'];

export interface FaultPlan {
  /** Share of the requests faulted, 0..1. */
  rate: number;
  /** The faults drawn from, each as likely. */
  kinds: FaultKind[];
  /** Throttle: the Retry-After header, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Throttle: 429 (Graph, Dropbox, most WebDAV servers) or 503 (S3's SlowDown). Default 429. */
  throttleStatus?: 429 | 503;
  /** Stall: forward after this long. Default: never, the request hangs until the client gives up. */
  stallMs?: number;
  /** Only requests with these methods are faulted (`['GET']`: reads fail, listings do not). Default all. */
  methods?: string[];
}

export interface FaultProxyStats {
  /** Requests received. */
  requests: number;
  /** Requests faulted, by kind. */
  faulted: Record<FaultKind, number>;
  /** Response body bytes sent to clients. */
  bytesSent: number;
  /** Most requests in flight at once. */
  maxConcurrent: number;
}

export interface FaultProxyOptions {
  /** The origin forwarded to, `http://127.0.0.1:<port>` (a path in it is ignored). */
  target: string;
  /** Added before every request is answered or forwarded. */
  latencyMs?: number;
  faults?: FaultPlan;
  /** Seeds the choice of faulted requests. Default 1. */
  seed?: number;
  /** Send the target's host as Host instead of the client's (breaks SigV4). Default false. */
  rewriteHost?: boolean;
  /** Told of every request as it arrives, with the fault it drew: to count ranged reads, for one. */
  onRequest?: (request: ProxiedRequest) => void;
}

export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The Range header, if any. */
  range: string | undefined;
  fault: FaultKind | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  readonly stats: FaultProxyStats;
  /** Replaces the plan (undefined: no more faults); the seeded sequence goes on. */
  setFaults(plan: FaultPlan | undefined): void;
  /** Closes every connection, in flight or idle, and the listener. */
  stop(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`the fault proxy forwards to http:// only, not ${options.target}`);
  const latencyMs = options.latencyMs ?? 0;
  if (!(latencyMs >= 0)) throw new Error(`latencyMs must be 0 or more, got ${options.latencyMs}`);
  let plan = checkedPlan(options.faults);
  const random = prng(options.seed ?? 1);
  const stats: FaultProxyStats = {
    requests: 0,
    faulted: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
    bytesSent: 0,
    maxConcurrent: 0,
  };
  const agent = new http.Agent({ keepAlive: true });
  const stopping = new AbortController();
  let inFlight = 0;

  const choose = (method: string): FaultKind | undefined => {
    if (!plan || plan.rate === 0) return undefined;
    if (plan.methods && !plan.methods.includes(method)) return undefined;
    if (random() >= plan.rate) return undefined;
    return plan.kinds[Math.floor(random() * plan.kinds.length)];
  };

  const server = http.createServer((req, res) => {
    stats.requests += 1;
    inFlight += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, inFlight);
    res.once('close', () => (inFlight -= 1));
    const drawnFrom = plan; // The plan the fault was drawn from, even if setFaults replaces it meanwhile.
    const fault = choose(req.method ?? 'GET');
    if (fault) stats.faulted[fault] += 1;
    options.onRequest?.({ method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range, fault });
    // Ends waits when the client goes away or the proxy stops.
    const gone = AbortSignal.any([stopping.signal, closeSignal(res)]);
    const context: Exchange = { req, res, target, agent, stats, gone, rewriteHost: options.rewriteHost === true };
    void (async () => {
      await sleep(latencyMs, gone);
      if (gone.aborted) return;
      await respond(context, fault, drawnFrom);
    })().catch((err: unknown) => {
      // A failure of the proxy itself is the client's 502, never an uncaught exception in the tests.
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    stats,
    setFaults(next) {
      plan = checkedPlan(next);
    },
    async stop() {
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  target: URL;
  agent: http.Agent;
  stats: FaultProxyStats;
  gone: AbortSignal;
  rewriteHost: boolean;
}

async function respond(exchange: Exchange, fault: FaultKind | undefined, plan: FaultPlan | undefined): Promise<void> {
  const { req } = exchange;
  switch (fault) {
    case 'throttle': {
      const status = plan?.throttleStatus ?? 429;
      req.resume();
      sendError(exchange, status, status === 503 ? 'SlowDown' : 'TooManyRequests', 'Please reduce your request rate.', {
        'retry-after': String(plan?.retryAfterSeconds ?? 1),
      });
      return;
    }
    case 'server-error':
      req.resume();
      sendError(exchange, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      return;
    case 'reset':
      // A TCP RST: the client sees ECONNRESET, as when a load balancer drops the connection.
      req.socket.resetAndDestroy();
      return;
    case 'stall':
      if (plan?.stallMs === undefined) {
        await sleep(Number.POSITIVE_INFINITY, exchange.gone);
        return;
      }
      await sleep(plan.stallMs, exchange.gone);
      if (exchange.gone.aborted) return;
      await forward(exchange, false);
      return;
    case 'truncate':
      await forward(exchange, true);
      return;
    case undefined:
      await forward(exchange, false);
  }
}

/** An error answer shaped like S3's (an XML `<Error>`); WebDAV clients read the status alone. */
function sendError(exchange: Exchange, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  exchange.stats.bytesSent += Buffer.byteLength(body);
  exchange.res
    .writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), ...headers })
    .end(body);
}

/** Forwards the request as it came and streams the answer back; `truncate` sends the status, the
 * headers and half the body (by Content-Length, or half the first chunk), then drops the connection. */
function forward(exchange: Exchange, truncate: boolean): Promise<void> {
  const { req, res, target, stats } = exchange;
  const headers = [...req.rawHeaders];
  if (exchange.rewriteHost) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === 'host') headers[i + 1] = target.host;
  }
  return new Promise<void>((resolve) => {
    const upstream = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: exchange.agent,
      setHost: false,
    });
    const done = () => {
      exchange.gone.removeEventListener('abort', abandon);
      resolve();
    };
    // The client left or the proxy stops: nothing more to forward.
    const abandon = () => {
      upstream.destroy();
      done();
    };
    exchange.gone.addEventListener('abort', abandon, { once: true });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        sendError(exchange, 502, 'BadGateway', `fault proxy: ${err.message}`);
      } else {
        res.destroy();
      }
      done();
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      const length = Number(answer.headers['content-length']);
      let cutAt = truncate && Number.isFinite(length) ? Math.floor(length / 2) : undefined;
      let sent = 0;
      const cut = (socket: Socket | null) => {
        answer.destroy();
        socket?.destroy();
        done();
      };
      if (cutAt === 0) {
        res.flushHeaders();
        res.write(Buffer.alloc(0), () => cut(res.socket));
        return;
      }
      answer.on('data', (chunk: Buffer) => {
        if (truncate) {
          cutAt ??= Math.floor(chunk.length / 2);
          if (sent + chunk.length >= cutAt) {
            const part = chunk.subarray(0, cutAt - sent);
            stats.bytesSent += part.length;
            const socket = res.socket;
            answer.pause();
            res.write(part, () => cut(socket));
            return;
          }
        }
        stats.bytesSent += chunk.length;
        sent += chunk.length;
        if (!res.write(chunk)) {
          answer.pause();
          res.once('drain', () => answer.resume());
        }
      });
      answer.on('end', () => {
        res.end();
        done();
      });
      answer.on('error', () => {
        res.destroy();
        done();
      });
    });
    req.pipe(upstream);
  });
}

function checkedPlan(plan: FaultPlan | undefined): FaultPlan | undefined {
  if (!plan) return undefined;
  if (!(plan.rate >= 0 && plan.rate <= 1)) throw new Error(`fault rate must be between 0 and 1, got ${plan.rate}`);
  if (plan.rate > 0 && plan.kinds.length === 0) throw new Error('a fault plan with a rate needs at least one kind');
  for (const kind of plan.kinds) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${String(kind)} (known: ${FAULT_KINDS.join(', ')})`);
  }
  if (plan.stallMs !== undefined && !(plan.stallMs >= 0)) throw new Error(`stallMs must be 0 or more, got ${plan.stallMs}`);
  return { ...plan, kinds: [...plan.kinds] };
}

/** Aborts when the response is closed: finished, or the client hung up. */
function closeSignal(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(finish, ms) : undefined;
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

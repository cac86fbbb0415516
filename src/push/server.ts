// The endpoint the providers' change notifications arrive at: one route per provider, each with its
// own way of proving a notification is genuine (receive/). Bodies are read here, bounded; whatever a
// request holds, the answer is a status, never a crash. Plain HTTP: TLS is for the reverse proxy or
// tunnel in front (the providers only call https URLs).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyncRequestSink } from '../contract/actor.ts';
import type { Db } from '../db/connect.ts';
import { receiveDropbox } from './receive/dropbox.ts';
import { receiveGdrive } from './receive/gdrive.ts';
import { receiveOnedrive } from './receive/onedrive.ts';
import type { Answer, ReceiveContext, Receiver } from './receive/types.ts';

/** Far more than a notification holds (Graph batches notifications; Drive's have no body). */
export const MAX_BODY_BYTES = 256 * 1024;

/** The paths under the public URL, by provider. */
export const PUSH_PATHS = { gdrive: '/push/gdrive', onedrive: '/push/onedrive', dropbox: '/push/dropbox' } as const;

const ROUTES: ReadonlyMap<string, Receiver> = new Map([
  [PUSH_PATHS.gdrive, receiveGdrive],
  [PUSH_PATHS.onedrive, receiveOnedrive],
  [PUSH_PATHS.dropbox, receiveDropbox],
]);

export interface PushServerOptions {
  db: Db;
  sink: SyncRequestSink;
  host: string;
  /** 0: a free port. */
  port: number;
  /** The Dropbox app's secret, which signs its webhook's notifications (without it, that route is off). */
  dropboxAppSecret?: string;
  log?: (line: string) => void;
  /** How long an answer may wait for the sink (see receive/requests.ts). */
  answerWithinMs?: number;
}

export interface PushServer {
  /** `http://host:port`, where it listens. */
  url: string;
  stop(): Promise<void>;
}

class BodyTooLarge extends Error {}

/** The request target as a URL; a target no URL can be made of (`//[`) is the client's error. */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://push');
  } catch {
    return undefined;
  }
}

export async function startPushServer(options: PushServerOptions): Promise<PushServer> {
  const log = options.log ?? (() => {});
  const context: ReceiveContext = {
    db: options.db, sink: options.sink, log, dropboxAppSecret: options.dropboxAppSecret || undefined, answerWithinMs: options.answerWithinMs,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseTarget(req.url);
    if (!url) {
      req.resume();
      return write(res, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Bad Request\n' });
    }
    const receive = ROUTES.get(url.pathname);
    if (!receive) {
      req.resume();
      return write(res, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found\n' });
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      log(`push: refused a request to ${url.pathname} from ${peer(req)}: its body is over ${MAX_BODY_BYTES} bytes`);
      res.setHeader('connection', 'close');
      return write(res, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Payload Too Large\n' });
    }
    const answer = await receive({ method: req.method ?? 'GET', url, headers: req.headers, body, from: peer(req) }, context);
    write(res, answer);
  }

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The database out of reach, say: the provider delivers the notification again later.
      log(`push: could not handle ${req.method ?? '?'} ${parseTarget(req.url)?.pathname ?? '(a malformed target)'} from ${peer(req)}: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) res.destroy();
      else write(res, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' }, body: 'Service Unavailable\n' });
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests under way get a moment to be answered.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function write(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers });
  res.end(answer.body ?? '');
}

function peer(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'an unknown address';
}

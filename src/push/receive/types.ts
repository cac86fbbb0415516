// What a provider's notification handler gets and answers: the request with its body read (and
// bounded) by the server, and an answer the server writes.
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { SyncRequestSink } from '../../contract/actor.ts';
import type { Db } from '../../db/connect.ts';

export interface PushRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The peer's address, for log lines. */
  from: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceiveContext {
  db: Db;
  sink: SyncRequestSink;
  log: (line: string) => void;
  /** The Dropbox app's secret, which signs its webhook's notifications. */
  dropboxAppSecret?: string;
  /** How long a notification's answer may wait for the sink (default 2.5 s, within Graph's 3 s). */
  answerWithinMs?: number;
}

export type Receiver = (request: PushRequest, context: ReceiveContext) => Promise<Answer>;

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A header's one value (the first, when it came more than once). */
export function headerOf(request: PushRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Text from the request for a log line: at most 64 characters, nothing but plain ones. Never a secret. */
export function shown(text: string): string {
  const plain = text.slice(0, 64).replace(/[^\w.:@/+=-]/g, '?');
  return JSON.stringify(text.length > 64 ? `${plain}…` : plain);
}

/** A notification that is not taken: answered `status` and logged as one line. The answer does not
 * say why (which channels exist is no one else's business); the log does. */
export function refuse(context: ReceiveContext, request: PushRequest, service: string, status: number, why: string): Answer {
  context.log(`push: refused a ${service} notification from ${request.from}: ${why}`);
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${STATUS_CODES[status] ?? 'refused'}\n` };
}

/** A token to echo in a handshake, as text the browser will not take for a page. */
export function echo(token: string): Answer {
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: token };
}

export function methodNotAllowed(allowed: string): Answer {
  return { status: 405, headers: { allow: allowed, 'content-type': 'text/plain; charset=utf-8' }, body: `only ${allowed}\n` };
}

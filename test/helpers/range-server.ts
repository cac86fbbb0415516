// A real HTTP server on 127.0.0.1 that serves files with Range support and fails on request the way
// networks and storage servers do, counting what it receives and sends; and a FetchRange over it made
// with the global fetch(), as a network provider would make one.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import type { AddressInfo, Socket } from 'node:net';
import { parseRetryAfter } from '../../src/providers/remote/retry-after.ts';
import { type FetchRange, RemoteRequestError } from '../../src/providers/remote/types.ts';

export type Fault =
  /** Answers this status (with Retry-After when given) and no body. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Closes the connection without an answer. */
  | { kind: 'reset' }
  /** Promises the whole range, sends `after` bytes of it, closes the connection. */
  | { kind: 'truncate'; after: number }
  /** Sends the headers and `after` bytes (default none), then nothing more. */
  | { kind: 'stall'; after?: number }
  /** Answers normally, `ms` later. */
  | { kind: 'delay'; ms: number };

export interface RequestInfo {
  path: string;
  range: string | undefined;
  /** Requests under way, this one included. */
  inFlight: number;
}

export interface RangeServerStats {
  requests: number;
  /** Body bytes written to clients. */
  bytesSent: number;
  inFlight: number;
  maxInFlight: number;
  /** Each request's Range header, in order. */
  ranges: (string | undefined)[];
}

export interface RangeServer {
  readonly url: string;
  readonly files: Map<string, Uint8Array>;
  /** Answer every GET with 200 and the whole file, as a server that does not know Range. */
  ignoreRange: boolean;
  /** Faults for the next requests, in order, one per request. */
  faults: Fault[];
  /** Decides a fault for requests the queue has none for. */
  faultFor: ((request: RequestInfo) => Fault | undefined) | undefined;
  /** Added to every answer. */
  latencyMs: number;
  readonly stats: RangeServerStats;
  resetStats(): void;
  fetchRange(path: string): FetchRange;
  close(): Promise<void>;
}

export async function startRangeServer(files: Record<string, Uint8Array> = {}): Promise<RangeServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const emptyStats = (): RangeServerStats => ({ requests: 0, bytesSent: 0, inFlight: 0, maxInFlight: 0, ranges: [] });

  const state: RangeServer = {
    url: '',
    files: new Map(Object.entries(files)),
    ignoreRange: false,
    faults: [],
    faultFor: undefined,
    latencyMs: 0,
    stats: emptyStats(),
    resetStats() {
      Object.assign(this.stats, emptyStats(), { inFlight: this.stats.inFlight });
    },
    fetchRange: (path) => fetchRangeOver(new URL(path, state.url).href),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((req, res) => {
    const stats = state.stats;
    stats.requests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let counted = true;
    res.on('close', () => {
      if (counted) state.stats.inFlight -= 1;
      counted = false;
    });
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range;
    stats.ranges.push(range);
    const fault = state.faults.shift() ?? state.faultFor?.({ path, range, inFlight: stats.inFlight });
    const delay = state.latencyMs + (fault?.kind === 'delay' ? fault.ms : 0);
    const answer = () => respond(path, range, fault, req, res);
    if (delay > 0) later(delay, answer);
    else answer();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function send(res: http.ServerResponse, bytes: Uint8Array, done?: () => void): void {
    state.stats.bytesSent += bytes.length;
    res.write(bytes, () => done?.());
  }

  function respond(path: string, range: string | undefined, fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const headers: http.OutgoingHttpHeaders = { 'content-length': 0 };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end();
      return;
    }
    const file = state.files.get(path);
    if (!file) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    let start = 0;
    let end = file.length - 1;
    let status = 200;
    const headers: http.OutgoingHttpHeaders = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    const asked = state.ignoreRange ? undefined : /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    if (asked) {
      start = Number(asked[1]);
      if (asked[2]) end = Math.min(end, Number(asked[2]));
      if (start >= file.length || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${file.length}`, 'content-length': 0 }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${file.length}`;
    }
    const body = file.subarray(start, end + 1);
    headers['content-length'] = body.length;
    res.writeHead(status, headers);
    if (fault?.kind === 'truncate') {
      send(res, body.subarray(0, fault.after), () => req.socket.destroy());
      return;
    }
    if (fault?.kind === 'stall') {
      res.flushHeaders();
      if (fault.after) send(res, body.subarray(0, fault.after));
      return;
    }
    send(res, body);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return state;
}

/** A FetchRange over plain HTTP with the global fetch(), the way a network provider maps its answers. */
export function fetchRangeOver(url: string): FetchRange {
  return async (start, end, signal) => {
    const response = await fetch(url, { headers: { range: `bytes=${start}-${end ?? ''}` }, signal });
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new RemoteRequestError(response.status, `GET ${new URL(url).pathname}: HTTP ${response.status}`, {
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    const body = response.body;
    if (!body) throw new Error('an answer without a body');
    let first = 0;
    let totalSize = Number(response.headers.get('content-length'));
    if (response.status === 206) {
      const parts = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      if (!parts) throw new Error('a 206 without a Content-Range');
      first = Number(parts[1]);
      totalSize = Number(parts[3]);
    }
    return {
      status: response.status === 206 ? 206 : 200,
      totalSize,
      start: first,
      body,
      cancel: () => {
        body.cancel().catch(() => undefined);
      },
    };
  };
}

/** A range server and an empty temp dir for one test file: started before its tests, its faults and
 * counts cleared before each, and the temp dir checked empty after each (nothing left behind). */
export function useRangeServer(files: Record<string, Uint8Array>, prefix: string): { server: RangeServer; tempDir: string } {
  const used = {} as { server: RangeServer; tempDir: string };
  before(async () => {
    used.server = await startRangeServer(files);
    used.tempDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    await used.server.close();
    await rm(used.tempDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    used.server.faults = [];
    used.server.faultFor = undefined;
    used.server.ignoreRange = false;
    used.server.resetStats();
  });
  afterEach(async () => {
    assert.deepEqual(await readdir(used.tempDir), [], 'no temporary file is left behind');
  });
  return used;
}

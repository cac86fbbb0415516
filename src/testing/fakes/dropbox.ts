// A fake of Dropbox API v2 for the tests and the bench: a real HTTP server on 127.0.0.1 serving a
// folder on disk (a DirectoryTree) as a user's Dropbox, with the requests the dropbox provider makes,
// in their documented shapes (https://www.dropbox.com/developers/documentation/http/documentation):
// RPC endpoints under `${apiUrl}/files/...` (POST, JSON body), the download under
// `${contentUrl}/files/download` (POST, argument in the Dropbox-API-Arg header, which must be HTTP
// header safe: https://www.dropbox.com/developers/reference/json-encoding), bearer tokens checked
// with the fake OAuth authority (401 `expired_access_token` / `invalid_access_token`), throttling as
// 429 `too_many_requests` with Retry-After, endpoint errors as 409 with `error_summary`. The account
// (users/get_current_account) and the app's webhook (addWebhook(), notify()) are dropbox/webhooks.ts's.
//
// Not modelled: more than one account, namespaces and shared folders (`ns:` paths, team spaces), `rev:` paths and
// file history, Dropbox's own case folding (JavaScript's toLowerCase stands in for it), names that
// differ only in case within one folder (Dropbox cannot hold them; the fake lists both), media info,
// property groups, shared links, longpoll, uploads and every write, GET downloads with `arg` in the
// URL, ETag caching of downloads, content hashes of past versions (a file's hash is of its bytes now),
// parents' case in `path_display` (always exact here; Dropbox may show an older case), and limits on
// request rates (429 comes only from throttle()).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { headerSafeJson } from '../../providers/dropbox/header-json.ts';
import type { FakeAuthority } from './authority.ts';
import { badRequest, BadRequest, EndpointError, endpointError, readBody, sendJson, tooManyRequests, unauthorized } from './dropbox/answers.ts';
import { DROPBOX_MAX_LIMIT, DropboxModel } from './dropbox/endpoints.ts';
import { DropboxAccount, type Delivery } from './dropbox/webhooks.ts';
import { DirectoryTree } from './tree.ts';

export interface DropboxFakeOptions {
  /** The folder served as the Dropbox. */
  root: string;
  authority: FakeAuthority;
  /** The most entries one page holds, whatever `limit` asks (Dropbox: 2000). */
  maxPageSize?: number;
  /** The linked account's id (a random `dbid:` by default). */
  accountId?: string;
  /** The app's secret, which signs the webhook's notifications. */
  appSecret?: string;
}

export interface DropboxFake {
  /** `http://127.0.0.1:<port>/api/2`, as https://api.dropboxapi.com/2 */
  apiUrl: string;
  /** `http://127.0.0.1:<port>/content/2`, as https://content.dropboxapi.com/2 */
  contentUrl: string;
  tree: DirectoryTree;
  /** Requests received, by endpoint (`files/list_folder`, `files/download`, ...), refused ones included. */
  requests: Map<string, number>;
  /** The most entries one page holds from now on (a cursor's page size is Dropbox's to choose). */
  maxPageSize: number;
  /** The next `count` requests answer 429 too_many_requests with Retry-After: 1. */
  throttle(count: number): void;
  /** Every cursor issued so far is forgotten: list_folder/continue answers 409 `reset`. */
  expireCursors(): void;
  /** The account users/get_current_account answers. */
  accountId: string;
  /** Sets the app's webhook URL, once it answered the challenge (throws when it does not). */
  addWebhook(url: string): Promise<void>;
  /** A signed notification of a change in the account to every webhook; the answers' statuses. */
  notify(): Promise<Delivery[]>;
  stop(): Promise<void>;
}

const RPC_ENDPOINTS = ['files/list_folder', 'files/list_folder/continue', 'files/list_folder/get_latest_cursor', 'files/get_metadata'] as const;
type RpcEndpoint = (typeof RPC_ENDPOINTS)[number];

export async function startDropboxFake(options: DropboxFakeOptions): Promise<DropboxFake> {
  const model = new DropboxModel(new DirectoryTree(options.root, { idPrefix: 'id:' }), options.maxPageSize ?? DROPBOX_MAX_LIMIT);
  const requests = new Map<string, number>();
  const account = new DropboxAccount({ accountId: options.accountId, appSecret: options.appSecret });
  let throttled = 0;

  const rpc: Record<RpcEndpoint, (body: unknown) => unknown> = {
    'files/list_folder': (body) => model.listFolder(body),
    'files/list_folder/continue': (body) => model.continue(body),
    'files/list_folder/get_latest_cursor': (body) => model.latestCursor(body),
    'files/get_metadata': (body) => model.getMetadata(body),
  };

  async function answerRpc(endpoint: RpcEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      throw new BadRequest(`Bad HTTP "Content-Type" header: "${req.headers['content-type'] ?? ''}". Expecting one of "application/json".`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BadRequest('request body: could not decode input as JSON');
    }
    sendJson(res, 200, await rpc[endpoint](body));
  }

  // https://www.dropbox.com/developers/documentation/http/documentation#files-download
  async function answerDownload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await readBody(req);
    const type = req.headers['content-type'];
    if (type !== undefined && type !== '' && !/^(text\/plain|application\/octet-stream)\s*(;\s*charset=utf-8)?$/i.test(type)) {
      throw new BadRequest(`Bad HTTP "Content-Type" header: "${type}". Expecting one of "text/plain", "application/octet-stream".`);
    }
    const header = req.headers['dropbox-api-arg'];
    if (typeof header !== 'string') throw new BadRequest('Missing "Dropbox-API-Arg" header');
    // Node reads header bytes as Latin-1: anything outside printable ASCII was not escaped.
    if (/[^\x20-\x7e]/.test(header)) throw new BadRequest('"Dropbox-API-Arg" header is not HTTP header safe: escape 0x7F and non-ASCII characters as \\uXXXX');
    let arg: unknown;
    try {
      arg = JSON.parse(header);
    } catch {
      throw new BadRequest('HTTP header "Dropbox-API-Arg": could not decode input as JSON');
    }
    const { item, metadata } = await model.downloadTarget(arg as Record<string, unknown>);
    const size = item.state.size;
    const headers = { 'content-type': 'application/octet-stream', 'dropbox-api-result': headerSafeJson(metadata), 'accept-ranges': 'bytes' };
    const range = rangeOf(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'text/plain' }).end();
      return;
    }
    const [start, end] = range ?? [0, size - 1];
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) });
    else res.writeHead(200, { ...headers, 'content-length': String(size) });
    if (size === 0) {
      res.end();
      return;
    }
    await pipeline(model.tree.stream(item.state.id, start, end + 1), res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/(api|content)\/2\/(.+)$/.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const endpoint = match?.[2] ?? req.url ?? '/';
    requests.set(endpoint, (requests.get(endpoint) ?? 0) + 1);
    try {
      const isRpc = match?.[1] === 'api' && (RPC_ENDPOINTS as readonly string[]).includes(endpoint);
      const isAccount = match?.[1] === 'api' && endpoint === 'users/get_current_account';
      const isDownload = match?.[1] === 'content' && endpoint === 'files/download';
      if (!isRpc && !isAccount && !isDownload) throw new BadRequest(`Unknown API function: "${endpoint}"`);
      if (req.method !== 'POST') throw new BadRequest(`Unsupported method "${req.method ?? ''}"`);
      const auth = options.authority.check(req.headers.authorization);
      if (auth !== 'ok') {
        await readBody(req);
        unauthorized(res, auth === 'expired' ? 'expired_access_token' : 'invalid_access_token');
        return;
      }
      if (throttled > 0) {
        throttled -= 1;
        await readBody(req);
        tooManyRequests(res, 1);
        return;
      }
      if (isAccount) {
        sendJson(res, 200, account.currentAccount(await readBody(req), req.headers['content-type']));
        return;
      }
      await model.refresh();
      if (isRpc) await answerRpc(endpoint as RpcEndpoint, req, res);
      else await answerDownload(req, res);
    } catch (err) {
      if (res.headersSent) throw err;
      if (err instanceof EndpointError) endpointError(res, err);
      else if (err instanceof BadRequest) badRequest(res, endpoint, err.message);
      else throw err;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : 'error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/2`,
    contentUrl: `${base}/content/2`,
    tree: model.tree,
    requests,
    get maxPageSize() {
      return model.maxPageSize;
    },
    set maxPageSize(value: number) {
      model.maxPageSize = value;
    },
    throttle(count) {
      throttled += count;
    },
    expireCursors() {
      model.expireCursors();
    },
    accountId: account.accountId,
    addWebhook: (url) => account.addWebhook(url),
    notify: () => account.notify(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A `Range: bytes=...` header as the first and last byte, 'unsatisfiable' (416), or undefined for
 * none (or one that is not a single byte range, which servers may ignore). */
function rangeOf(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return end < start ? undefined : [start, end];
}

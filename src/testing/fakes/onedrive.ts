// A fake of Microsoft Graph v1.0's OneDrive API for the tests and the bench: a real HTTP server on
// 127.0.0.1 serving a folder on disk (a DirectoryTree) as a user's drive, with the requests the
// onedrive provider makes, in their documented shapes:
//   GET /me/drive/root, /me/drive/root:/{path}, /me/drive/items/{id}
//       https://learn.microsoft.com/en-us/graph/api/driveitem-get
//   GET /me/drive/items/{id}/delta, /me/drive/root/delta (token absent, `latest`, or from a link)
//       https://learn.microsoft.com/en-us/graph/api/driveitem-delta
//       https://learn.microsoft.com/en-us/onedrive/developer/rest-api/concepts/scan-guidance
//   GET /me/drive/items/{id}/content: 302 to a pre-authenticated URL of this server
//       (`/download/{id}?e=..&sig=..`, no bearer needed) that honours Range (206, 416 for an empty file)
//       https://learn.microsoft.com/en-us/graph/api/driveitem-get-content
//   POST /subscriptions, PATCH and DELETE /subscriptions/{id}, with the validation of the notification
//       URL and the notifications after a change (notify()): see onedrive/subscriptions.ts
// Bearer tokens are checked with the fake OAuth authority (401 InvalidAuthenticationToken); throttling
// is 429 activityLimitReached with Retry-After (https://learn.microsoft.com/en-us/graph/throttling);
// other errors are Graph's `{"error": {"code", "message"}}` (404 itemNotFound, 410 resyncRequired with
// a Location to start over). `$select` and `$top` are honoured (pages of at most 1000 items, 200 by
// default). Links are built on the Host the request came to, as a proxy in front expects.
//
// Not modelled: drives other than /me/drive, shared items (remoteItem) and permissions (403 comes
// from nowhere), packages (OneNote), the function form `delta(token='...')`, delta with
// `deltaExcludeParent` and the Prefer headers, folder sizes (always 0) and cTag semantics, hashes of a
// file's past versions, a file's download URL pinned to its version (the URL serves the file as it
// is), conflicts of names that differ only in case (the disk decides; paths are looked up
// case-insensitively), expiry of tokens other than by expireCursors(), and rates: 429 comes only
// from throttle(). Delta specifics are in onedrive/delta.ts (a folder moved in comes without its
// contents). The pre-authenticated download does not refresh the tree: the /content request just
// before it did.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeAuthority } from './authority.ts';
import { GraphFailure, invalidRequest, itemNotFound, sendBytes, sendError, sendJson } from './onedrive/answers.ts';
import { DeltaModel } from './onedrive/delta.ts';
import { deletedItemOf, driveItemOf, selected, type HashFlavour } from './onedrive/drive-items.ts';
import { GraphSubscriptionsModel, type Delivery, type FakeSubscription } from './onedrive/subscriptions.ts';
import { DirectoryTree, type TreeItem } from './tree.ts';
import { jsonBody } from './json-body.ts';

export interface OnedriveFakeOptions {
  /** The folder served as the drive. */
  root: string;
  authority: FakeAuthority;
  /** Which hashes files carry (default `business`: quickXorHash). */
  hashes?: HashFlavour;
  /** The most items one page holds, whatever `$top` asks (Graph: 1000). */
  maxPageSize?: number;
  /** Pages of this many items whatever `$top` asks: Graph does not always honour it. */
  ignoreTop?: number;
}

export interface OnedriveFake {
  /** `http://127.0.0.1:<port>/v1.0`, as https://graph.microsoft.com/v1.0 */
  apiUrl: string;
  tree: DirectoryTree;
  /** Requests received, by endpoint (`driveItem`, `delta`, `content`, `download`, `subscriptions`), refused ones included. */
  requests: Map<string, number>;
  /** The next `count` API requests answer 429 activityLimitReached with Retry-After: 1. */
  throttle(count: number): void;
  /** Every deltaLink handed out so far answers 410 resyncRequired from now on. */
  expireCursors(): void;
  /** The change notification subscriptions live now. */
  subscriptions(): FakeSubscription[];
  /** Validation requests sent to notification URLs, and how many were answered right. */
  validations: { sent: number; passed: number };
  /** A notification to every live subscription, as Graph sends after a change; the answers' statuses. */
  notify(): Promise<Delivery[]>;
  stop(): Promise<void>;
}

const API_PREFIX = '/v1.0';
const DEFAULT_PAGE_SIZE = 200;
const GRAPH_MAX_PAGE_SIZE = 1000;
/** Pre-authenticated URLs last a few minutes. */
const DOWNLOAD_URL_TTL_MS = 10 * 60_000;

type Endpoint = 'driveItem' | 'delta' | 'content';

interface Route {
  endpoint: Endpoint;
  /** The item, or undefined when the path names none. */
  item: TreeItem | undefined;
}

export async function startOnedriveFake(options: OnedriveFakeOptions): Promise<OnedriveFake> {
  const tree = new DirectoryTree(options.root, { idPrefix: 'F00D!' });
  const model = new DeltaModel(tree);
  const hashes = options.hashes ?? 'business';
  const maxPageSize = options.maxPageSize ?? GRAPH_MAX_PAGE_SIZE;
  const signingKey = randomBytes(32);
  const requests = new Map<string, number>();
  const subscriptions = new GraphSubscriptionsModel();
  let throttled = 0;
  const count = (endpoint: string) => requests.set(endpoint, (requests.get(endpoint) ?? 0) + 1);
  const sign = (id: string, expires: number) => createHmac('sha256', signingKey).update(`${id}\n${expires}`).digest('base64url');

  /** The item a path under /me/drive names, looked up as Graph does: names case-insensitively. */
  function route(path: string): Route | undefined {
    let match = /^\/me\/drive\/root(\/delta|\/content)?$/.exec(path);
    if (match) return { endpoint: endpointOf(match[1]), item: tree.get(tree.rootId) };
    match = /^\/me\/drive\/items\/([^/]+)(\/delta|\/content)?$/.exec(path);
    if (match) return { endpoint: endpointOf(match[2]), item: tree.get(decode(match[1]!)) };
    match = /^\/me\/drive\/root:(\/.*?)(?::(\/delta|\/content)?)?$/.exec(path);
    if (match) return { endpoint: endpointOf(match[2]), item: itemAt(match[1]!.split('/').filter(Boolean).map(decode)) };
    return undefined;
  }

  function itemAt(names: string[]): TreeItem | undefined {
    let item = tree.get(tree.rootId);
    for (const name of names) {
      const children = tree.children(item!.id);
      item = children.find((c) => c.name === name) ?? children.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!item) return undefined;
    }
    return item;
  }

  /** The bearer token must be good, and the account not throttled. */
  function admit(req: IncomingMessage): void {
    const check = options.authority.check(req.headers.authorization);
    if (check !== 'ok') {
      throw new GraphFailure(401, 'InvalidAuthenticationToken', check === 'expired' ? 'Access token has expired or is not yet valid.' : 'Access token validation failure. Invalid audience.', {
        headers: { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' },
      });
    }
    if (throttled > 0) {
      throttled--;
      throw new GraphFailure(429, 'activityLimitReached', 'The request has been throttled', { headers: { 'retry-after': '1' } });
    }
  }

  async function answerApi(req: IncomingMessage, res: ServerResponse, url: URL, base: string): Promise<void> {
    const target = route(url.pathname.slice(API_PREFIX.length));
    count(target?.endpoint ?? 'unknown');
    if (req.method !== 'GET') throw new GraphFailure(405, 'invalidRequest', `${req.method} is not supported here`);
    admit(req);
    if (!target) throw invalidRequest(`Invalid request: ${url.pathname}`);
    await tree.refresh();
    // Looked up again after the refresh.
    const { endpoint } = target;
    const item = route(url.pathname.slice(API_PREFIX.length))!.item;
    if (!item) throw itemNotFound();
    const select = url.searchParams.get('$select');
    if (endpoint === 'driveItem') {
      sendJson(res, 200, { '@odata.context': `${base}${API_PREFIX}/$metadata#driveItem`, ...selected(await driveItemOf(tree, item, { hashes, inDelta: false }), select) });
    } else if (endpoint === 'content') {
      if (item.folder) throw invalidRequest('The item is a folder: only files have content');
      const expires = Date.now() + DOWNLOAD_URL_TTL_MS;
      res.writeHead(302, { location: `${base}/download/${encodeURIComponent(item.id)}?e=${expires}&sig=${sign(item.id, expires)}` }).end();
    } else {
      await answerDelta(res, url, base, item, select);
    }
  }

  async function answerDelta(res: ServerResponse, url: URL, base: string, scope: TreeItem, select: string | null): Promise<void> {
    if (!scope.folder) throw invalidRequest('delta is only supported on folders');
    const topText = url.searchParams.get('$top');
    const top = topText === null ? DEFAULT_PAGE_SIZE : Number.parseInt(topText, 10);
    if (!Number.isSafeInteger(top) || top < 1) throw invalidRequest(`Invalid $top value: ${topText}`);
    const answer = model.page(scope.id, url.searchParams.get('token') ?? undefined, options.ignoreTop ?? Math.min(top, maxPageSize));
    const link = (token: string | undefined) => {
      const next = new URL(`${base}${url.pathname}`);
      if (token !== undefined) next.searchParams.set('token', token);
      for (const name of ['$select', '$top']) if (url.searchParams.has(name)) next.searchParams.set(name, url.searchParams.get(name)!);
      return next.href;
    };
    if (answer.kind === 'bad') throw invalidRequest(answer.reason);
    if (answer.kind === 'gone') {
      throw new GraphFailure(410, 'resyncRequired', `Resync required (${answer.reason}): enumerate the folder again.`, {
        innerCode: 'resyncChangesApplyDifferences', headers: { location: link(undefined) },
      });
    }
    const value = await Promise.all(answer.items.map(async (entry) =>
      'item' in entry ? selected(await driveItemOf(tree, entry.item, { hashes, inDelta: true }), select) : deletedItemOf(entry.deletedId, entry.parentId)));
    sendJson(res, 200, {
      '@odata.context': `${base}${API_PREFIX}/$metadata#Collection(driveItem)`,
      value,
      ...(answer.nextToken !== undefined ? { '@odata.nextLink': link(answer.nextToken) } : { '@odata.deltaLink': link(answer.deltaToken) }),
    });
  }

  async function answerSubscriptions(req: IncomingMessage, res: ServerResponse, url: URL, base: string): Promise<void> {
    count('subscriptions');
    const id = /^\/v1\.0\/subscriptions(?:\/([^/]+))?$/.exec(url.pathname);
    if (!id) throw invalidRequest(`Invalid request: ${url.pathname}`);
    const method = req.method ?? 'GET';
    const allowed = id[1] === undefined ? ['POST'] : ['PATCH', 'DELETE'];
    if (!allowed.includes(method)) throw new GraphFailure(405, 'invalidRequest', `${method} is not supported here`);
    admit(req);
    const context = `${base}${API_PREFIX}/$metadata#subscriptions/$entity`;
    if (method === 'DELETE') {
      subscriptions.delete(decode(id[1]!));
      res.writeHead(204).end();
      return;
    }
    const body = await jsonBody(req, () => new GraphFailure(400, 'BadRequest', 'Unable to read JSON request payload.'));
    if (method === 'POST') sendJson(res, 201, await subscriptions.create(body, context));
    else sendJson(res, 200, subscriptions.update(decode(id[1]!), body, context));
  }

  /** A pre-authenticated URL: no bearer, a signature that must match and not have expired. */
  async function answerDownload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    count('download');
    const id = decode(url.pathname.slice('/download/'.length));
    const expires = Number(url.searchParams.get('e'));
    const given = Buffer.from(url.searchParams.get('sig') ?? '');
    const expected = Buffer.from(sign(id, expires));
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || !(expires > Date.now())) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('the download URL is not valid (or no longer)');
      return;
    }
    await sendBytes(res, tree, id, req.headers.range);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const base = `http://${req.headers.host ?? '127.0.0.1'}`;
    const handle = url.pathname.startsWith('/download/')
      ? answerDownload(req, res, url)
      : url.pathname === `${API_PREFIX}/subscriptions` || url.pathname.startsWith(`${API_PREFIX}/subscriptions/`)
        ? answerSubscriptions(req, res, url, base)
      : url.pathname.startsWith(`${API_PREFIX}/`)
        ? answerApi(req, res, url, base)
        : Promise.reject(invalidRequest(`Invalid request: ${url.pathname}`));
    handle.catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else if (err instanceof GraphFailure) sendError(res, err.status, err.code, err.message, err.headers, err.innerCode);
      else sendError(res, 500, 'generalException', err instanceof Error ? err.message : 'error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  await tree.refresh();

  return {
    apiUrl: `http://127.0.0.1:${port}${API_PREFIX}`,
    tree,
    requests,
    throttle(n) {
      throttled = n;
    },
    expireCursors() {
      model.expire();
    },
    subscriptions: () => subscriptions.live(),
    validations: subscriptions.validations,
    notify: () => subscriptions.notify(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function endpointOf(action: string | undefined): Endpoint {
  return action === '/delta' ? 'delta' : action === '/content' ? 'content' : 'driveItem';
}


function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest(`Invalid path segment: ${segment}`);
  }
}

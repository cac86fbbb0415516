// A fake of the Google Drive API v3 for the tests of the gdrive provider: a real HTTP server on
// 127.0.0.1 (a port the kernel picked) answering the requests the provider makes, in Drive's shapes,
// over a folder on disk (DirectoryTree: the folder is the user's My Drive, its inodes the file ids).
// Bearer tokens are checked with the fake authority; every request first rescans the folder.
//
//   GET /drive/v3/files                      files.list  https://developers.google.com/drive/api/reference/rest/v3/files/list
//   GET /drive/v3/files/{id}                 files.get   https://developers.google.com/drive/api/reference/rest/v3/files/get
//   GET /drive/v3/files/{id}?alt=media       download    https://developers.google.com/drive/api/guides/manage-downloads
//   GET /drive/v3/changes/startPageToken     changes.getStartPageToken
//                                                        https://developers.google.com/drive/api/reference/rest/v3/changes/getStartPageToken
//   GET /drive/v3/changes                    changes.list https://developers.google.com/drive/api/reference/rest/v3/changes/list
//   POST /drive/v3/changes/watch             changes.watch https://developers.google.com/drive/api/reference/rest/v3/changes/watch
//   POST /drive/v3/channels/stop             channels.stop https://developers.google.com/drive/api/reference/rest/v3/channels/stop
// Push notifications to the channels (after a change: notify()) as gdrive/channels.ts says.
// Errors as https://developers.google.com/drive/api/guides/handle-errors shows them (gdrive/errors.ts).
//
// Not modelled: the trash (a file deleted on disk is gone for good: `removed: true`), shared drives
// and sharing (every item is the user's own, in My Drive), items with several parents, revisions,
// exports of Google Docs, uploads and every other write, `orderBy` other than `name,createdTime` (the
// order of every answer; Drive compares names by its own collation, the fake by code points),
// `spaces`/`corpora`, query terms other than those in gdrive/query.ts, the `a/b` spelling of
// `fields`, the daily quota, and real ids (ids count up, so `createdTime` follows them). A files.list
// page token is an offset into the answer as it is when that page is asked for, not a snapshot.
// Google Docs, shortcuts, duplicate names and `/` in names come from names on disk (gdrive/resources.ts).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { FakeAuthority } from './authority.ts';
import {
  DriveError, fileNotDownloadable, fileNotFound, invalidCredentials, invalidValue, sendError, usageLimit, type UsageLimitReason,
} from './gdrive/errors.ts';
import { FieldsError, parseFields, select, under } from './gdrive/fields.ts';
import { DriveChannels, type Delivery, type FakeDriveChannel } from './gdrive/channels.ts';
import { parseQuery, QueryError, type Query } from './gdrive/query.ts';
import { createdOrder, driveItem, fileResource, ID_PREFIX, MY_DRIVE, type DriveItem } from './gdrive/resources.ts';
import { DirectoryTree, type TreeItem } from './tree.ts';
import { jsonBody } from './json-body.ts';

/** Drive's answer to a body that is not JSON. */
const notJson = () => new DriveError(400, 'parseError', 'Parse Error');

export interface GdriveFakeOptions {
  /** The folder served as My Drive. */
  root: string;
  authority: FakeAuthority;
}

export interface GdriveFake {
  /** The API base, as a profile's `apiUrl` (`http://127.0.0.1:<port>/drive/v3`). */
  apiUrl: string;
  tree: DirectoryTree;
  /** Requests received by endpoint: files.list, files.get, files.download, changes.getStartPageToken, changes.list, changes.watch, channels.stop. */
  requests: Map<string, number>;
  /** The next `count` requests answer 403 `reason` (default userRateLimitExceeded) with Retry-After: 1. */
  throttle(count: number, reason?: UsageLimitReason): void;
  /** Every change page token issued so far is refused (400 Invalid Value on pageToken). */
  expireCursors(): void;
  /** The notification channels open now (changes.watch, not stopped nor expired). */
  channels(): FakeDriveChannel[];
  /** A `change` message to every open channel, as Drive sends after a change; the answers' statuses. */
  notify(): Promise<Delivery[]>;
  stop(): Promise<void>;
}

/** "Acceptable values are 1 to 1000, inclusive. (Default: 100)" for both files.list and changes.list. */
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;
/** Change page tokens are numbers, as Drive's are: the epoch of expireCursors() and the journal position. */
const EPOCH_SPAN = 1_000_000_000;

export async function startGdriveFake(options: GdriveFakeOptions): Promise<GdriveFake> {
  const { authority } = options;
  const tree = new DirectoryTree(options.root, { idPrefix: ID_PREFIX });
  await tree.refresh();
  const requests = new Map<string, number>();
  let throttled = 0;
  let throttledWith: UsageLimitReason = 'userRateLimitExceeded';
  let epoch = 0;
  const channels = new DriveChannels();

  const changeToken = (seq: number) => String(epoch * EPOCH_SPAN + seq);
  const changeSeq = (token: string | null): number => {
    if (token === null) throw new DriveError(400, 'required', 'Required parameter: pageToken', { location: 'pageToken', locationType: 'parameter' });
    const n = /^\d{1,15}$/.test(token) ? Number(token) : Number.NaN;
    const seq = n % EPOCH_SPAN;
    if (Number.isNaN(n) || Math.floor(n / EPOCH_SPAN) !== epoch || seq < tree.compactedBefore || seq > tree.seq) throw invalidValue('pageToken');
    return seq;
  };
  const pageSizeOf = (url: URL): number => {
    const text = url.searchParams.get('pageSize');
    if (text === null) return DEFAULT_PAGE_SIZE;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw invalidValue('pageSize');
    return n;
  };
  const fieldsOf = (url: URL) => {
    try {
      return parseFields(url.searchParams.get('fields'));
    } catch (err) {
      if (err instanceof FieldsError) throw new DriveError(400, 'invalidParameter', `Invalid field selection ${url.searchParams.get('fields')}`, { location: 'fields', locationType: 'parameter' });
      throw err;
    }
  };
  /** Every item of the drive but My Drive itself, from the journal (an item's last entry is itself). */
  const items = (): TreeItem[] => tree.changesSince(0).flatMap((c) => (c.item ? [tree.get(c.id)].filter((i) => i !== undefined) : []));
  const itemOf = (id: string): TreeItem => {
    const item = tree.get(id === MY_DRIVE ? tree.rootId : id);
    if (!item) throw fileNotFound(id);
    return item;
  };

  /** files.list: the items matching `q`, by name then id, in pages; the token is the offset. */
  async function listFiles(url: URL, res: ServerResponse): Promise<void> {
    const q = url.searchParams.get('q') ?? '';
    let query: Query;
    try {
      query = q.trim() === '' ? () => true : parseQuery(q);
    } catch (err) {
      if (err instanceof QueryError) throw invalidValue('q');
      throw err;
    }
    const pageSize = pageSizeOf(url);
    const fields = fieldsOf(url);
    const orderBy = url.searchParams.get('orderBy');
    if (orderBy !== null && orderBy !== 'name,createdTime') throw invalidValue('orderBy');
    const bound = createHash('sha256').update(q).digest('base64url').slice(0, 12);
    const pageToken = url.searchParams.get('pageToken');
    let offset = 0;
    if (pageToken) {
      const match = /^(\d+)\.([\w-]+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
      if (!match || match[2] !== bound) throw invalidValue('pageToken');
      offset = Number(match[1]);
    }
    const matching: DriveItem[] = items().map((item) => driveItem(item, tree.rootId)).filter(query);
    // By name, then creation time (the order the tree first saw the items in: its ids count up).
    matching.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : createdOrder(a.item) - createdOrder(b.item)));
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? Buffer.from(`${offset + pageSize}.${bound}`).toString('base64url') : undefined;
    const files = await Promise.all(page.map((d) => fileResource(tree, d, under(fields, 'files'))));
    json(res, select({ kind: 'drive#fileList', incompleteSearch: false, files, ...(next ? { nextPageToken: next } : {}) }, fields));
  }

  async function getFile(id: string, url: URL, res: ServerResponse): Promise<void> {
    const fields = fieldsOf(url);
    json(res, select(await fileResource(tree, driveItem(itemOf(id), tree.rootId), fields), fields));
  }

  /** alt=media: the bytes, a Range as asked (206), 416 for a range past the end (every range of an
   * empty file), the whole file without one (200). */
  async function download(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const item = itemOf(id);
    if (item.folder || driveItem(item, tree.rootId).native) throw fileNotDownloadable();
    const size = item.size;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range?.trim() ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= size || end < start) {
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'text/html; charset=UTF-8' }).end('Requested range not satisfiable');
        return;
      }
      res.writeHead(206, { 'content-type': driveItem(item, tree.rootId).mimeType, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` });
    } else {
      res.writeHead(200, { 'content-type': driveItem(item, tree.rootId).mimeType, 'content-length': String(size) });
    }
    if (end < start) {
      res.end();
      return;
    }
    await pipeline(tree.stream(item.id, start, end + 1), res);
  }

  async function listChanges(url: URL, res: ServerResponse): Promise<void> {
    const seq = changeSeq(url.searchParams.get('pageToken'));
    const pageSize = pageSizeOf(url);
    const fields = fieldsOf(url);
    const pending = tree.changesSince(seq);
    const page = pending.slice(0, pageSize);
    const fileFields = under(under(fields, 'changes'), 'file');
    const changes = await Promise.all(
      page.map(async (c) => {
        const item = c.item ? tree.get(c.id) : undefined;
        return {
          kind: 'drive#change',
          changeType: 'file',
          time: new Date().toISOString(),
          removed: !item,
          fileId: c.id,
          ...(item ? { file: await fileResource(tree, driveItem(item, tree.rootId), fileFields) } : {}),
        };
      }),
    );
    const more = pending.length > pageSize;
    const answer = { kind: 'drive#changeList', changes, ...(more ? { nextPageToken: changeToken(page.at(-1)!.seq) } : { newStartPageToken: changeToken(tree.seq) }) };
    json(res, select(answer, fields));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = /^\/drive\/v3\/files\/([^/]+)$/.exec(url.pathname);
    const endpoint =
      url.pathname === '/drive/v3/files' ? 'files.list'
      : file ? (url.searchParams.get('alt') === 'media' ? 'files.download' : 'files.get')
      : url.pathname === '/drive/v3/changes/startPageToken' ? 'changes.getStartPageToken'
      : url.pathname === '/drive/v3/changes' ? 'changes.list'
      : url.pathname === '/drive/v3/changes/watch' ? 'changes.watch'
      : url.pathname === '/drive/v3/channels/stop' ? 'channels.stop'
      : undefined;
    const method = endpoint === 'changes.watch' || endpoint === 'channels.stop' ? 'POST' : 'GET';
    const handle = async (): Promise<void> => {
      if (!endpoint || req.method !== method) throw new DriveError(404, 'notFound', `Not Found: ${req.method} ${url.pathname}`);
      requests.set(endpoint, (requests.get(endpoint) ?? 0) + 1);
      if (authority.check(req.headers.authorization) !== 'ok') throw invalidCredentials();
      if (throttled > 0) {
        throttled -= 1;
        throw usageLimit(throttledWith);
      }
      await tree.refresh();
      const id = file ? decodeURIComponent(file[1]!) : '';
      if (endpoint === 'files.list') return listFiles(url, res);
      if (endpoint === 'files.get') return getFile(id, url, res);
      if (endpoint === 'files.download') return download(id, req, res);
      if (endpoint === 'changes.getStartPageToken') return json(res, { kind: 'drive#startPageToken', startPageToken: changeToken(tree.seq) });
      if (endpoint === 'changes.watch') {
        changeSeq(url.searchParams.get('pageToken'));
        const resourceUri = `${base}/drive/v3/changes?alt=json&pageToken=${url.searchParams.get('pageToken')!}`;
        return json(res, await channels.watch(await jsonBody(req, notJson), resourceUri));
      }
      if (endpoint === 'channels.stop') {
        channels.stop(await jsonBody(req, notJson));
        res.writeHead(204).end();
        return;
      }
      return listChanges(url, res);
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else if (err instanceof DriveError) sendError(res, err);
      else sendError(res, new DriveError(500, 'internalError', err instanceof Error ? err.message : 'Internal Error'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/drive/v3`,
    tree,
    requests,
    throttle(count, reason = 'userRateLimitExceeded') {
      throttled = count;
      throttledWith = reason;
    },
    expireCursors() {
      epoch += 1;
    },
    channels: () => channels.live(),
    notify: () => channels.notify(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

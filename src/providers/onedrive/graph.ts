// The Microsoft Graph requests the provider makes, each one through CloudHttp (bearer token, account
// limiter, retries). Only the fields read are asked for.
//   GET /me/drive/root, /me/drive/root:/{path}  https://learn.microsoft.com/en-us/graph/api/driveitem-get
//   GET /me/drive/items/{id}                    https://learn.microsoft.com/en-us/graph/api/driveitem-get
//   GET /me/drive/items/{id}/delta              https://learn.microsoft.com/en-us/graph/api/driveitem-delta
//   GET /me/drive/items/{id}/content            https://learn.microsoft.com/en-us/graph/api/driveitem-get-content
import type { CloudHttp } from '../cloud/http.ts';
import type { FetchRange } from '../remote/types.ts';
import { ProviderError } from '../types.ts';
import { ITEM_FIELDS, type DriveItem } from './drive-items.ts';

/** The most items Graph answers in one page (its default is 200). */
export const MAX_PAGE_SIZE = 1000;

/** One page of a delta: its items and either link, as paths under the API (see `relative`). */
export interface DeltaPage {
  items: DriveItem[];
  nextLink?: string;
  deltaLink?: string;
}

interface DeltaAnswer {
  value?: unknown;
  '@odata.nextLink'?: unknown;
  '@odata.deltaLink'?: unknown;
}

export class GraphClient {
  readonly apiUrl: string;
  private readonly http: CloudHttp;
  private readonly api: URL;

  constructor(http: CloudHttp, apiUrl: string) {
    this.http = http;
    this.apiUrl = apiUrl;
    this.api = new URL(apiUrl);
  }

  /** The item at `root` ('' is the drive's root): a path is addressed as `root:/a/b`. */
  rootItem(root: string): Promise<DriveItem> {
    const where = root === '' ? '/me/drive/root' : `/me/drive/root:/${root.split('/').map(encodeURIComponent).join('/')}`;
    return this.get<DriveItem>('OneDrive: finding the folder', `${where}?$select=${ITEM_FIELDS}`);
  }

  /** An item by id; undefined when it is gone. */
  async item(id: string): Promise<DriveItem | undefined> {
    try {
      return await this.get<DriveItem>('OneDrive: looking up a folder', `/me/drive/items/${encodeURIComponent(id)}?$select=id,name,folder,deleted,root,parentReference`);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'notFound') return undefined;
      throw err;
    }
  }

  /** The first request of a delta of the folder `id`: a whole enumeration, or with `latest` no items
   * and the link to the changes from now on. */
  deltaStart(id: string, pageSize: number, latest = false): string {
    return `/me/drive/items/${encodeURIComponent(id)}/delta?$select=${ITEM_FIELDS}&$top=${pageSize}${latest ? '&token=latest' : ''}`;
  }

  /** A deltaLink asked for the fields read and `pageSize` items a page (Graph takes both on it). */
  deltaFrom(deltaLink: string, pageSize: number): string {
    const url = new URL(deltaLink, 'http://link');
    url.searchParams.set('$select', ITEM_FIELDS);
    url.searchParams.set('$top', String(pageSize));
    return `${url.pathname}${url.search}`;
  }

  /** One page of a delta (`link`: deltaStart, deltaFrom or a nextLink), checked for its shape. */
  async delta(what: string, link: string): Promise<DeltaPage> {
    const answer = await this.get<DeltaAnswer>(what, link);
    if (!Array.isArray(answer.value) || !answer.value.every((item) => typeof (item as DriveItem | null)?.id === 'string')) {
      throw new ProviderError('unavailable', `${what}: Graph answered a delta page without its items`);
    }
    const page: DeltaPage = { items: answer.value as DriveItem[] };
    if (typeof answer['@odata.nextLink'] === 'string') page.nextLink = this.relative(answer['@odata.nextLink']);
    else if (typeof answer['@odata.deltaLink'] === 'string') page.deltaLink = this.relative(answer['@odata.deltaLink']);
    else throw new ProviderError('unavailable', `${what}: Graph answered a delta page with neither a nextLink nor a deltaLink`);
    return page;
  }

  /** Ranged reads of a file: /content answers 302 to a pre-authenticated URL, which fetch follows with
   * the Range header (and without the Authorization header when the URL is on another origin). */
  content(id: string): FetchRange {
    return this.http.fetchRange({ url: `${this.apiUrl}/me/drive/items/${encodeURIComponent(id)}/content` });
  }

  private get<T>(what: string, target: string): Promise<T> {
    return this.http.json<T>(what, { url: `${this.apiUrl}${target}` });
  }

  /** A link Graph answered, as a path under the API: stored that way in page tokens and cursors, and
   * refused when it lies elsewhere, where following it would hand over the access token. */
  relative(link: string): string {
    let url: URL;
    try {
      url = new URL(link, this.api);
    } catch {
      throw new ProviderError('invalid', 'Graph answered a link that is not a URL');
    }
    const base = this.api.pathname.replace(/\/+$/, '');
    if (url.origin !== this.api.origin || !url.pathname.startsWith(`${base}/`)) {
      throw new ProviderError('invalid', `Graph answered a link outside ${this.apiUrl} (${url.origin}); it is not followed`);
    }
    return `${url.pathname.slice(base.length)}${url.search}`;
  }
}

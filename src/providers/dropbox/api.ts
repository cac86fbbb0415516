// How this provider calls Dropbox API v2 (https://www.dropbox.com/developers/documentation/http/documentation):
// RPC endpoints are POST {apiUrl}/files/... with a JSON body and a JSON answer; the download is POST
// {contentUrl}/files/download with its argument in the Dropbox-API-Arg header and a Range for the
// bytes wanted (206). Every request goes through CloudHttp: bearer token, one renewal on 401, the
// account's limiter and withRetry, with Dropbox's errors read by errors.ts.
import { CloudHttp } from '../cloud/http.ts';
import type { AccountLimiter } from '../remote/limiter.ts';
import type { FetchRange } from '../remote/types.ts';
import type { AccessTokens } from '../oauth/types.ts';
import { dropboxErrorOf } from './errors.ts';
import { headerSafeJson } from './header-json.ts';

export class DropboxApi {
  private readonly http: CloudHttp;
  private readonly apiUrl: string;
  private readonly contentUrl: string;

  constructor(options: { tokens: AccessTokens; limiter: AccountLimiter; apiUrl: string; contentUrl: string }) {
    this.http = new CloudHttp({ tokens: options.tokens, limiter: options.limiter, errorOf: dropboxErrorOf });
    this.apiUrl = options.apiUrl;
    this.contentUrl = options.contentUrl;
  }

  /** One RPC call, e.g. `files/list_folder`; `what` names it in messages. */
  rpc<T>(endpoint: string, argument: Record<string, unknown>, what: string, signal?: AbortSignal): Promise<T> {
    return this.http.json<T>(what, { method: 'POST', url: `${this.apiUrl}/${endpoint}`, body: argument }, signal);
  }

  /** Ranged downloads of one file (`path` is an `id:...` or a `/path`), for the block reader and
   * the downloader, which retry them. */
  download(path: string): FetchRange {
    return this.http.fetchRange({
      method: 'POST',
      url: `${this.contentUrl}/files/download`,
      headers: { 'Dropbox-API-Arg': headerSafeJson({ path }) },
    });
  }
}

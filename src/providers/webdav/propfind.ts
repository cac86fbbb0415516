// One PROPFIND and its answer, read into plain entries. The `webdav` client makes the request (with
// its Basic or Digest authentication) and parses the XML; the hrefs are decoded here (location.ts).
import { parseXML, type DAVResultResponse, type Response, type WebDAVClient } from 'webdav';
import { ProviderError } from '../types.ts';
import { statusError, toRemoteError } from './errors.ts';
import { hrefSegments } from './location.ts';

/** One resource of a PROPFIND answer. */
export interface DavEntry {
  /** The href's decoded path segments (absolute, from the server's root). */
  segments: string[];
  /** The href ends with `/`: the server named a folder (said even of an entry it gives no properties of). */
  hrefIsFolder: boolean;
  /** The entry's own status: 200 when the server gave its properties, else why not (403, 404). */
  status: number;
  collection: boolean;
  size: number | undefined;
  modifiedAt: Date | null;
  contentType: string | null;
  /** ownCloud/Nextcloud's `oc:fileid`, stable across renames. */
  fileId: string | null;
  /** ownCloud/Nextcloud's `oc:checksums` text, `SHA1:… MD5:…`. */
  checksums: string | null;
  /** `getetag`: the server's tag for this version of the resource. */
  etag: string | null;
}

const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop>' +
  '<d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/><d:getcontenttype/>' +
  '<oc:fileid/><oc:checksums/>' +
  '</d:prop></d:propfind>';

/** Every element's text stays text: the parser would otherwise read `0012` or `0x1f` as numbers
 * (a file id or an ETag is not a number, and a large one would lose digits). */
const PARSING = { attributeNamePrefix: '@', attributeParsers: [], tagParsers: [(): undefined => undefined] };

/** PROPFIND of `path` (an absolute, encoded URL path) at depth 0 or 1. Throws RemoteRequestError
 * for an error status, ProviderError('invalid') when the server does not answer as WebDAV, and
 * ProviderError('unavailable') for an answer that cannot be read. */
export async function propfind(client: WebDAVClient, url: string, depth: 0 | 1, signal: AbortSignal): Promise<DavEntry[]> {
  const what = `PROPFIND ${decodeForPeople(url)}`;
  let response: Response;
  try {
    response = await client.customRequest('', {
      url,
      method: 'PROPFIND',
      headers: { Depth: String(depth), 'Content-Type': 'application/xml; charset=utf-8', Accept: 'application/xml, text/xml' },
      data: PROPFIND_BODY,
      signal,
    });
  } catch (err) {
    throw toRemoteError(err);
  }
  const body = await response.text();
  // A client that switched to Digest hands back its 401s instead of throwing them.
  if (response.status >= 400) throw statusError(response.status, response.statusText, response.headers.get('retry-after'));
  if (response.status !== 207) {
    throw new ProviderError('invalid', `${decodeForPeople(url)} does not answer as a WebDAV folder (PROPFIND answered HTTP ${response.status})`);
  }
  let responses: DAVResultResponse[];
  try {
    responses = (await parseXML(body, PARSING as Parameters<typeof parseXML>[1])).multistatus.response;
  } catch (err) {
    throw new ProviderError('unavailable', `${what}: the WebDAV server's answer could not be read: ${(err as Error).message}`, { cause: err });
  }
  return responses.filter((r) => textOf(r.href) !== undefined).map(entryOf);
}

function entryOf(response: DAVResultResponse): DavEntry {
  const href = textOf(response.href)!;
  const segments = hrefSegments(href);
  const propstat = response.propstat;
  const status = statusCode(propstat ? propstat.status : response.status) ?? 200;
  const props = (propstat && status < 300 ? propstat.prop : {}) as Record<string, unknown>;
  const size = Number.parseInt(textOf(props.getcontentlength) ?? '', 10);
  const modified = Date.parse(textOf(props.getlastmodified) ?? '');
  const contentType = textOf(props.getcontenttype)?.split(';')[0]?.trim().toLowerCase();
  const resourceType = props.resourcetype;
  return {
    segments,
    hrefIsFolder: /\/([?#].*)?$/s.test(href),
    status,
    collection: typeof resourceType === 'object' && resourceType !== null && 'collection' in resourceType,
    size: Number.isSafeInteger(size) && size >= 0 ? size : undefined,
    modifiedAt: Number.isNaN(modified) ? null : new Date(modified),
    contentType: contentType || null,
    fileId: textOf(props.fileid) || null,
    checksums: allText(props.checksums).join(' ') || null,
    etag: textOf(props.getetag) || null,
  };
}

/** The status code of `HTTP/1.1 404 Not Found`. */
function statusCode(line: unknown): number | undefined {
  const match = /^\S+\s+(\d{3})/.exec(textOf(line) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** An element's text: a string, or the text of an element that also has attributes. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && 'text' in value) return textOf((value as { text: unknown }).text);
  return undefined;
}

/** Every text inside an element, however nested (`<oc:checksums><oc:checksum>…` one or many). */
function allText(value: unknown): string[] {
  if (typeof value === 'string' || typeof value === 'number') return String(value).trim() ? [String(value).trim()] : [];
  if (Array.isArray(value)) return value.flatMap(allText);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, v]) => (key.startsWith('@') ? [] : allText(v)));
  }
  return [];
}

/** A URL as people read it: escapes decoded where they are UTF-8. */
export function decodeForPeople(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}

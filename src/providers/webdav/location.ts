// Where a WebDAV library is: the folder's URL, stored in one canonical spelling, and the paths under
// it as the library keeps them (text, see path-bytes.ts) and as the server spells them (percent-
// encoded bytes). Servers differ in how they encode the same name in their hrefs (`%20` or a raw
// space, `%C3%BC` or a raw `ü`, upper or lower hex), so names are compared decoded, never as URLs.
import { bytesToText, displayName, textToBytes } from '../path-bytes.ts';
import { ProviderError } from '../types.ts';

/** The URL schemes a root may be given in, and the one each stands for. */
const SCHEMES: Readonly<Record<string, 'http' | 'https'>> = {
  http: 'http',
  https: 'https',
  webdav: 'http',
  webdavs: 'https',
  dav: 'http',
  davs: 'https',
};

const CREDENTIALS_HINT = 'credentials come from MUSIC_SYNC_WEBDAV_USER and MUSIC_SYNC_WEBDAV_PASSWORD or a prompt, never the URL';

/** A root URL as the user gave it, shown back without any user name or password it held. */
function shownInput(input: string): string {
  return input.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
}

/**
 * The canonical URL of a WebDAV folder, `http(s)://host[:port]/path/`: `webdav://` and `dav://` are
 * http, `webdavs://` and `davs://` https; the host is lower-cased and a default port dropped (the
 * WHATWG URL parser's work); the path is decoded and encoded again in one spelling, without empty,
 * `.` or `..` segments, and ends with `/`. A user name or password in the URL, a query or a
 * fragment is refused with ProviderError('invalid').
 */
export function normalizeRootUrl(input: string): string {
  const text = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  const mapped = scheme === undefined ? undefined : SCHEMES[scheme];
  if (mapped === undefined) {
    throw new ProviderError('invalid', `"${shownInput(text)}" is not a WebDAV folder URL (http://, https://, webdav:// or webdavs://)`);
  }
  let url: URL;
  try {
    url = new URL(`${mapped}${text.slice(scheme!.length)}`);
  } catch (err) {
    throw new ProviderError('invalid', `"${shownInput(text)}" is not a WebDAV folder URL: ${(err as Error).message}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ProviderError('invalid', `the WebDAV URL must not hold a user name or password: ${CREDENTIALS_HINT}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ProviderError('invalid', `"${shownInput(text)}" has a query or fragment: write a "?" or "#" in a folder name as %3F or %23`);
  }
  const segments = pathSegments(url.pathname);
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || segment.includes('/')) {
      throw new ProviderError('invalid', `"${shownInput(text)}": the folder name ${JSON.stringify(displayName(segment))} cannot be part of a path`);
    }
  }
  return `${url.origin}${folderPath(segments)}`;
}

/** The decoded, non-empty segments of a URL path (`/a%20b/c/` is `['a b', 'c']`). */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment);
}

/** The segments of an href from a PROPFIND answer, an absolute URL or an absolute path. */
export function hrefSegments(href: string): string[] {
  const text = href.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // The path part by hand: the URL parser would re-encode it, and decoding must see the bytes as sent.
    const rest = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
    return pathSegments(rest.replace(/[?#].*$/s, ''));
  }
  return pathSegments(text.replace(/[?#].*$/s, ''));
}

/** The absolute path of a folder (ends with `/`) or a file, each segment encoded. */
export function folderPath(segments: readonly string[]): string {
  return segments.length === 0 ? '/' : `/${segments.map(encodeSegment).join('/')}/`;
}

export function filePath(segments: readonly string[]): string {
  return `/${segments.map(encodeSegment).join('/')}`;
}

/** Bytes outside RFC 3986's unreserved set are escaped: servers that treat `;`, `+` or `!` in a
 * path as something else then still see the name. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** One path segment's text (see path-bytes.ts) as URL text. */
export function encodeSegment(text: string): string {
  let out = '';
  for (const byte of textToBytes(text)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** One path segment of URL text as the library's text: `%XX` escapes are bytes, other characters
 * their UTF-8 bytes (servers send raw spaces and raw non-ASCII too), and a `%` that starts no escape
 * is itself. Bytes that are not UTF-8 are kept by path-bytes' escapes, so the name opens again. */
export function decodeSegment(raw: string): string {
  if (!raw.includes('%')) return bytesToText(Buffer.from(raw, 'utf8'));
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '%' && /^[0-9a-f]{2}$/i.test(raw.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    const cp = raw.codePointAt(i)!;
    if (cp > 0xffff) i += 1;
    bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
  }
  return bytesToText(Uint8Array.from(bytes));
}

/** The segments of `path` below `base`, or undefined when `path` is not under it (or is it).
 * Compared in Unicode's composed form: a server on macOS may hand back the decomposed spelling of
 * a name it was asked for composed. */
export function segmentsBelow(base: readonly string[], path: readonly string[]): string[] | undefined {
  if (path.length <= base.length) return undefined;
  for (let i = 0; i < base.length; i++) {
    if (!sameName(base[i]!, path[i]!)) return undefined;
  }
  return path.slice(base.length);
}

/** True when two segment lists name the same place. */
export function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => sameName(s, b[i]!));
}

function sameName(a: string, b: string): boolean {
  return a === b || a.normalize('NFC') === b.normalize('NFC');
}

/** A listed path (`a/b.mp3`, relative to the root) as segments; anything that could name a place
 * outside the root (`..`, an empty or `.` segment) is refused. */
export function listedSegments(relPath: string): string[] {
  const segments = relPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ProviderError('invalid', `${JSON.stringify(displayName(relPath))} is not a path inside the WebDAV folder`);
  }
  return segments;
}

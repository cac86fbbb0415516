// Object keys and the library's paths: a path is the key with the root's prefix taken off.
import { ProviderError } from '../types.ts';

/** What the listing makes of one key under the prefix. */
export type KeyVerdict =
  | { kind: 'file'; path: string }
  /** A folder marker (`music/Album/`, as consoles create) or a hidden name: nothing to say. */
  | { kind: 'skipped' }
  /** A key the library cannot hold as a path; the user hears of it. */
  | { kind: 'unlisted'; path: string; reason: string };

// Characters path-bytes.ts reserves for bytes that are not UTF-8; S3 keys are always UTF-8, so a
// key holding one would read back as other bytes.
const RESERVED = /[\u{10FF80}-\u{10FFFF}]/u;

/**
 * The path of a listed key. Keys are free text, paths are not: `a//b.mp3`, `./a.mp3` and `a/../b.mp3`
 * are valid keys that no path can name without colliding with another, so they are reported, not
 * listed. As in a local folder, names starting with `.` (`.DS_Store`, AppleDouble `._x.mp3`) and
 * everything under such a folder are skipped.
 */
export function pathOfKey(key: string, prefix: string): KeyVerdict {
  if (!key.startsWith(prefix)) return { kind: 'skipped' }; // the server ignored Prefix: not ours
  const path = key.slice(prefix.length);
  if (path === '' || path.endsWith('/')) return { kind: 'skipped' };
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { kind: 'unlisted', path, reason: 'the object key has an empty, "." or ".." segment, which no library path can name' };
  }
  if (key.includes('\0')) return { kind: 'unlisted', path, reason: 'the object key holds a NUL character' };
  if (RESERVED.test(path)) return { kind: 'unlisted', path, reason: 'the object key holds characters reserved for undecodable file names' };
  if (segments.some((s) => s.startsWith('.'))) return { kind: 'skipped' };
  return { kind: 'file', path };
}

/** The key of a listed path; refuses any path the listing could not have produced. */
export function keyOfPath(path: string, prefix: string): string {
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new ProviderError('invalid', `${JSON.stringify(path)} is not a path inside the bucket's music prefix`);
  }
  return prefix + path;
}

/**
 * `md5:<hex>` when the ETag is a plain MD5 of the content: 32 hex digits (quotes taken off). A
 * multipart upload's ETag (`<hex>-<parts>`) is a hash of the parts' hashes, not of the content, so it
 * gives nothing. Objects encrypted with SSE-KMS or SSE-C also have 32-hex ETags that are not the
 * content's MD5, and a listing cannot tell them apart: such a hash still changes exactly when the
 * content does, and is only ever compared with hashes from the same provider.
 */
export function providerHashOfEtag(etag: string | undefined): string | null {
  if (!etag) return null;
  const hex = etag.replace(/^(W\/)?"(.*)"$/, '$2').trim().toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? `md5:${hex}` : null;
}

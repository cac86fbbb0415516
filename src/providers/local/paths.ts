import { ProviderError } from '../types.ts';
import { displayName, textToBytes } from '../path-bytes.ts';

const SLASH = Buffer.from('/');

/** A folder on disk as both the text the library stores and the bytes the file system knows. */
export interface LocalPath {
  /** Segments relative to the root, as text (see path-bytes.ts). */
  readonly segments: readonly string[];
  /** The absolute path's bytes. */
  readonly bytes: Buffer;
}

export function child(parent: LocalPath, name: string, nameBytes: Buffer): LocalPath {
  return { segments: [...parent.segments, name], bytes: Buffer.concat([parent.bytes, SLASH, nameBytes]) };
}

/** A listed path (`a/b.mp3`, relative to the root) resolved under the root; anything that could
 * name a place outside it (`..`, an empty or `.` segment, an absolute path) or no file at all (a NUL)
 * is refused. */
export function resolveListed(root: LocalPath, relPath: string): LocalPath {
  const segments = relPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new ProviderError('invalid', `${JSON.stringify(displayName(relPath))} is not a path inside the music folder`);
  }
  let bytes: Buffer[];
  try {
    bytes = segments.map(textToBytes);
  } catch (err) {
    throw new ProviderError('invalid', (err as Error).message, { cause: err });
  }
  return segments.reduce<LocalPath>((at, name, i) => child(at, name, bytes[i]!), root);
}

/** The path for people: the root and the segments, escaped bytes shown as characters. */
export function shown(root: string, path: LocalPath): string {
  return displayName([root.replace(/\/$/, ''), ...path.segments].join('/'));
}

/** True when `real` (a real path) is `realRoot` itself or lies under it. */
export function isInside(realRoot: Buffer, real: Buffer): boolean {
  if (real.equals(realRoot)) return true;
  const prefix = realRoot.at(-1) === SLASH[0] ? realRoot : Buffer.concat([realRoot, SLASH]);
  return real.length > prefix.length && real.subarray(0, prefix.length).equals(prefix);
}

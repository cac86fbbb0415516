// The provider's page tokens and cursors: small JSON, opaque to the rest of music-sync. Links are kept
// as paths under the API (see GraphClient.relative), never with the host.
import { ProviderError } from '../types.ts';

/** A listing's next page: the delta of the root `r`, at the link `l`, from its `s`th file (a page
 * Graph answered with more files than asked for is handed out in parts). */
export interface ListToken {
  r: string;
  l: string;
  s?: number;
}

/** The change feed's position: the root folder's id and the deltaLink. */
export interface FeedCursor {
  r: string;
  l: string;
}

/** The next page of one read of the feed: a nextLink. */
export interface FeedToken {
  l: string;
}

export function encodeToken(token: ListToken | FeedCursor | FeedToken): string {
  return JSON.stringify(token);
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isLink = (value: unknown): value is string => typeof value === 'string' && value.startsWith('/');

export function decodeListToken(text: string): ListToken {
  const value = parse(text);
  if (!value || typeof value.r !== 'string' || !isLink(value.l) || (value.s !== undefined && !(Number.isSafeInteger(value.s) && (value.s as number) >= 0))) {
    throw new ProviderError('invalid', 'not a page token of a OneDrive listing');
  }
  return { r: value.r, l: value.l, ...(value.s !== undefined ? { s: value.s as number } : {}) };
}

/** A cursor of another provider or version is one the feed cannot read from: the sync lists instead. */
export function decodeCursor(text: string): FeedCursor {
  const value = parse(text);
  if (!value || typeof value.r !== 'string' || !isLink(value.l)) {
    throw new ProviderError('cursorExpired', 'the cursor is not one of a OneDrive change feed');
  }
  return { r: value.r, l: value.l };
}

export function decodeFeedToken(text: string): FeedToken {
  const value = parse(text);
  if (!value || !isLink(value.l)) throw new ProviderError('invalid', 'not a page token of a OneDrive change feed');
  return { l: value.l };
}

// The page token of a listing or a change-feed read: the Dropbox cursor the next page continues
// from (list_folder/continue takes nothing else), as small JSON so it can grow a field one day.
import { ProviderError } from '../types.ts';

export function pageTokenOf(cursor: string): string {
  return JSON.stringify({ cursor });
}

/** The cursor of a page token; ProviderError('invalid') for a token this provider did not make. */
export function cursorOf(pageToken: string): string {
  let value: unknown;
  try {
    value = JSON.parse(pageToken);
  } catch {
    value = undefined;
  }
  const cursor = (value as { cursor?: unknown } | undefined)?.cursor;
  if (typeof cursor !== 'string' || cursor === '') throw new ProviderError('invalid', 'not a page token of a Dropbox listing');
  return cursor;
}

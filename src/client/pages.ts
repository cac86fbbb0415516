// Paging of the client's lists: the query's page checked, and a page put together from its rows
// and counts.
import { InvalidInputError } from './errors.ts';
import type { Page, PageQuery } from './types.ts';

/** The most items one page may ask for: a caller who wants more goes on with `next`. */
export const MAX_PAGE = 5000;

export interface CheckedPage {
  limit: number;
  offset: number;
  after: string | undefined;
  count: boolean;
}

export function checkedPage(q: PageQuery, defaultLimit = 50): CheckedPage {
  const limit = q.limit ?? defaultLimit;
  const offset = q.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_PAGE}, got ${limit}`);
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidInputError(`offset must be a whole number, got ${offset}`);
  if (q.after !== undefined && offset > 0) throw new InvalidInputError('give offset or after, not both');
  return { limit, offset, after: q.after, count: q.count ?? true };
}

/** `counts.upTo`: the matching items up to `after`, where the page begins (ignored without `after`). */
export function pageOf<T>(items: T[], page: CheckedPage, counts: { total: number; upTo: number } | undefined, keyOf: (item: T) => string): Page<T> {
  const before = page.after !== undefined ? (counts?.upTo ?? 0) : page.offset;
  const remaining = counts ? Math.max(0, counts.total - before - items.length) : null;
  const more = remaining === null ? items.length === page.limit : remaining > 0;
  const last = items.at(-1);
  return { items, total: counts?.total ?? null, remaining, next: more && last !== undefined ? keyOf(last) : null };
}

/** A text filter as given, or undefined when empty. */
export function given(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

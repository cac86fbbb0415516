// The list commands' paging and output: every page of a list in turn, written as JSON (one array)
// or JSON lines without holding the list, and the table's "… N more" line.
import type { Page } from '../client/types.ts';
import type { ListOptions } from './args.ts';
import { count, type Output } from './output.ts';

/** Rows per page when reading a whole list: large enough to be few queries, small enough to stay
 * a few hundred kilobytes in memory. */
const READ_PAGE = 1000;

export interface PageRequest {
  limit: number;
  offset: number;
  after: string | undefined;
  count: boolean;
}

/**
 * The pages of a list from where the options say, `limit` items in all (undefined: to the end). The
 * first page is counted when `countFirst`; the following ones go on after the last item (or by offset
 * for lists without keys) and are not counted.
 */
export async function* eachPage<T>(
  fetch: (page: PageRequest) => Promise<Page<T>>,
  from: { limit: number | undefined; offset: number; after: string | undefined },
  countFirst = false,
): AsyncGenerator<Page<T>> {
  let left = from.limit ?? Infinity;
  let request: PageRequest = { limit: Math.min(left, READ_PAGE), offset: from.offset, after: from.after, count: countFirst };
  for (;;) {
    const page = await fetch(request);
    yield page;
    left -= page.items.length;
    const full = page.items.length === request.limit;
    if (left <= 0 || !full || page.remaining === 0) return;
    const limit = Math.min(left, READ_PAGE);
    request = page.next !== null
      ? { limit, offset: 0, after: page.next, count: false }
      : { limit, offset: request.offset + page.items.length, after: request.after, count: false };
  }
}

/** Writes every item of `pages` as one JSON array (one element a line) or as JSON lines, a page at
 * a time, waiting for the reader. */
export async function writeList<T>(out: Output, format: 'json' | 'ndjson', pages: AsyncIterable<Page<T>>, toJson: (item: T) => unknown = (x) => x): Promise<void> {
  let first = true;
  for await (const page of pages) {
    if (page.items.length === 0) continue;
    const lines = page.items.map((item) => JSON.stringify(toJson(item)));
    if (format === 'ndjson') await out.write(`${lines.join('\n')}\n`);
    else await out.write(`${first ? '[\n' : ',\n'}${lines.join(',\n')}`);
    first = false;
  }
  if (format === 'json') await out.write(first ? '[]\n' : '\n]\n');
}

/**
 * The line under a table page: how many match, and the option that shows the next page (after the
 * page's last key when the user paged by key, else the next offset).
 */
export function pageFooter(page: Page<unknown>, options: ListOptions, noun: [string, string]): string {
  const total = page.total ?? page.items.length;
  const remaining = page.remaining ?? 0;
  const plural = total === 1 ? noun[0] : noun[1];
  if (remaining === 0) {
    if (total === 0) return `no ${noun[1]}`;
    if (total === page.items.length) return `${count(total)} ${plural}`;
    return `${count(page.items.length)} of ${count(total)} ${plural} (the last page)`;
  }
  const next = options.after !== undefined && page.next !== null ? `--after ${shellWord(page.next)}` : `--offset ${options.offset + page.items.length}`;
  return `${count(page.items.length)} of ${count(total)} ${plural} … ${count(remaining)} more: ${next}`;
}

/** `text` as one word of a shell command line (a path with spaces, quotes). */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

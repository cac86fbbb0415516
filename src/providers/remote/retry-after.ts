// `Retry-After` as servers send it: a number of seconds, or an HTTP date.

/** Longer waits than this are taken as this: a day is already "give up for now" to every caller. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** A `Retry-After` value in ms from `now` (never negative, at most a day), or undefined when absent
 * or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // Seconds; a fraction is not in the standard but some servers send one.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.ceil(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  // An HTTP date names its day and month; anything else (`-5`, `1e3`) is not one.
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

// The one boundary where tag values from files become values a track can hold: text any database
// and screen can take (no NUL, no control characters, no lone surrogates, bounded in length), lists
// bounded in count, integers that fit a Postgres `integer` and make sense, finite reals.

const INT4_MAX = 2 ** 31 - 1;

/** Bounds, in UTF-16 code units, by kind of text. */
export const TEXT_LIMITS = { name: 1000, label: 200, id: 200 } as const;
/** At most this many values in one list tag. */
export const LIST_LIMIT = 100;

// Line and tab characters become a space (a run of them, with the spaces around it, one space);
// every other C0/C1 control character, NUL included, goes. So does a byte-order mark left in a value.
const BREAKS = /[ \t\n\v\f\r\u0085\u2028\u2029]*[\t\n\v\f\r\u0085\u2028\u2029][ \t\n\v\f\r\u0085\u2028\u2029]*/g;
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A tag's text as a track keeps it, or null when nothing is left. */
export function cleanText(value: unknown, limit: number = TEXT_LIMITS.name): string | null {
  if (typeof value !== 'string') return null;
  // Cleaning only shortens a text; looking at more than a few times the limit cannot change the result
  // (but a 10 MB comment would cost its whole length in regex work).
  let t = value.length > limit * 4 ? value.slice(0, limit * 4) : value;
  t = t.replace(LONE_SURROGATE, '\ufffd').replace(CONTROLS, '').replace(BREAKS, ' ').trim();
  if (t.length > limit) {
    const cut = limit - (/[\ud800-\udbff]/.test(t[limit - 1]!) ? 1 : 0); // never half a surrogate pair
    t = t.slice(0, cut).trimEnd();
  }
  return t.length > 0 ? t : null;
}

/** Distinct clean texts of a list, in order, at most LIST_LIMIT of them. */
export function cleanTexts(list: readonly unknown[] | undefined, limit: number = TEXT_LIMITS.name): string[] {
  const seen = new Set<string>();
  for (const value of list ?? []) {
    if (seen.size === LIST_LIMIT) break;
    const t = cleanText(value, limit);
    if (t) seen.add(t);
  }
  return [...seen];
}

/** A whole number in [min, max] (rounded), or null. */
export function intIn(value: unknown, min: number, max: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const n = Math.round(value);
  return n >= min && n <= max ? n : null;
}

/** Track and disc numbers and totals: 1..99,999. */
export const ordinal = (value: unknown): number | null => intIn(value, 1, 99_999);

/** A positive quantity that fits a Postgres `integer` (bit rate, sample rate, channels, duration). */
export const positiveInt = (value: unknown): number | null => intIn(value, 1, INT4_MAX);

/** A finite real in [min, max], or null. */
export function realIn(value: unknown, min: number, max: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : null;
}

// How the profile actor treats failed syncs. Pure: the workflow and the activities both use it.

/** Failure kinds a later sync cannot get past by itself: the account's grant was revoked or expired,
 * access was taken away, the root is gone, or the credentials cannot be opened. A job that fails so
 * is not recoverable, and the profile's actor pauses until a person acts. */
const NEEDS_A_PERSON: readonly string[] = ['Provider.unauthorized', 'Provider.forbidden', 'Provider.notFound', 'SecretKey'];

export function needsAPerson(kind: string): boolean {
  return NEEDS_A_PERSON.includes(kind);
}

/** After a failed sync, automatic requests wait this long: a minute, doubling with each failure in a
 * row, at most an hour. */
export const BACKOFF_FIRST_MS = 60_000;
export const BACKOFF_MAX_MS = 60 * 60_000;

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

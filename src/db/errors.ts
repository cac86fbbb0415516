// Which database errors heal by themselves (retry the activity) and which belong to the data (one
// file's row cannot be stored: fail that file, keep the rest).

/** SQLSTATE classes that say nothing about the statement's data: connection exceptions (08),
 * insufficient resources (53), operator intervention such as a restart (57), transaction rollback
 * such as a deadlock or serialization failure (40), and lock not available (55P03). */
const TRANSIENT_CLASSES = ['08', '40', '53', '57'];

export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return TRANSIENT_CLASSES.includes(code.slice(0, 2)) || code === '55P03';
  }
  // No SQLSTATE: the connection itself failed (ECONNRESET, ECONNREFUSED, a terminated client).
  return true;
}

import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

// int8 (bigint) stays a string in pg by default; ours (ids, sizes, byte counts, count(*)) stay far
// below 2^53, so they arrive as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** The database, or a transaction on it (Kysely's Transaction is a Kysely): every repository function
 * in src/db takes one of these first. */
export type Db = Kysely<Database>;

/** `warn` receives what is worth a warning and fails nothing (default: a line on stderr). */
export function createDb(connectionString: string, maxConnections = 10, warn: (line: string) => void = (line) => console.warn(line)): Db {
  const pool = new pg.Pool({ connectionString, max: maxConnections });
  // An idle pooled connection that the server closes (a restart, or our own embedded Postgres
  // stopping at shutdown: 57P01) must not crash the process; the pool replaces it on next use.
  pool.on('error', (err: Error & { code?: string }) => {
    if (err.code !== '57P01') warn(`music-sync: idle database connection lost: ${err.message}`);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Whether the database answers a trivial statement within `timeoutMs`: undefined when it does, else
 * what went wrong. A statement still waiting for a connection is left to finish on its own. */
export async function pingDatabase(db: Db, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => undefined, (err: Error & { code?: string }) => err.message || err.code || String(err)), late]);
  } finally {
    clearTimeout(timer);
  }
}

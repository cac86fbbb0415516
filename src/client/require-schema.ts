// A client uses a library database that its workers (or `music-sync migrate`) set up: it never
// changes the schema itself, since a client of an older or newer version than the workers must not
// migrate under them. It checks instead that every migration it knows of has run, and says what to
// do when one has not, before anything else meets a missing table.
import { readdir } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { MIGRATIONS_DIR } from '../db/migrate.ts';
import type { Db } from '../db/connect.ts';

/** The schema is missing, or older than this client. */
export class SchemaNotReadyError extends Error {
  readonly missing: readonly string[];
  constructor(message: string, missing: readonly string[]) {
    super(message);
    this.name = 'SchemaNotReadyError';
    this.missing = missing;
  }
}

/** The migrations this copy of music-sync ships, by name (the file name without its extension, as
 * Kysely's FileMigrationProvider names them); only listed, never loaded. */
async function knownMigrations(): Promise<Record<string, Migration>> {
  const files = await readdir(MIGRATIONS_DIR);
  const names = files
    .filter((f) => /\.(ts|js|mts|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, f.lastIndexOf('.')));
  const never = () => Promise.reject(new Error('a client never runs migrations'));
  return Object.fromEntries(names.map((name) => [name, { up: never }]));
}

/** Throws SchemaNotReadyError unless every known migration has run on `db` (reads only). */
export async function requireSchema(db: Db): Promise<void> {
  const provider = { getMigrations: knownMigrations };
  const migrations = await new Migrator({ db: db as Kysely<unknown>, provider }).getMigrations();
  const missing = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (missing.length === 0) return;
  const how = 'run `music-sync migrate` with DATABASE_URL set to it, or start a music-sync worker on it';
  if (missing.length === migrations.length) {
    throw new SchemaNotReadyError(`the database has no music-sync schema: ${how}`, missing);
  }
  throw new SchemaNotReadyError(`the database's music-sync schema is older than this client (missing ${missing.join(', ')}): ${how}`, missing);
}

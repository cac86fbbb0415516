import { sql } from 'kysely';
import type { Db } from './connect.ts';
import type { Profile } from './schema.ts';

export async function insertProfile(
  db: Db,
  p: { id: string; name: string; provider: string; root: string; settings?: Record<string, unknown> },
): Promise<Profile> {
  return db
    .insertInto('profiles')
    .values({ id: p.id, name: p.name, provider: p.provider, root: p.root, settings: JSON.stringify(p.settings ?? {}) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProfile(db: Db, idOrName: string): Promise<Profile | undefined> {
  return db
    .selectFrom('profiles')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
}

/** The profile of a location: its provider, root and, for storage named by an endpoint (S3), the
 * endpoint too (the same bucket name on another server is another library). */
export async function findProfileByRoot(db: Db, provider: string, root: string, endpoint?: string): Promise<Profile | undefined> {
  return db
    .selectFrom('profiles')
    .selectAll()
    .where('provider', '=', provider)
    .where('root', '=', root)
    .where(sql<boolean>`settings->>'endpoint' is not distinct from ${endpoint ?? null}`)
    .executeTakeFirst();
}

export async function updateProfileSettings(db: Db, id: string, settings: Record<string, unknown>): Promise<void> {
  await db.updateTable('profiles').set({ settings: JSON.stringify(settings) }).where('id', '=', id).execute();
}

export async function listProfiles(db: Db): Promise<Profile[]> {
  return db.selectFrom('profiles').selectAll().orderBy('name').execute();
}

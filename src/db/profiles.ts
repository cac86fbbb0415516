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

export async function findProfileByRoot(db: Db, provider: string, root: string): Promise<Profile | undefined> {
  return db.selectFrom('profiles').selectAll().where('provider', '=', provider).where('root', '=', root).executeTakeFirst();
}

export async function listProfiles(db: Db): Promise<Profile[]> {
  return db.selectFrom('profiles').selectAll().orderBy('name').execute();
}

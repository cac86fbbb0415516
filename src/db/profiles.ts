import type { Kysely, Transaction } from 'kysely';
import type { Database, Profile } from './schema.ts';

type Conn = Kysely<Database> | Transaction<Database>;

export async function insertProfile(
  db: Conn,
  p: { id: string; name: string; provider: string; root: string; settings?: Record<string, unknown> },
): Promise<Profile> {
  return db
    .insertInto('profiles')
    .values({ id: p.id, name: p.name, provider: p.provider, root: p.root, settings: JSON.stringify(p.settings ?? {}) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProfile(db: Conn, idOrName: string): Promise<Profile | undefined> {
  return db
    .selectFrom('profiles')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
}

export async function findProfileByRoot(db: Conn, provider: string, root: string): Promise<Profile | undefined> {
  return db.selectFrom('profiles').selectAll().where('provider', '=', provider).where('root', '=', root).executeTakeFirst();
}

export async function listProfiles(db: Conn): Promise<Profile[]> {
  return db.selectFrom('profiles').selectAll().orderBy('name').execute();
}

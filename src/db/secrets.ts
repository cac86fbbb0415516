// profile_secrets: a profile's credentials as sealed bytes (secrets/secret-box.ts seals and opens them;
// this table never sees a plaintext). One row per secret name, gone with the profile.
import { sql } from 'kysely';
import type { Db } from './connect.ts';

export interface SealedSecret {
  name: string;
  sealed: Buffer;
}

/** Adds or replaces the named secrets of a profile in one statement (others stay as they are). */
export async function putSecrets(db: Db, profileId: string, secrets: readonly SealedSecret[]): Promise<void> {
  if (secrets.length === 0) return;
  const names = new Set<string>();
  for (const { name } of secrets) {
    if (names.has(name)) throw new Error(`secret "${name}" is given twice for one profile`);
    names.add(name);
  }
  await db
    .insertInto('profile_secrets')
    .values(secrets.map((s) => ({ profile_id: profileId, name: s.name, sealed: s.sealed })))
    .onConflict((oc) => oc.columns(['profile_id', 'name']).doUpdateSet({ sealed: (eb) => eb.ref('excluded.sealed'), updated_at: sql<Date>`now()` }))
    .execute();
}

export async function getSealedSecrets(db: Db, profileId: string): Promise<SealedSecret[]> {
  return db.selectFrom('profile_secrets').select(['name', 'sealed']).where('profile_id', '=', profileId).orderBy('name').execute();
}

/** Deletes the named secrets of a profile, or all of them when no names are given (an empty list
 * deletes none). Answers how many went. */
export async function deleteSecrets(db: Db, profileId: string, names?: readonly string[]): Promise<number> {
  if (names?.length === 0) return 0;
  let query = db.deleteFrom('profile_secrets').where('profile_id', '=', profileId);
  if (names) query = query.where('name', 'in', names);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function hasSecrets(db: Db, profileId: string): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => eb.exists(eb.selectFrom('profile_secrets').select('name').where('profile_id', '=', profileId)).as('found'))
    .executeTakeFirstOrThrow();
  return Boolean(row.found);
}

/** Compare-and-swap for a credential that is rotated (a refreshed token): replaces the sealed value
 * only while it is still `expected`, so of two workers refreshing at once exactly one wins. */
export async function replaceSecret(db: Db, profileId: string, name: string, expected: Buffer, next: Buffer): Promise<boolean> {
  const result = await db
    .updateTable('profile_secrets')
    .set({ sealed: next, updated_at: sql<Date>`now()` })
    .where('profile_id', '=', profileId)
    .where('name', '=', name)
    .where('sealed', '=', expected)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// A profile's credentials in and out of the secret store: sealed here, under the operator's key, each
// bound to its profile and name so a value copied to another row does not open there.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connect.ts';
import { getSealedSecrets, putSecrets } from '../db/secrets.ts';
import type { ProviderSecrets } from '../providers/types.ts';
import { SecretKeyError, type SecretBox } from './secret-box.ts';

/** What a sealed value is, authenticated with it. Profile ids are uuids, so the first `/` ends the id. */
export function contextOf(profileId: string, name: string): string {
  return `${profileId}/${name}`;
}

/** Seals and stores the given credentials of a profile, replacing those of the same names. */
export async function storeProfileSecrets(db: Db, box: SecretBox, profileId: string, secrets: ProviderSecrets): Promise<void> {
  const sealed = Object.entries(secrets).map(([name, value]) => {
    if (!name) throw new Error('a secret needs a name');
    if (typeof value !== 'string') throw new TypeError(`secret "${name}" must be text`);
    return { name, sealed: box.seal(value, contextOf(profileId, name)) };
  });
  await putSecrets(db, profileId, sealed);
}

/** A profile's credentials, opened: {} when it has none (no key needed then). A profile with
 * credentials and no key, or with credentials the key cannot open, is a SecretKeyError naming it. */
export async function loadProfileSecrets(db: Db, box: SecretBox | undefined, profileId: string, profileName?: string): Promise<ProviderSecrets> {
  const rows = await getSealedSecrets(db, profileId);
  if (rows.length === 0) return Object.freeze({});
  const profile = `profile "${profileName ?? profileId}"`;
  if (!box) throw new SecretKeyError(`${profile} has stored credentials: MUSIC_SYNC_SECRET_KEY is needed to read them`);
  const opened = rows.map(({ name, sealed }): [string, string] => {
    try {
      return [name, box.open(sealed, contextOf(profileId, name))];
    } catch (err) {
      if (!(err instanceof SecretKeyError)) throw err;
      throw new SecretKeyError(`${profile}, credential "${name}": ${err.message}`, { cause: err });
    }
  });
  // fromEntries defines own properties, so no name (not even `__proto__`) reaches the prototype.
  return Object.freeze(Object.fromEntries(opened));
}

/** Whether a profile's stored credentials are exactly `secrets` (compared in constant time; nothing
 * opened leaves this function). */
export async function profileSecretsMatch(db: Db, box: SecretBox | undefined, profileId: string, secrets: ProviderSecrets): Promise<boolean> {
  const stored = await loadProfileSecrets(db, box, profileId);
  const names = Object.keys(secrets).sort();
  if (names.join('\0') !== Object.keys(stored).sort().join('\0')) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return names.every((name) => timingSafeEqual(digest(stored[name]!), digest(secrets[name]!)));
}

// A profile's stored credentials as its provider sees them (CredentialStore): read one by name, and
// replace a rotated one only while it is still the value the provider renewed with. Sealing is
// randomised, so the compare-and-set compares the sealed bytes read with the value they open to.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connect.ts';
import { getSealedSecrets, replaceSecret } from '../db/secrets.ts';
import type { CredentialStore } from '../providers/types.ts';
import { contextOf } from './profile-secrets.ts';
import type { SecretBox } from './secret-box.ts';

export function credentialStore(db: Db, box: SecretBox, profileId: string): CredentialStore {
  const readSealed = async (name: string) => (await getSealedSecrets(db, profileId)).find((row) => row.name === name)?.sealed;
  return {
    async read(name) {
      const sealed = await readSealed(name);
      return sealed === undefined ? undefined : box.open(sealed, contextOf(profileId, name));
    },
    async replace(name, expected, next) {
      const sealed = await readSealed(name);
      if (sealed === undefined || !sameText(box.open(sealed, contextOf(profileId, name)), expected)) return false;
      return replaceSecret(db, profileId, name, sealed, box.seal(next, contextOf(profileId, name)));
    },
  };
}

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

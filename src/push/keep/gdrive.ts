// A Google Drive profile's notification channel on the user's change feed. Drive channels cannot be
// extended: a new one is opened before the old one ends (or when the public URL changed), and only
// once it is open are the older ones stopped, so no change goes unnoticed in between.
import { randomUUID } from 'node:crypto';
import { deletePushChannel, insertPushChannel, listPushChannels } from '../../db/push-channels.ts';
import type { Profile } from '../../db/schema.ts';
import { DrivePush } from '../../providers/gdrive/push.ts';
import { newChannelSecret, secretHash } from '../secrets.ts';
import { isExpired, renewalDue, shownTime, type KeepContext } from './context.ts';

export async function keepDriveChannel(profile: Profile, context: KeepContext): Promise<void> {
  const { db } = context;
  const address = context.addressOf('gdrive');
  if (!address) return;
  const channels = (await listPushChannels(db, profile.id)).filter((c) => c.provider === 'gdrive');
  let drive: DrivePush | undefined;
  const api = async () => (drive ??= new DrivePush(profile, await context.environmentOf(profile)));
  let current = channels.find((c) => c.address === address && !renewalDue(c, context.lifetimeMs('gdrive')));
  if (!current) {
    const token = newChannelSecret();
    const opened = await (await api()).watch({ id: randomUUID(), address, token, expiresAt: new Date(Date.now() + context.lifetimeMs('gdrive')) });
    current = { id: opened.id, profileId: profile.id, provider: 'gdrive', resourceId: opened.resourceId, tokenHash: secretHash(token), address, expiresAt: opened.expiresAt, createdAt: new Date() };
    await insertPushChannel(db, current);
    context.log(`push: Google Drive profile ${JSON.stringify(profile.name)}: notification channel open until ${shownTime(opened.expiresAt)}`);
  }
  for (const old of channels) {
    if (old === current) continue;
    if (!isExpired(old) && old.resourceId) await (await api()).stop({ id: old.id, resourceId: old.resourceId });
    await deletePushChannel(db, old.id);
  }
}

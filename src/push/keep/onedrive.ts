// A OneDrive profile's Microsoft Graph subscription to its drive: made once, then extended before it
// ends (PATCH); made anew when Graph no longer has it or the public URL changed, the old one deleted.
import { deletePushChannel, insertPushChannel, listPushChannels, setPushChannelExpiry, type PushChannel } from '../../db/push-channels.ts';
import type { Profile } from '../../db/schema.ts';
import { GraphSubscriptions } from '../../providers/onedrive/push.ts';
import { newChannelSecret, secretHash } from '../secrets.ts';
import { isExpired, renewalDue, shownTime, type KeepContext } from './context.ts';

export async function keepGraphSubscription(profile: Profile, context: KeepContext): Promise<void> {
  const { db } = context;
  const address = context.addressOf('onedrive');
  if (!address) return;
  const subscriptions = (await listPushChannels(db, profile.id)).filter((c) => c.provider === 'onedrive');
  let graph: GraphSubscriptions | undefined;
  const api = async () => (graph ??= new GraphSubscriptions(profile, await context.environmentOf(profile)));
  const expiresAt = () => new Date(Date.now() + context.lifetimeMs('onedrive'));
  const name = JSON.stringify(profile.name);
  let current: PushChannel | undefined = subscriptions.find((c) => c.address === address && !isExpired(c));
  if (current && renewalDue(current, context.lifetimeMs('onedrive'))) {
    const renewed = await (await api()).renew(current.id, expiresAt());
    if (renewed) {
      await setPushChannelExpiry(db, current.id, renewed.expiresAt);
      context.log(`push: OneDrive profile ${name}: subscription renewed until ${shownTime(renewed.expiresAt)}`);
    } else {
      context.log(`push: OneDrive profile ${name}: Graph no longer has the subscription; making a new one`);
      await deletePushChannel(db, current.id);
      current = undefined;
    }
  }
  if (!current) {
    const clientState = newChannelSecret();
    const made = await (await api()).create({ notificationUrl: address, clientState, expiresAt: expiresAt() });
    current = { id: made.id, profileId: profile.id, provider: 'onedrive', resourceId: null, tokenHash: secretHash(clientState), address, expiresAt: made.expiresAt, createdAt: new Date() };
    await insertPushChannel(db, current);
    context.log(`push: OneDrive profile ${name}: subscribed to changes until ${shownTime(made.expiresAt)}`);
  }
  for (const old of subscriptions) {
    if (old.id === current.id) continue;
    if (!isExpired(old)) await (await api()).delete(old.id);
    await deletePushChannel(db, old.id);
  }
}

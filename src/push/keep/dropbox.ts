// A Dropbox profile's account, which the app's webhook names in its notifications: looked up when the
// profile has none recorded, and again once a day (a profile linked again may be another account).
import { listPushChannels, putDropboxAccount } from '../../db/push-channels.ts';
import type { Profile } from '../../db/schema.ts';
import { dropboxAccountId } from '../../providers/dropbox/push.ts';
import type { KeepContext } from './context.ts';

const LOOK_UP_AGAIN_MS = 24 * 60 * 60 * 1000;

export async function keepDropboxAccount(profile: Profile, context: KeepContext): Promise<void> {
  const recorded = (await listPushChannels(context.db, profile.id)).find((c) => c.provider === 'dropbox');
  if (recorded?.resourceId && Date.now() - recorded.createdAt.getTime() < LOOK_UP_AGAIN_MS) return;
  const accountId = await dropboxAccountId(profile, await context.environmentOf(profile));
  await putDropboxAccount(context.db, profile.id, accountId);
  if (recorded?.resourceId !== accountId) context.log(`push: Dropbox profile ${JSON.stringify(profile.name)}: its account's notifications are followed`);
}

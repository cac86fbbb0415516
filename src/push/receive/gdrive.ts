// POST /push/gdrive: Google Drive's notifications of a channel on a user's change feed
// (https://developers.google.com/drive/api/guides/push#receive-notifications). They have no body;
// their headers name the channel (X-Goog-Channel-ID), the watched resource (X-Goog-Resource-ID), what
// happened (X-Goog-Resource-State) and carry the token the channel was opened with
// (X-Goog-Channel-Token). The first message of every channel is `sync`, sent as it opens (maybe before
// its answer reached us and it was stored): it is acknowledged and nothing else. Any 2xx answer is
// taken; 500, 502, 503 and 504 are delivered again with a backoff.
import { findPushChannel } from '../../db/push-channels.ts';
import { secretMatches } from '../secrets.ts';
import { requestSyncs } from './requests.ts';
import { headerOf, methodNotAllowed, refuse, shown, type Answer, type PushRequest, type ReceiveContext } from './types.ts';

const SERVICE = 'Google Drive';

export async function receiveGdrive(request: PushRequest, context: ReceiveContext): Promise<Answer> {
  if (request.method !== 'POST') return methodNotAllowed('POST');
  const channelId = headerOf(request, 'x-goog-channel-id');
  const state = headerOf(request, 'x-goog-resource-state');
  if (!channelId || !state) return refuse(context, request, SERVICE, 400, 'no X-Goog-Channel-ID or X-Goog-Resource-State header');
  if (state === 'sync') return { status: 200 };
  const token = headerOf(request, 'x-goog-channel-token');
  if (!token) return refuse(context, request, SERVICE, 401, `channel ${shown(channelId)}: no X-Goog-Channel-Token`);
  const channel = await findPushChannel(context.db, 'gdrive', channelId);
  if (!channel) return refuse(context, request, SERVICE, 403, `unknown channel ${shown(channelId)}`);
  if (channel.expiresAt && channel.expiresAt.getTime() <= Date.now()) {
    return refuse(context, request, SERVICE, 403, `channel ${shown(channelId)} of profile ${JSON.stringify(channel.profileName)} has expired`);
  }
  if (channel.resourceId !== headerOf(request, 'x-goog-resource-id')) {
    return refuse(context, request, SERVICE, 403, `channel ${shown(channelId)}: another resource than the channel's`);
  }
  if (!secretMatches(channel.tokenHash, token)) return refuse(context, request, SERVICE, 403, `channel ${shown(channelId)}: wrong X-Goog-Channel-Token`);
  return requestSyncs(context, [{ id: channel.profileId, name: channel.profileName }], 'Google Drive change notification', 200);
}

// POST /push/onedrive: Microsoft Graph's change notifications for a subscription to a user's drive
// (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
// - As a subscription is made, Graph POSTs `?validationToken=...` and wants it back within 10 s, as
//   text/plain with 200, decoded and nothing else: the handshake proves the URL is ours.
// - A notification is `{ value: [{ subscriptionId, clientState, changeType, resource, ... }] }`, maybe
//   several at once; each is taken only when its clientState is the secret its subscription was made
//   with. Graph takes any 2xx (202: taken) and retries other answers for up to 4 hours.
import { findPushChannel, type OwnedPushChannel, type ProfileRef } from '../../db/push-channels.ts';
import { secretMatches } from '../secrets.ts';
import { requestSyncs } from './requests.ts';
import { echo, jsonOf, methodNotAllowed, refuse, shown, type Answer, type PushRequest, type ReceiveContext } from './types.ts';

const MAX_BATCH = 100;
const SERVICE = 'OneDrive';
/** Graph's tokens are short; anything much longer is not one. */
const MAX_VALIDATION_TOKEN = 4096;

interface Notification {
  subscriptionId?: unknown;
  clientState?: unknown;
}

export async function receiveOnedrive(request: PushRequest, context: ReceiveContext): Promise<Answer> {
  if (request.method !== 'POST') return methodNotAllowed('POST');
  const validationToken = request.url.searchParams.get('validationToken');
  if (validationToken !== null) {
    if (validationToken === '' || validationToken.length > MAX_VALIDATION_TOKEN) return refuse(context, request, SERVICE, 400, 'a validation request without a usable token');
    context.log(`push: answered a Microsoft Graph validation request from ${request.from}`);
    return echo(validationToken);
  }
  const notifications = notificationsOf(request.body);
  if (!notifications) return refuse(context, request, SERVICE, 400, 'the body is not a Graph notification ({ "value": [...] })');
  // Graph batches a handful; a body of thousands is not Graph's, and must not cost a lookup each.
  if (notifications.length > MAX_BATCH) return refuse(context, request, SERVICE, 400, `a batch of ${notifications.length} notifications (at most ${MAX_BATCH})`);
  const profiles = new Map<string, ProfileRef>();
  // A batch may hold many notifications of one subscription: it is looked up once.
  const lookups = new Map<string, ReturnType<typeof findPushChannel>>();
  const lookUp = (id: string) => lookups.get(id) ?? lookups.set(id, findPushChannel(context.db, 'onedrive', id)).get(id)!;
  const refusals: string[] = [];
  for (const notification of notifications) {
    const verdict = await check(notification, lookUp);
    if (typeof verdict === 'string') refusals.push(verdict);
    else profiles.set(verdict.id, verdict);
  }
  if (refusals.length > 0) {
    // One line for the whole batch, however many it refused.
    const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more of the ${notifications.length} in the batch)` : '';
    const why = `${refusals[0]!}${more}`;
    // Nothing of it could be authenticated: refused as a whole.
    if (profiles.size === 0) return refuse(context, request, SERVICE, 403, why);
    context.log(`push: refused a ${SERVICE} notification from ${request.from}: ${why}`);
  }
  return requestSyncs(context, [...profiles.values()], 'OneDrive change notification', 202);
}

/** The profile a notification is for, or why it is not taken. */
async function check(notification: Notification, lookUp: (id: string) => Promise<OwnedPushChannel | undefined>): Promise<ProfileRef | string> {
  const { subscriptionId, clientState } = notification;
  if (typeof subscriptionId !== 'string' || subscriptionId === '') return 'a notification without a subscriptionId';
  if (typeof clientState !== 'string') return `subscription ${shown(subscriptionId)}: no clientState`;
  const channel = await lookUp(subscriptionId);
  if (!channel) return `unknown subscription ${shown(subscriptionId)}`;
  if (channel.expiresAt && channel.expiresAt.getTime() <= Date.now()) return `subscription ${shown(subscriptionId)} has expired`;
  if (!secretMatches(channel.tokenHash, clientState)) return `subscription ${shown(subscriptionId)}: wrong clientState`;
  return { id: channel.profileId, name: channel.profileName };
}

function notificationsOf(body: Buffer): Notification[] | undefined {
  const list = (jsonOf(body) as { value?: unknown } | null)?.value;
  if (!Array.isArray(list) || !list.every((n) => n !== null && typeof n === 'object')) return undefined;
  return list as Notification[];
}

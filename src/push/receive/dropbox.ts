// /push/dropbox: the Dropbox app's webhook (https://www.dropbox.com/developers/reference/webhooks).
// - GET `?challenge=...`: Dropbox checks the URL when it is registered in the App Console (and now and
//   then); the challenge goes back as it came, as text/plain with X-Content-Type-Options: nosniff.
// - POST: `{ "list_folder": { "accounts": ["dbid:..."] } }`, signed in X-Dropbox-Signature with the
//   hex HMAC-SHA256 of the raw body under the app secret. Every Dropbox profile linked to one of the
//   accounts is asked to sync. Dropbox wants an answer within 10 seconds.
// Without the app secret no notification could be checked, so the webhook is off (404): Dropbox then
// refuses to register the URL, which says so where it is set up.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { profilesOfDropboxAccounts } from '../../db/push-channels.ts';
import { requestSyncs } from './requests.ts';
import { echo, headerOf, jsonOf, methodNotAllowed, refuse, type Answer, type PushRequest, type ReceiveContext } from './types.ts';

const SERVICE = 'Dropbox';
const MAX_CHALLENGE = 1024;

export async function receiveDropbox(request: PushRequest, context: ReceiveContext): Promise<Answer> {
  const secret = context.dropboxAppSecret;
  if (request.method !== 'GET' && request.method !== 'POST') return methodNotAllowed('GET, POST');
  if (!secret) return refuse(context, request, SERVICE, 404, 'no Dropbox app secret is set (MUSIC_SYNC_DROPBOX_CLIENT_SECRET): the webhook is off');
  if (request.method === 'GET') {
    const challenge = request.url.searchParams.get('challenge');
    if (!challenge || challenge.length > MAX_CHALLENGE) return refuse(context, request, SERVICE, 400, 'a verification request without a usable challenge');
    context.log(`push: answered a Dropbox webhook verification from ${request.from}`);
    return echo(challenge);
  }
  const signature = headerOf(request, 'x-dropbox-signature');
  if (!signature) return refuse(context, request, SERVICE, 401, 'no X-Dropbox-Signature');
  if (!signatureMatches(signature, request.body, secret)) return refuse(context, request, SERVICE, 403, 'wrong X-Dropbox-Signature');
  const accounts = accountsOf(request.body);
  if (!accounts) return refuse(context, request, SERVICE, 400, 'the body is not a list_folder notification');
  const profiles = await profilesOfDropboxAccounts(context.db, accounts);
  return requestSyncs(context, profiles, 'Dropbox change notification', 200);
}

function signatureMatches(given: string, body: Buffer, secret: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
  const actual = Buffer.from(given.trim().toLowerCase(), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The accounts of a notification, or undefined when it is not one. */
function accountsOf(body: Buffer): string[] | undefined {
  const accounts = (jsonOf(body) as { list_folder?: { accounts?: unknown } } | null)?.list_folder?.accounts;
  if (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string')) return undefined;
  return [...new Set(accounts as string[])];
}

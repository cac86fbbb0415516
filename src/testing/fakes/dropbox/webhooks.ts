// The Dropbox fake's account and its app's webhook.
// - users/get_current_account (https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account):
//   the linked account; an endpoint without arguments, so no body (or `null` as JSON).
// - The webhook (https://www.dropbox.com/developers/reference/webhooks) is one for the whole app, set in
//   the App Console: a URL is taken only once it answers the verification request, a GET with
//   `?challenge=<random>` whose answer must be the challenge as it came. After a change, the URL gets a
//   POST of `{"list_folder": {"accounts": [...]}, "delta": {"users": [...]}}`, with X-Dropbox-Signature
//   the hex HMAC-SHA256 of that body under the app secret.
// Not modelled: more than one account, the rest of the account's fields' variety (team accounts,
// root_info of a team space), retries of failed deliveries, and the disabling of a webhook that keeps
// failing.
import { createHmac, randomBytes } from 'node:crypto';
import { BadRequest } from './answers.ts';

export interface Delivery {
  url: string;
  /** The answer's status; 0 when the URL could not be reached. */
  status: number;
}

export class DropboxAccount {
  readonly accountId: string;
  private readonly userId: number;
  private readonly appSecret: string | undefined;
  private readonly webhooks = new Set<string>();

  constructor(options: { accountId?: string; appSecret?: string }) {
    this.accountId = options.accountId ?? `dbid:AA${randomBytes(16).toString('base64url')}`;
    this.userId = randomBytes(4).readUInt32BE(0) >>> 1;
    this.appSecret = options.appSecret;
  }

  /** users/get_current_account, given its request's body and Content-Type. */
  currentAccount(text: string, type: string | undefined): Record<string, unknown> {
    const json = /^application\/json\s*(;|$)/i.test(type ?? '');
    if (!(text === '' && !json) && !(json && text.trim() === 'null')) {
      throw new BadRequest('request body: this function takes no arguments: send no body, or "null" as application/json');
    }
    return {
      account_id: this.accountId,
      name: { given_name: 'Fake', surname: 'User', familiar_name: 'Fake', display_name: 'Fake User', abbreviated_name: 'FU' },
      email: 'fake.user@example.com', email_verified: true, disabled: false, locale: 'en', country: 'US',
      referral_link: 'https://db.tt/fake', is_paired: false, account_type: { '.tag': 'basic' },
      root_info: { '.tag': 'user', root_namespace_id: String(this.userId), home_namespace_id: String(this.userId) },
    };
  }

  /** Sets a webhook URL as the App Console does: only once it answers the challenge. */
  async addWebhook(url: string): Promise<void> {
    const challenge = randomBytes(16).toString('base64url');
    const target = new URL(url);
    target.searchParams.set('challenge', challenge);
    const response = await fetch(target, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (response.status !== 200 || body !== challenge) throw new Error(`the webhook URL did not answer the challenge (HTTP ${response.status})`);
    this.webhooks.add(url);
  }

  /** A notification of a change in the account to every webhook, signed with the app secret. */
  async notify(): Promise<Delivery[]> {
    if (this.appSecret === undefined) throw new Error('the Dropbox fake has no app secret to sign notifications with');
    const body = JSON.stringify({ list_folder: { accounts: [this.accountId] }, delta: { users: [this.userId] } });
    const signature = createHmac('sha256', this.appSecret).update(body).digest('hex');
    return Promise.all(
      [...this.webhooks].map(async (url) => {
        try {
          const response = await fetch(url, {
            method: 'POST', body, headers: { 'content-type': 'application/json', 'x-dropbox-signature': signature }, signal: AbortSignal.timeout(10_000),
          });
          await response.arrayBuffer();
          return { url, status: response.status };
        } catch {
          return { url, status: 0 };
        }
      }),
    );
  }
}

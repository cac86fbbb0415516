// Microsoft Graph change notifications for a OneDrive profile: a subscription to the drive's root
// (the only driveItem Graph takes one on), renewed and deleted. Made through CloudHttp with the
// profile's tokens and the account's limiter, as the provider's own requests are.
//   POST   /subscriptions       https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions
//   PATCH  /subscriptions/{id}  https://learn.microsoft.com/en-us/graph/api/subscription-update
//   DELETE /subscriptions/{id}  https://learn.microsoft.com/en-us/graph/api/subscription-delete
// Graph checks the notification URL before it answers the POST (a validation request that must echo
// its token: https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
import { CloudHttp } from '../cloud/http.ts';
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { limiterFor } from '../remote/limiter.ts';
import type { ProviderEnvironment, ProviderProfile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { graphErrorOf } from './errors.ts';
import { normalizeRoot, normalizeSettings } from './profile.ts';

/** The longest a subscription to a driveItem lives: 42,300 minutes
 * (https://learn.microsoft.com/en-us/graph/api/resources/subscription#subscription-lifetime). */
export const GRAPH_DRIVE_SUBSCRIPTION_MAX_MS = 42_300 * 60_000;

/** The provider's limit of requests at once per account (index.ts): the limiter is the same one. */
const MAX_CONNECTIONS = 8;

export interface GraphSubscription {
  id: string;
  expiresAt: Date;
}

interface SubscriptionAnswer {
  id?: unknown;
  expirationDateTime?: unknown;
}

export class GraphSubscriptions {
  private readonly http: CloudHttp;
  private readonly apiUrl: string;

  constructor(profile: ProviderProfile, environment: Pick<ProviderEnvironment, 'secrets' | 'credentials' | 'throttleBoard'>) {
    const root = normalizeRoot(profile.root);
    const settings = normalizeSettings(profile.settings);
    const tokens = createAccessTokens({
      kind: 'onedrive', profile: { ...profile, root, settings: { ...settings } }, secrets: environment.secrets, credentials: environment.credentials,
    });
    const limiter = limiterFor(`onedrive ${settings.apiUrl} ${settings.clientId} ${root}`, MAX_CONNECTIONS, environment.throttleBoard);
    this.http = new CloudHttp({ tokens, limiter, errorOf: graphErrorOf });
    this.apiUrl = settings.apiUrl;
  }

  /** A subscription to changes anywhere in the user's drive. `clientState` comes back in each
   * notification; Graph takes at most 128 characters. */
  async create(request: { notificationUrl: string; clientState: string; expiresAt: Date }): Promise<GraphSubscription> {
    const answer = await this.http.json<SubscriptionAnswer>('OneDrive: subscribing to change notifications', {
      method: 'POST',
      url: `${this.apiUrl}/subscriptions`,
      body: {
        changeType: 'updated', resource: '/me/drive/root', notificationUrl: request.notificationUrl, clientState: request.clientState,
        expirationDateTime: request.expiresAt.toISOString(),
      },
    });
    if (typeof answer.id !== 'string' || answer.id === '') throw new ProviderError('unavailable', 'Graph answered a new subscription without its id');
    return { id: answer.id, expiresAt: expiryOf(answer, request.expiresAt) };
  }

  /** A later end for the subscription; undefined when Graph no longer has it (it expired or was removed). */
  async renew(id: string, expiresAt: Date): Promise<GraphSubscription | undefined> {
    try {
      const answer = await this.http.json<SubscriptionAnswer>('OneDrive: renewing a change subscription', {
        method: 'PATCH', url: this.url(id), body: { expirationDateTime: expiresAt.toISOString() },
      });
      return { id, expiresAt: expiryOf(answer, expiresAt) };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'notFound') return undefined;
      throw err;
    }
  }

  /** Ends a subscription; one Graph no longer has is ended already. */
  async delete(id: string): Promise<void> {
    try {
      await this.http.json('OneDrive: ending a change subscription', { method: 'DELETE', url: this.url(id) });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'notFound') return;
      throw err;
    }
  }

  private url(id: string): string {
    return `${this.apiUrl}/subscriptions/${encodeURIComponent(id)}`;
  }
}

function expiryOf(answer: SubscriptionAnswer, asked: Date): Date {
  const at = typeof answer.expirationDateTime === 'string' ? new Date(answer.expirationDateTime) : undefined;
  return at && !Number.isNaN(at.getTime()) ? at : asked;
}

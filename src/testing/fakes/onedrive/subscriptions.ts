// The Graph fake's change notification subscriptions, and the notifications it sends them.
//   POST   /v1.0/subscriptions       https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions
//   PATCH  /v1.0/subscriptions/{id}  https://learn.microsoft.com/en-us/graph/api/subscription-update
//   DELETE /v1.0/subscriptions/{id}  https://learn.microsoft.com/en-us/graph/api/subscription-delete
// Before it answers a POST, Graph validates the notification URL: it POSTs `?validationToken=<token>`
// there and makes the subscription only if the answer is 200, text/plain, with the token (decoded)
// as the body, within 10 seconds; otherwise 400 ValidationError
// (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks). A driveItem
// subscription is to the drive's root, `changeType: updated`, for at most 42,300 minutes
// (https://learn.microsoft.com/en-us/graph/api/resources/subscription). After a change, every live
// subscription gets `{ value: [{ subscriptionId, clientState, ... }] }`, those of one URL in one POST.
// Not modelled: https only for the URLs (any http URL is taken here), lifecycle notifications,
// rich notifications (includeResourceData), the limit of subscriptions per app, retries of failed
// deliveries, and the throttling of slow endpoints.
import { randomUUID } from 'node:crypto';
import { GraphFailure, invalidRequest } from './answers.ts';

const MAX_LIFETIME_MS = 42_300 * 60_000;
const VALIDATION_TIMEOUT_MS = 10_000;

export interface FakeSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  clientState: string | undefined;
  expirationDateTime: string;
}

export interface Delivery {
  notificationUrl: string;
  subscriptionIds: string[];
  /** The answer's status; 0 when the URL could not be reached. */
  status: number;
}

export class GraphSubscriptionsModel {
  private readonly subscriptions = new Map<string, FakeSubscription>();
  private readonly tenantId = randomUUID();
  /** Validation requests sent, and how many the endpoint answered right. */
  readonly validations = { sent: 0, passed: 0 };

  async create(body: unknown, context: string): Promise<Record<string, unknown>> {
    const request = objectOf(body);
    const { changeType, notificationUrl, resource, clientState } = request;
    if (changeType !== 'updated') throw invalidRequest(`Unsupported changeType ${JSON.stringify(changeType)} for a driveItem: only 'updated'`);
    if (typeof resource !== 'string' || !/^\/?me\/drive\/root$/.test(resource)) {
      throw invalidRequest(`Unsupported resource ${JSON.stringify(resource)}: subscriptions to driveItems are on the drive's root`);
    }
    if (typeof notificationUrl !== 'string' || !/^https?:\/\//.test(notificationUrl)) throw invalidRequest('notificationUrl must be an https URL');
    if (clientState !== undefined && (typeof clientState !== 'string' || clientState.length > 128)) throw invalidRequest('clientState must be at most 128 characters');
    const expirationDateTime = expiryOf(request.expirationDateTime);
    await this.validate(notificationUrl);
    const subscription: FakeSubscription = { id: randomUUID(), resource, changeType, notificationUrl, clientState, expirationDateTime };
    this.subscriptions.set(subscription.id, subscription);
    return this.resourceOf(subscription, context);
  }

  update(id: string, body: unknown, context: string): Record<string, unknown> {
    const subscription = this.get(id);
    const { expirationDateTime } = objectOf(body);
    subscription.expirationDateTime = expiryOf(expirationDateTime);
    return this.resourceOf(subscription, context);
  }

  delete(id: string): void {
    this.subscriptions.delete(this.get(id).id);
  }

  /** The subscriptions live now (expired ones are gone, as Graph deletes them). */
  live(): FakeSubscription[] {
    const now = Date.now();
    for (const s of this.subscriptions.values()) if (Date.parse(s.expirationDateTime) <= now) this.subscriptions.delete(s.id);
    return [...this.subscriptions.values()];
  }

  /** One notification per live subscription, those of one URL in one POST, as Graph sends after a change. */
  async notify(): Promise<Delivery[]> {
    const byUrl = new Map<string, FakeSubscription[]>();
    for (const s of this.live()) byUrl.set(s.notificationUrl, [...(byUrl.get(s.notificationUrl) ?? []), s]);
    return Promise.all(
      [...byUrl].map(async ([notificationUrl, subscriptions]) => {
        const value = subscriptions.map((s) => ({
          subscriptionId: s.id, subscriptionExpirationDateTime: s.expirationDateTime, changeType: 'updated', resource: s.resource,
          tenantId: this.tenantId, ...(s.clientState !== undefined ? { clientState: s.clientState } : {}),
        }));
        const status = await post(notificationUrl, JSON.stringify({ value }), 'application/json').then((r) => r.status, () => 0);
        return { notificationUrl, subscriptionIds: subscriptions.map((s) => s.id), status };
      }),
    );
  }

  private get(id: string): FakeSubscription {
    const subscription = this.live().find((s) => s.id === id);
    if (!subscription) throw new GraphFailure(404, 'ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return subscription;
  }

  /** The validation request: the endpoint must echo the token, as text/plain, in time. */
  private async validate(notificationUrl: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = new URL(notificationUrl);
    target.searchParams.set('validationToken', token);
    this.validations.sent += 1;
    let answer: { status: number; type: string; body: string };
    try {
      answer = await post(target.href, '', 'text/plain; charset=utf-8');
    } catch {
      throw new GraphFailure(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
    }
    if (answer.status !== 200 || !/^text\/plain\b/i.test(answer.type) || answer.body !== token) {
      throw new GraphFailure(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
    }
    this.validations.passed += 1;
  }

  private resourceOf(s: FakeSubscription, context: string): Record<string, unknown> {
    return {
      '@odata.context': context, id: s.id, resource: s.resource, applicationId: '00000000-0000-0000-0000-000000000000', changeType: s.changeType,
      clientState: s.clientState ?? null, notificationUrl: s.notificationUrl, lifecycleNotificationUrl: null, expirationDateTime: s.expirationDateTime,
      creatorId: this.tenantId, includeResourceData: null, latestSupportedTlsVersion: 'v1_2', encryptionCertificate: null, encryptionCertificateId: null,
    };
  }
}

function objectOf(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** An expirationDateTime Graph takes: a time in the future, at most 42,300 minutes away. */
function expiryOf(value: unknown): string {
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw invalidRequest('expirationDateTime must be an ISO 8601 date and time');
  if (at <= Date.now()) throw invalidRequest('Subscription expiration must be in the future');
  if (at > Date.now() + MAX_LIFETIME_MS) throw invalidRequest('Subscription expiration can only be 42300 minutes in the future.');
  return new Date(at).toISOString();
}

async function post(url: string, body: string, type: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body, signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

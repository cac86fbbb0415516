// The Drive fake's notification channels on the user's change feed
// (https://developers.google.com/drive/api/guides/push), and the notifications it sends them.
//   POST /drive/v3/changes/watch   changes.watch  https://developers.google.com/drive/api/reference/rest/v3/changes/watch
//   POST /drive/v3/channels/stop   channels.stop  https://developers.google.com/drive/api/reference/rest/v3/channels/stop
// A channel is `{ id, type: "web_hook", address, token?, expiration? }`; the answer is the channel
// resource (`kind: "api#channel"`, `resourceId`, `resourceUri`, `expiration` in ms as a string). As
// the channel opens, a `sync` message goes to its address; after a change, a `change` message. Every
// message is a POST without a body whose X-Goog-* headers say which channel, resource and state.
// Not modelled: https only for the address (any http URL is taken here), the domain verification
// of the address, `payload` and `params`, and retries of failed deliveries. An expiration past the
// most (a week) is shortened to it; without one a channel lasts an hour.
import { randomBytes } from 'node:crypto';
import { DriveError, invalidValue } from './errors.ts';

/** "604800 seconds" for the changes resource. */
const MAX_EXPIRATION_MS = 604_800_000;
const DEFAULT_EXPIRATION_MS = 3_600_000;

export interface FakeDriveChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  address: string;
  token: string | undefined;
  /** Epoch ms. */
  expiration: number;
  /** The last X-Goog-Message-Number sent. */
  messages: number;
}

export interface Delivery {
  channelId: string;
  address: string;
  /** The answer's status; 0 when the address could not be reached. */
  status: number;
}

export class DriveChannels {
  private readonly channels = new Map<string, FakeDriveChannel>();
  /** The watched resource, the user's change feed: one id for every channel on it. */
  private readonly resourceId = randomBytes(12).toString('base64url');

  /** changes.watch: the channel opened, after its `sync` message was sent. */
  async watch(body: unknown, resourceUri: string): Promise<Record<string, unknown>> {
    const request = (body ?? {}) as Record<string, unknown>;
    const { id, type, address, token, expiration } = request;
    if (typeof id !== 'string' || !/^[A-Za-z0-9\-_+/=]{1,64}$/.test(id)) throw invalidValue('id');
    if (type !== 'web_hook' && type !== 'webhook') throw invalidValue('type');
    if (typeof address !== 'string' || !/^https?:\/\//.test(address)) throw invalidValue('address');
    if (token !== undefined && (typeof token !== 'string' || token.length > 256)) throw invalidValue('token');
    const asked = expiration === undefined ? undefined : Number(expiration);
    if (asked !== undefined && !(Number.isSafeInteger(asked) && asked > Date.now())) throw invalidValue('expiration');
    if (this.channels.has(id)) throw new DriveError(400, 'channelIdNotUnique', `Channel id ${id} not unique`);
    const now = Date.now();
    const channel: FakeDriveChannel = {
      id, resourceId: this.resourceId, resourceUri, address, token: token as string | undefined,
      expiration: Math.min(asked ?? now + DEFAULT_EXPIRATION_MS, now + MAX_EXPIRATION_MS), messages: 0,
    };
    this.channels.set(id, channel);
    await this.send(channel, 'sync');
    return {
      kind: 'api#channel', id, resourceId: channel.resourceId, resourceUri, expiration: String(channel.expiration),
      ...(channel.token !== undefined ? { token: channel.token } : {}),
    };
  }

  /** channels.stop: no more messages for the channel. */
  stop(body: unknown): void {
    const { id, resourceId } = (body ?? {}) as Record<string, unknown>;
    const channel = typeof id === 'string' ? this.channels.get(id) : undefined;
    if (!channel || channel.resourceId !== resourceId) throw new DriveError(404, 'notFound', `Channel '${String(id)}' not found for project`);
    this.channels.delete(channel.id);
  }

  /** The channels open now. */
  live(): FakeDriveChannel[] {
    const now = Date.now();
    for (const channel of this.channels.values()) if (channel.expiration <= now) this.channels.delete(channel.id);
    return [...this.channels.values()];
  }

  /** A `change` message to every open channel, as Drive sends after a change in the drive. */
  async notify(): Promise<Delivery[]> {
    return Promise.all(this.live().map((channel) => this.send(channel, 'change')));
  }

  private async send(channel: FakeDriveChannel, state: 'sync' | 'change'): Promise<Delivery> {
    channel.messages += 1;
    const headers: Record<string, string> = {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-uri': channel.resourceUri,
      'x-goog-resource-state': state,
      'x-goog-message-number': String(channel.messages),
      ...(channel.token !== undefined ? { 'x-goog-channel-token': channel.token } : {}),
    };
    try {
      const response = await fetch(channel.address, { method: 'POST', headers, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      return { channelId: channel.id, address: channel.address, status: response.status };
    } catch {
      return { channelId: channel.id, address: channel.address, status: 0 };
    }
  }
}

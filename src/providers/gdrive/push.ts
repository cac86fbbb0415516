// Google Drive's push notifications for a profile: a channel on the user's change feed, and its end.
// Made through CloudHttp with the profile's tokens and the account's limiter, as the provider's own
// requests are (https://developers.google.com/drive/api/guides/push).
//   changes.watch  https://developers.google.com/drive/api/reference/rest/v3/changes/watch
//   channels.stop  https://developers.google.com/drive/api/reference/rest/v3/channels/stop
import { CloudHttp } from '../cloud/http.ts';
import { createAccessTokens } from '../oauth/access-tokens.ts';
import { limiterFor } from '../remote/limiter.ts';
import type { ProviderEnvironment, ProviderProfile } from '../types.ts';
import { ProviderError } from '../types.ts';
import { DriveApi } from './api.ts';
import { driveErrorOf } from './errors.ts';
import { normalizeRoot, normalizeSettings } from './profile.ts';

/** The longest a channel on the change feed lives ("604800 seconds" for the changes resource). */
export const DRIVE_CHANNEL_MAX_MS = 604_800_000;

/** The provider's limit of requests at once per account (index.ts): the limiter is the same one. */
const MAX_CONNECTIONS = 8;

export interface DriveChannelRequest {
  /** Ours to choose, unique: a UUID. */
  id: string;
  /** Where Drive POSTs the notifications (https). */
  address: string;
  /** Sent back in every notification's X-Goog-Channel-Token. */
  token: string;
  expiresAt: Date;
}

export interface DriveChannel {
  id: string;
  /** Drive's id of the watched resource, in every notification's X-Goog-Resource-ID. */
  resourceId: string;
  /** As Drive set it (it may shorten what was asked). */
  expiresAt: Date;
}

export class DrivePush {
  private readonly http: CloudHttp;
  private readonly api: DriveApi;
  private readonly apiUrl: string;

  constructor(profile: ProviderProfile, environment: Pick<ProviderEnvironment, 'secrets' | 'credentials' | 'throttleBoard'>) {
    const root = normalizeRoot(profile.root);
    const settings = normalizeSettings(profile.settings);
    const tokens = createAccessTokens({ kind: 'gdrive', profile, secrets: environment.secrets, credentials: environment.credentials });
    const limiter = limiterFor(`gdrive ${settings.apiUrl} ${settings.clientId} ${root}`, MAX_CONNECTIONS, environment.throttleBoard);
    this.http = new CloudHttp({ tokens, limiter, errorOf: driveErrorOf });
    this.api = new DriveApi(this.http, settings.apiUrl);
    this.apiUrl = settings.apiUrl;
  }

  /** A channel on the change feed of the user's My Drive (the feed the provider reads), from now. */
  async watch(request: DriveChannelRequest): Promise<DriveChannel> {
    const pageToken = await this.api.startPageToken();
    const query = new URLSearchParams({
      pageToken, includeRemoved: 'true', restrictToMyDrive: 'true', supportsAllDrives: 'true', includeItemsFromAllDrives: 'true',
    });
    const answer = await this.http.json<{ id?: unknown; resourceId?: unknown; expiration?: unknown }>('Google Drive changes.watch', {
      method: 'POST',
      url: `${this.apiUrl}/changes/watch?${query.toString()}`,
      body: { id: request.id, type: 'web_hook', address: request.address, token: request.token, expiration: String(request.expiresAt.getTime()) },
    });
    if (answer.id !== request.id || typeof answer.resourceId !== 'string' || answer.resourceId === '') {
      throw new ProviderError('unavailable', 'Google Drive answered changes.watch without the channel and its resource id');
    }
    const expiration = Number(answer.expiration);
    return { id: request.id, resourceId: answer.resourceId, expiresAt: Number.isSafeInteger(expiration) && expiration > 0 ? new Date(expiration) : request.expiresAt };
  }

  /** Ends a channel; one Drive no longer has is ended already. */
  async stop(channel: { id: string; resourceId: string }): Promise<void> {
    try {
      await this.http.json('Google Drive channels.stop', {
        method: 'POST', url: `${this.apiUrl}/channels/stop`, body: { id: channel.id, resourceId: channel.resourceId },
      });
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'notFound') return;
      throw err;
    }
  }
}

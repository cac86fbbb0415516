// What the cloud providers (Google Drive, OneDrive, Dropbox) share about OAuth: where a profile's
// client and endpoints are kept, and how a provider gets an access token.
import type { ProviderError } from '../types.ts';

/** The cloud provider kinds, linked with OAuth 2.0 (authorization code with PKCE). */
export const CLOUD_KINDS = ['gdrive', 'onedrive', 'dropbox'] as const;
export type CloudKind = (typeof CLOUD_KINDS)[number];

/** Kept in a cloud profile's settings when it is linked (not secret): the OAuth client and every
 * endpoint the product calls, so a worker needs no per-provider environment of its own. */
export interface CloudSettings {
  clientId: string;
  /** The consent page (only used when linking). */
  authUrl: string;
  tokenUrl: string;
  /** The API base, e.g. `https://www.googleapis.com/drive/v3`, `https://graph.microsoft.com/v1.0`,
   * `https://api.dropboxapi.com/2`. */
  apiUrl: string;
  /** Dropbox only: the content API base (`https://content.dropboxapi.com/2`). */
  contentUrl?: string;
}

/** The secret names of a cloud profile. `clientSecret` only where the provider's client has one. */
export const REFRESH_TOKEN = 'refreshToken';
export const CLIENT_SECRET = 'clientSecret';

/** A provider's access to its API: bearer tokens, refreshed when they expire. */
export interface AccessTokens {
  /** A current access token (refreshed first when it is about to expire). */
  get(signal?: AbortSignal): Promise<string>;
  /** The API refused `rejected` (401): answers a fresh token, refreshing unless another caller
   * already did. A revoked or expired grant is ProviderError('unauthorized') saying how to re-link. */
  renew(rejected: string, signal?: AbortSignal): Promise<string>;
}

export type { ProviderError };

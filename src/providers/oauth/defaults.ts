// Where each cloud provider's OAuth 2.0 endpoints and API are, and what access music-sync asks for.
// Every scope is read-only: music-sync lists and reads the user's files and never writes to their
// storage, so it asks for nothing more.
import type { CloudKind } from './types.ts';

export interface CloudDefaults {
  /** What the user calls it. */
  name: string;
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
  contentUrl?: string;
  /** Space-separated, as the authorization request's `scope` (RFC 6749 §3.3). */
  scope: string;
  /** Further authorization request parameters the provider needs to answer a refresh token. */
  authParams: Readonly<Record<string, string>>;
}

export const CLOUD_DEFAULTS: Readonly<Record<CloudKind, CloudDefaults>> = {
  gdrive: {
    name: 'Google Drive',
    authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    apiUrl: 'https://www.googleapis.com/drive/v3',
    // Read-only access to every file's metadata and content, the least that lists and reads a folder.
    scope: 'https://www.googleapis.com/auth/drive.readonly',
    // Google answers a refresh token only for offline access, and again only when consent is asked anew.
    authParams: { access_type: 'offline', prompt: 'consent' },
  },
  onedrive: {
    name: 'OneDrive',
    authUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    apiUrl: 'https://graph.microsoft.com/v1.0',
    // Files.Read: read the user's files, nothing else; offline_access is what brings a refresh token.
    scope: 'Files.Read offline_access',
    authParams: {},
  },
  dropbox: {
    name: 'Dropbox',
    authUrl: 'https://www.dropbox.com/oauth2/authorize',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    apiUrl: 'https://api.dropboxapi.com/2',
    contentUrl: 'https://content.dropboxapi.com/2',
    // Read metadata (listing, change feed) and content (downloads), no write scope.
    scope: 'files.metadata.read files.content.read',
    // Dropbox answers short-lived access tokens only, and a refresh token only for offline access.
    authParams: { token_access_type: 'offline' },
  },
};

/** The environment variables' part for a kind: MUSIC_SYNC_<PART>_CLIENT_ID. */
export function envPrefix(kind: CloudKind): string {
  return `MUSIC_SYNC_${kind.toUpperCase()}`;
}

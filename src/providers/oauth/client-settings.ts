// A new cloud profile's OAuth client and endpoints: the environment's (MUSIC_SYNC_<KIND>_...) over the
// provider's own, checked once here so what is stored with the profile is whole and absolute.
import type { CloudClientSettings } from '../../app/settings.ts';
import { CLOUD_DEFAULTS, envPrefix } from './defaults.ts';
import type { CloudKind, CloudSettings } from './types.ts';

/** The settings a `kind` profile is linked and stored with. Throws a one-line Error naming the
 * variable when no client id is set, or when an endpoint given is not an http(s) URL. */
export function cloudSettingsOf(kind: CloudKind, given: CloudClientSettings): CloudSettings {
  const defaults = CLOUD_DEFAULTS[kind];
  const prefix = envPrefix(kind);
  if (!given.clientId?.trim()) {
    throw new Error(
      `${prefix}_CLIENT_ID is not set: register an app with ${defaults.name} (read-only access) and set its client id ` +
        `(and ${prefix}_CLIENT_SECRET if the app has a secret)`,
    );
  }
  const endpoint = (value: string | undefined, fallback: string, variable: string): string => {
    const text = (value ?? fallback).trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`${prefix}_${variable} must be an http(s) URL, got "${text}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${prefix}_${variable} must be an http(s) URL, got "${text}"`);
    // API bases are joined with paths: no trailing slash, so `${apiUrl}/files` has one.
    return text.replace(/\/+$/, '');
  };
  const settings: CloudSettings = {
    clientId: given.clientId.trim(),
    authUrl: endpoint(given.authUrl, defaults.authUrl, 'AUTH_URL'),
    tokenUrl: endpoint(given.tokenUrl, defaults.tokenUrl, 'TOKEN_URL'),
    apiUrl: endpoint(given.apiUrl, defaults.apiUrl, 'API_URL'),
  };
  if (defaults.contentUrl !== undefined) settings.contentUrl = endpoint(given.contentUrl, defaults.contentUrl, 'CONTENT_URL');
  return settings;
}

/** A stored profile's settings read back as CloudSettings; undefined when a field is missing. */
export function asCloudSettings(settings: Readonly<Record<string, unknown>>): CloudSettings | undefined {
  const text = (name: string) => (typeof settings[name] === 'string' && settings[name] !== '' ? (settings[name] as string) : undefined);
  const clientId = text('clientId');
  const authUrl = text('authUrl');
  const tokenUrl = text('tokenUrl');
  const apiUrl = text('apiUrl');
  if (!clientId || !authUrl || !tokenUrl || !apiUrl) return undefined;
  const contentUrl = text('contentUrl');
  return { clientId, authUrl, tokenUrl, apiUrl, ...(contentUrl ? { contentUrl } : {}) };
}

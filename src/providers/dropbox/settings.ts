// A Dropbox profile's settings: the OAuth client and the endpoints it was linked with (CloudSettings),
// checked when the profile is stored and again when a provider is made, and nothing else kept.
import { asCloudSettings } from '../oauth/client-settings.ts';
import type { CloudSettings } from '../oauth/types.ts';
import { ProviderError } from '../types.ts';

const URL_FIELDS = ['authUrl', 'tokenUrl', 'apiUrl', 'contentUrl'] as const;

/** The settings as stored: clientId and the four endpoints, each an http(s) URL without a trailing
 * slash. Throws ProviderError('invalid') naming the first field missing or wrong. */
export function normalizeDropboxSettings(settings: Readonly<Record<string, unknown>>): CloudSettings & { contentUrl: string } {
  const clientId = typeof settings.clientId === 'string' ? settings.clientId.trim() : '';
  if (clientId === '') throw new ProviderError('invalid', 'the Dropbox profile has no OAuth client id (settings.clientId): link it again');
  const urls: Record<(typeof URL_FIELDS)[number], string> = { authUrl: '', tokenUrl: '', apiUrl: '', contentUrl: '' };
  for (const field of URL_FIELDS) urls[field] = endpoint(field, settings[field]);
  const normalized = { clientId, ...urls };
  // The same reading the access tokens make of them.
  if (!asCloudSettings(normalized)) throw new ProviderError('invalid', 'the Dropbox profile settings are incomplete: link it again');
  return normalized;
}

function endpoint(field: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = text === '' ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ProviderError('invalid', `the Dropbox profile's settings.${field} must be an http(s) URL, got ${JSON.stringify(value ?? null)}`);
  }
  // Joined with paths: `${apiUrl}/files/list_folder`.
  return text.replace(/\/+$/, '');
}

// A cloud profile as it is stored, the same for Google Drive, OneDrive and Dropbox: its root, a folder
// path in the user's drive ('' is all of it), and the OAuth client and endpoints it was linked with
// (CloudSettings), each checked when the profile is stored and again when a provider is made.
import { displayName } from '../path-bytes.ts';
import type { CloudSettings } from '../oauth/types.ts';
import { ProviderError } from '../types.ts';

/** The root without leading or trailing slashes; a path that could name no folder is refused.
 * `service` names the provider in messages ("Google Drive"). */
export function normalizeCloudRoot(root: unknown, service: string): string {
  if (typeof root !== 'string') throw new ProviderError('invalid', `the ${service} folder must be a path like "Music/Library" ("" for the whole drive)`);
  const shown = JSON.stringify(displayName(root));
  if (root.includes('\0')) throw new ProviderError('invalid', `the ${service} folder ${shown} holds a NUL character`);
  const path = root.trim().replace(/^\/+|\/+$/g, '');
  if (path === '') return '';
  for (const segment of path.split('/')) {
    if (segment === '') throw new ProviderError('invalid', `the ${service} folder ${shown} has an empty name in it (two slashes in a row)`);
    if (segment === '.' || segment === '..') throw new ProviderError('invalid', `the ${service} folder ${shown} may not contain "${segment}"`);
  }
  return path;
}

/** The settings as stored: the client id and the endpoints (absolute http(s) URLs without a trailing
 * slash, joined with paths later), nothing else; `contentUrl` too where the provider has one (Dropbox).
 * Throws ProviderError('invalid') naming what is missing or wrong. */
export function normalizeCloudSettings(settings: Readonly<Record<string, unknown>>, service: string, options: { contentUrl?: boolean } = {}): CloudSettings {
  const { clientId } = settings;
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new ProviderError('invalid', `the ${service} profile has no OAuth client id (settings.clientId): link it again`);
  }
  const keys = ['authUrl', 'tokenUrl', 'apiUrl', ...(options.contentUrl ? (['contentUrl'] as const) : [])] as const;
  const urls: Partial<Record<(typeof keys)[number], string>> = {};
  for (const key of keys) urls[key] = endpoint(settings[key], `the ${service} profile's settings.${key}`);
  return { clientId: clientId.trim(), ...(urls as Pick<CloudSettings, 'authUrl' | 'tokenUrl' | 'apiUrl'>), ...(urls.contentUrl ? { contentUrl: urls.contentUrl } : {}) };
}

function endpoint(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = text === '' ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ProviderError('invalid', `${what} must be an http(s) URL, got ${JSON.stringify(value ?? null)}`);
  }
  return text.replace(/\/+$/, '');
}

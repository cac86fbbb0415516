// A OneDrive profile as it is stored: its root, a folder path in the user's drive ('' is all of it),
// and the OAuth client and endpoints it was linked with (CloudSettings), each checked.
import type { CloudSettings } from '../oauth/types.ts';
import { ProviderError } from '../types.ts';

/** The root without leading or trailing slashes; a path that could name no folder is refused. */
export function normalizeRoot(root: unknown): string {
  if (typeof root !== 'string') throw new ProviderError('invalid', 'the OneDrive folder must be a path like "Music/Library"');
  if (root.includes('\0')) throw new ProviderError('invalid', 'the OneDrive folder path contains a NUL character');
  const path = root.trim().replace(/^\/+|\/+$/g, '');
  if (path === '') return '';
  for (const segment of path.split('/')) {
    if (segment === '') throw new ProviderError('invalid', `the OneDrive folder "${root}" has an empty name in it (two slashes in a row)`);
    if (segment === '.' || segment === '..') throw new ProviderError('invalid', `the OneDrive folder "${root}" may not contain "${segment}"`);
  }
  return path;
}

const URL_KEYS = ['authUrl', 'tokenUrl', 'apiUrl'] as const;

/** The settings as stored: the client id and the endpoints (absolute http(s) URLs without a trailing
 * slash), nothing else. Throws ProviderError('invalid') naming what is wrong. */
export function normalizeSettings(settings: Readonly<Record<string, unknown>>): CloudSettings {
  const { clientId } = settings;
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new ProviderError('invalid', 'the OneDrive profile has no OAuth clientId in its settings: link it again');
  }
  const urls = {} as Record<(typeof URL_KEYS)[number], string>;
  for (const key of URL_KEYS) {
    const value = settings[key];
    let url: URL | undefined;
    try {
      url = typeof value === 'string' ? new URL(value.trim()) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new ProviderError('invalid', `the OneDrive profile's ${key} must be an http(s) URL, got ${JSON.stringify(value ?? null)}`);
    }
    // Joined with paths: `${apiUrl}/me/drive/root`.
    urls[key] = (value as string).trim().replace(/\/+$/, '');
  }
  return { clientId: clientId.trim(), ...urls };
}

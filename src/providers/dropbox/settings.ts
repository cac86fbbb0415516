// A Dropbox profile's settings: see cloud/profile.ts (with the content API's endpoint).
import { normalizeCloudSettings } from '../cloud/profile.ts';
import type { CloudSettings } from '../oauth/types.ts';

export function normalizeDropboxSettings(settings: Readonly<Record<string, unknown>>): CloudSettings & { contentUrl: string } {
  return normalizeCloudSettings(settings, 'Dropbox', { contentUrl: true }) as CloudSettings & { contentUrl: string };
}

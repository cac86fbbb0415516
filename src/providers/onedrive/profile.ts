// A OneDrive profile as it is stored: see cloud/profile.ts.
import { normalizeCloudRoot, normalizeCloudSettings } from '../cloud/profile.ts';
import type { CloudSettings } from '../oauth/types.ts';

/** The root without leading or trailing slashes ('' is the whole drive). */
export function normalizeRoot(root: unknown): string {
  return normalizeCloudRoot(root, 'OneDrive');
}

export function normalizeSettings(settings: Readonly<Record<string, unknown>>): CloudSettings {
  return normalizeCloudSettings(settings, 'OneDrive');
}


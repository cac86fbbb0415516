// A Google Drive profile as it is stored: see cloud/profile.ts.
import { normalizeCloudRoot, normalizeCloudSettings } from '../cloud/profile.ts';
import type { CloudSettings } from '../oauth/types.ts';

/** The root without leading or trailing slashes ('' is all of My Drive). */
export function normalizeRoot(root: unknown): string {
  return normalizeCloudRoot(root, 'Google Drive');
}

/** The root's folder names, top first. */
export function rootSegments(root: string): string[] {
  return root === '' ? [] : root.split('/');
}

export function normalizeSettings(settings: Readonly<Record<string, unknown>>): CloudSettings {
  return normalizeCloudSettings(settings, 'Google Drive');
}

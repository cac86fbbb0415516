// A WebDAV profile's own settings, checked when the profile is stored and again when it is used.
import { ProviderError } from '../types.ts';

export interface WebdavSettings {
  /** Requests in flight at once to this server for this user, across every sync of the worker. */
  maxConnections: number;
}

export const DEFAULT_MAX_CONNECTIONS = 16;
const MAX_CONNECTIONS_LIMIT = 256;

/** The settings as stored: only the known ones, each checked. Throws ProviderError('invalid'). */
export function normalizeSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const unknown = Object.keys(settings).filter((key) => key !== 'maxConnections');
  if (unknown.length > 0) {
    throw new ProviderError('invalid', `unknown WebDAV setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: maxConnections)`);
  }
  const { maxConnections } = settings;
  if (maxConnections === undefined) return {};
  if (typeof maxConnections !== 'number' || !Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > MAX_CONNECTIONS_LIMIT) {
    throw new ProviderError('invalid', `maxConnections must be a whole number from 1 to ${MAX_CONNECTIONS_LIMIT}, got ${JSON.stringify(maxConnections)}`);
  }
  return { maxConnections };
}

export function readSettings(settings: Record<string, unknown>): WebdavSettings {
  const stored = normalizeSettings(settings);
  return { maxConnections: (stored.maxConnections as number | undefined) ?? DEFAULT_MAX_CONNECTIONS };
}

// What keeping one profile's channel needs: the database, where notifications are to go, how long
// channels are asked to live, and the profile's credentials for the provider's calls.
import type { Db } from '../../db/connect.ts';
import type { PushChannel } from '../../db/push-channels.ts';
import type { Profile } from '../../db/schema.ts';
import type { ProviderEnvironment } from '../../providers/types.ts';

export type PushEnvironment = Pick<ProviderEnvironment, 'secrets' | 'credentials' | 'throttleBoard'>;

export interface KeepContext {
  db: Db;
  log: (line: string) => void;
  /** The URL a provider's notifications go to; undefined without a public URL: then no channel is
   * made or renewed (those made before end by themselves) and only Dropbox's app-wide webhook can arrive. */
  addressOf(provider: 'gdrive' | 'onedrive'): string | undefined;
  /** How long a new or renewed channel is asked to live. */
  lifetimeMs(provider: 'gdrive' | 'onedrive'): number;
  /** The profile's credentials, opened for the provider's calls. */
  environmentOf(profile: Profile): Promise<PushEnvironment>;
}

/** Whether a channel is to be renewed now: less than half the life asked of a channel is left. (A
 * provider that grants less than asked has its channels renewed every round.) */
export function renewalDue(channel: PushChannel, lifetimeMs: number, now = Date.now()): boolean {
  return channel.expiresAt !== null && channel.expiresAt.getTime() - now < lifetimeMs / 2;
}

export function isExpired(channel: PushChannel, now = Date.now()): boolean {
  return channel.expiresAt !== null && channel.expiresAt.getTime() <= now;
}

/** A time for a log line, to the second. */
export function shownTime(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}

// Keeps every cloud profile reachable by its provider's notifications, now and every few minutes:
// a Google Drive channel and a Microsoft Graph subscription per profile, opened and renewed before
// they end, and each Dropbox profile's account recorded for the app's webhook. A profile that fails
// (a revoked link, a provider down) is one log line and is tried again next round; the others go on.
// Stopping leaves the channels as they are: a restart goes on with them rather than churn them.
import { listProfiles } from '../db/profiles.ts';
import type { Db } from '../db/connect.ts';
import type { Profile } from '../db/schema.ts';
import { dbThrottleBoard } from '../db/throttles.ts';
import { DRIVE_CHANNEL_MAX_MS } from '../providers/gdrive/push.ts';
import { GRAPH_DRIVE_SUBSCRIPTION_MAX_MS } from '../providers/onedrive/push.ts';
import { credentialStore } from '../secrets/credential-store.ts';
import { loadProfileSecrets } from '../secrets/profile-secrets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { KeepContext } from './keep/context.ts';
import { keepDropboxAccount } from './keep/dropbox.ts';
import { keepDriveChannel } from './keep/gdrive.ts';
import { keepGraphSubscription } from './keep/onedrive.ts';
import { PUSH_PATHS } from './server.ts';

const KEEPERS: Readonly<Record<string, (profile: Profile, context: KeepContext) => Promise<void>>> = {
  gdrive: keepDriveChannel,
  onedrive: keepGraphSubscription,
  dropbox: keepDropboxAccount,
};

const SERVICES: Readonly<Record<string, string>> = { gdrive: 'Google Drive', onedrive: 'OneDrive', dropbox: 'Dropbox' };

const DEFAULT_INTERVAL_MS = 10 * 60_000;
/** Asked of each provider: a day for Drive (at most a week), three days for Graph (at most 42,300
 * minutes). Shorter than the most, so channels of a music-sync that stopped for good end soon. */
const DEFAULT_LIFETIME_MS = { gdrive: 24 * 3_600_000, onedrive: 3 * 24 * 3_600_000 };
const MAX_LIFETIME_MS = { gdrive: DRIVE_CHANNEL_MAX_MS, onedrive: GRAPH_DRIVE_SUBSCRIPTION_MAX_MS };

export interface KeepSubscribedOptions {
  db: Db;
  /** Opens the profiles' credentials (without it, no cloud profile can be kept). */
  secretBox: SecretBox | undefined;
  /** The public https base URL the providers reach the push endpoint at (MUSIC_SYNC_PUSH_URL);
   * without it only Dropbox accounts are recorded. */
  publicUrl: string | undefined;
  log?: (line: string) => void;
  /** Time between rounds (default 10 minutes). */
  intervalMs?: number;
  /** How long new and renewed channels are asked to live (capped at each provider's most); they are
   * renewed once less than half of it is left, so it must be well over twice `intervalMs`. */
  lifetimeMs?: Partial<Record<'gdrive' | 'onedrive', number>>;
}

export interface Subscriptions {
  /** One round now (after the one under way, if any). */
  once(): Promise<void>;
  /** No more rounds; waits for the one under way. */
  stop(): Promise<void>;
}

/** Starts keeping the subscriptions: a first round at once, then one every `intervalMs`. */
export function keepSubscribed(options: KeepSubscribedOptions): Subscriptions {
  const { db, secretBox } = options;
  const log = options.log ?? (() => {});
  const base = options.publicUrl === undefined ? undefined : baseUrl(options.publicUrl);
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const context: KeepContext = {
    db,
    log,
    addressOf: (provider) => (base === undefined ? undefined : `${base}${PUSH_PATHS[provider]}`),
    lifetimeMs: (provider) => Math.min(options.lifetimeMs?.[provider] ?? DEFAULT_LIFETIME_MS[provider], MAX_LIFETIME_MS[provider]),
    environmentOf: async (profile) => ({
      secrets: await loadProfileSecrets(db, secretBox, profile.id, profile.name),
      credentials: secretBox ? credentialStore(db, secretBox, profile.id) : undefined,
      throttleBoard: dbThrottleBoard(db),
    }),
  };

  async function round(): Promise<void> {
    let profiles: Profile[];
    try {
      profiles = (await listProfiles(db)).filter((p) => p.provider in KEEPERS);
    } catch (err) {
      log(`push: could not read the profiles: ${messageOf(err)}`);
      return;
    }
    await Promise.all(
      profiles.map(async (profile) => {
        try {
          await KEEPERS[profile.provider]!(profile, context);
        } catch (err) {
          log(`push: ${SERVICES[profile.provider]} profile ${JSON.stringify(profile.name)}: notifications could not be set up: ${messageOf(err)}`);
        }
      }),
    );
  }

  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const once = () => {
    running = running.then(round);
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    if (!stopped) timer = setTimeout(() => void once().then(next), intervalMs);
  };
  void once().then(next);
  return {
    once,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** The public URL without a trailing slash; it must be an http(s) URL (the providers call https only). */
function baseUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new Error(`the push URL must be an https URL without a query (like https://music.example.com), got ${JSON.stringify(text)}`);
  }
  return url.href.replace(/\/+$/, '');
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 300);
}

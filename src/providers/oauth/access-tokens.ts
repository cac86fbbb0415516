// A cloud profile's access tokens: kept in memory only, renewed with the profile's refresh token a
// little before they expire (RFC 6749 §6), one renewal at a time per profile in a process so the
// batch loops of a sync share it. A provider that rotates refresh tokens answers a new one with each
// renewal and may void the old one at once; the new one is written back to the profile's secret store
// with a compare-and-set, so of two processes renewing at once neither loses the other's. A profile
// linked again (a new refresh token in the store) is noticed by the first provider made with it: the
// access token of the old link is dropped at once, not kept until it expires.
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { CredentialStore, ProviderProfile, ProviderSecrets } from '../types.ts';
import { ProviderError } from '../types.ts';
import { asCloudSettings } from './client-settings.ts';
import { CLOUD_DEFAULTS } from './defaults.ts';
import { callTokenEndpoint, TokenRefusedError } from './token-endpoint.ts';
import { CLIENT_SECRET, REFRESH_TOKEN, type AccessTokens, type CloudKind, type CloudSettings } from './types.ts';

/** Renew this long before the provider says a token expires (at most half its lifetime), so a
 * request that starts with it does not meet its end. */
const EARLY_RENEWAL_MS = 60_000;
/** Lifetime assumed when the provider states none (RFC 6749 §5.1 makes `expires_in` optional). */
const DEFAULT_LIFETIME_SEC = 3600;
/** After a refusal of our refresh token, how long to look for the one another process may be
 * writing back just now (it renewed with ours a moment before, and voided it). */
const ROTATION_WAITS_MS = [0, 100, 250, 500, 1000];
/** How many refresh tokens of its link an entry remembers (by digest): a provider made with one of
 * them is not a new link. A rotating provider answers one with each renewal, about one an hour, so
 * this covers an activity that started days ago. */
const KNOWN_TOKENS = 64;

interface Entry {
  accessToken: string | undefined;
  /** When the access token expires, and when it is renewed. */
  expiresAt: number;
  renewAt: number;
  /** The refresh token to use next (in memory it may be newer than the store, if writing it failed). */
  refreshToken: string | undefined;
  /** The stored refresh token `refreshToken` comes from: when the store holds another, someone else
   * rotated or re-linked, and theirs is taken. */
  basis: string | undefined;
  renewing: Promise<string> | undefined;
  /** Digests of the refresh tokens the cached access token's link was renewed with or rotated to,
   * oldest first: a provider made with another one comes from a new link. */
  known: string[];
}

function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Notes `token` as one of the entry's link. */
function know(entry: Entry, token: string): void {
  const digest = digestOf(token);
  if (entry.known.includes(digest)) return;
  entry.known.push(digest);
  if (entry.known.length > KNOWN_TOKENS) entry.known.shift();
}

/** Access tokens by profile, shared by every AccessTokens made with the same cache. */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();

  /** @internal */
  entry(key: string, refreshToken: string | undefined): Entry {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { accessToken: undefined, expiresAt: 0, renewAt: 0, refreshToken, basis: refreshToken, renewing: undefined, known: [] };
      if (refreshToken !== undefined) know(entry, refreshToken);
      this.#entries.set(key, entry);
    }
    return entry;
  }
}

/** The process's own: every provider made in a worker shares it. */
const PROCESS_CACHE = new TokenCache();

/** Another process's cache, for tests that play two workers in one. */
export function createTokenCache(): TokenCache {
  return new TokenCache();
}

function keyOf(kind: CloudKind, settings: CloudSettings, profileId: string | undefined, refreshToken: string | undefined): string {
  const client = `${settings.tokenUrl}\0${settings.clientId}`;
  if (profileId) return `${kind}\0profile\0${profileId}\0${client}`;
  // A profile not stored yet: known by its grant (hashed: the key is no place for a token).
  return `${kind}\0grant\0${client}\0${digestOf(refreshToken ?? '')}`;
}

function lifetime(expiresInSec: number | undefined, now: number): { expiresAt: number; renewAt: number } {
  const ms = Math.max(0, expiresInSec ?? DEFAULT_LIFETIME_SEC) * 1000;
  return { expiresAt: now + ms, renewAt: now + ms - Math.min(EARLY_RENEWAL_MS, ms / 2) };
}

/** Keeps the access token a link or a re-link just got, so checking the new profile does not renew
 * (and, with a provider that rotates, void the refresh token about to be stored). */
export function rememberAccessToken(
  input: { kind: CloudKind; settings: CloudSettings; refreshToken: string; accessToken: string; expiresInSec?: number; cache?: TokenCache },
): void {
  const { kind, settings, refreshToken } = input;
  const entry = (input.cache ?? PROCESS_CACHE).entry(keyOf(kind, settings, undefined, refreshToken), refreshToken);
  Object.assign(entry, { accessToken: input.accessToken, ...lifetime(input.expiresInSec, Date.now()) });
}

export function createAccessTokens(input: {
  kind: CloudKind;
  profile: ProviderProfile;
  secrets: ProviderSecrets;
  credentials?: CredentialStore;
  /** Where the tokens are kept: the process's cache unless a test plays another process. */
  cache?: TokenCache;
}): AccessTokens {
  const { kind, profile, secrets, credentials } = input;
  const name = CLOUD_DEFAULTS[kind].name;
  const settings = asCloudSettings(profile.settings);
  const relink = `link it again with \`music-sync profile add ${profile.name ?? '<name>'} --provider ${kind}\``;
  if (!settings) throw new ProviderError('invalid', `this ${name} profile has no OAuth client or endpoints in its settings: ${relink}`);
  const clientSecret = secrets[CLIENT_SECRET];
  const linked = secrets[REFRESH_TOKEN];
  const linkedDigest = linked === undefined ? undefined : digestOf(linked);
  const entry = (input.cache ?? PROCESS_CACHE).entry(keyOf(kind, settings, profile.id, linked), linked);
  const revoked = () => new ProviderError('unauthorized', `the ${name} link of this profile was revoked or has expired: ${relink}`);

  /** The refresh token to renew with: the store's when someone else changed it, else ours (after
   * writing it back if an earlier write failed). */
  async function refreshTokenToUse(): Promise<string> {
    if (credentials) {
      const stored = await credentials.read(REFRESH_TOKEN);
      if (stored !== undefined && stored !== entry.basis) adopt(stored);
      else if (stored !== undefined && entry.refreshToken !== undefined && entry.refreshToken !== stored) await persist(entry.refreshToken);
    }
    if (entry.refreshToken === undefined) throw revoked();
    return entry.refreshToken;
  }

  function adopt(stored: string): void {
    entry.refreshToken = stored;
    entry.basis = stored;
  }

  /** Writes a rotated refresh token over the one it came from; when the store changed meanwhile
   * (another process rotated first, or the profile was re-linked), the stored one is taken. */
  async function persist(next: string): Promise<void> {
    entry.refreshToken = next;
    if (!credentials || entry.basis === undefined) return;
    let written: boolean;
    try {
      written = await credentials.replace(REFRESH_TOKEN, entry.basis, next);
    } catch {
      // The store is out of reach: ours stays in memory and is written at the next renewal.
      return;
    }
    if (written) entry.basis = next;
    else {
      const stored = await credentials.read(REFRESH_TOKEN);
      if (stored !== undefined) adopt(stored);
    }
  }

  /** Another process's rotation of `refused`, if it shows up in the store in a moment. */
  async function rotatedElsewhere(refused: string): Promise<string | undefined> {
    if (!credentials) return undefined;
    for (const wait of ROTATION_WAITS_MS) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const stored = await credentials.read(REFRESH_TOKEN);
      if (stored !== undefined && stored !== refused) return stored;
    }
    return undefined;
  }

  function request(refreshToken: string): Promise<oauth.TokenEndpointResponse> {
    return callTokenEndpoint({
      kind,
      settings: settings!,
      ...(clientSecret !== undefined ? { clientSecret } : {}),
      secrets: [refreshToken, clientSecret ?? ''],
      request: ({ as, client, auth, options }) => oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, options),
      process: ({ as, client }, response) => oauth.processRefreshTokenResponse(as, client, response),
    });
  }

  function refused(err: unknown): never {
    if (!(err instanceof TokenRefusedError)) throw err;
    if (err.error === 'invalid_grant') throw revoked();
    if (err.error === 'invalid_client' || err.error === 'unauthorized_client') {
      throw new ProviderError('unauthorized', `${name} refused this profile's OAuth client (${err.error}): ${relink}`);
    }
    throw new ProviderError('unauthorized', `${name} refused to renew the access (${err.message}): ${relink}`);
  }

  async function renewNow(): Promise<string> {
    let used = await refreshTokenToUse();
    let answer: oauth.TokenEndpointResponse;
    try {
      answer = await request(used);
    } catch (err) {
      if (!(err instanceof TokenRefusedError && err.error === 'invalid_grant')) refused(err);
      // Refused: if another process rotated ours a moment ago, its token is (or is about to be) stored.
      const other = await rotatedElsewhere(used);
      if (other === undefined) throw revoked();
      adopt(other);
      used = other;
      answer = await request(used).catch(refused);
    }
    Object.assign(entry, { accessToken: answer.access_token, ...lifetime(answer.expires_in, Date.now()) });
    // The access token is of `used`'s link, and so is a rotated one. A token taken from the store
    // after a failed write is not noted: it may be a new link's, whose provider then renews once more.
    know(entry, used);
    if (answer.refresh_token !== undefined && answer.refresh_token !== used) {
      know(entry, answer.refresh_token);
      await persist(answer.refresh_token);
    }
    return answer.access_token;
  }

  function renew(): Promise<string> {
    entry.renewing ??= renewNow().finally(() => {
      entry.renewing = undefined;
    });
    return entry.renewing;
  }

  /** Whether this provider was made with a refresh token the entry's link never had. */
  function isNewLink(): boolean {
    return linkedDigest !== undefined && !entry.known.includes(linkedDigest);
  }

  /** For a new link: the profile was linked again since the access token was got (or another process
   * rotated it, which costs one renewal more), so the new refresh token is taken and the access token
   * dropped. A renewal under way is waited for first, so its rotation never overwrites the new link. */
  async function followRelink(signal: AbortSignal | undefined): Promise<void> {
    if (linked === undefined) return;
    while (entry.renewing) await abortable(entry.renewing, signal).catch(() => signal?.throwIfAborted());
    if (!isNewLink()) return;
    adopt(linked);
    know(entry, linked);
    Object.assign(entry, { accessToken: undefined, expiresAt: 0, renewAt: 0 });
  }

  return {
    async get(signal) {
      signal?.throwIfAborted();
      if (isNewLink()) await followRelink(signal);
      if (entry.accessToken !== undefined && Date.now() < entry.renewAt) return entry.accessToken;
      return abortable(renew(), signal);
    },
    async renew(rejected, signal) {
      signal?.throwIfAborted();
      if (isNewLink()) await followRelink(signal);
      if (entry.renewing) {
        const fresh = await abortable(entry.renewing, signal);
        if (fresh !== rejected) return fresh;
      }
      if (entry.accessToken !== undefined && entry.accessToken !== rejected && Date.now() < entry.expiresAt) return entry.accessToken;
      return abortable(renew(), signal);
    },
  };
}

/** `promise`, or the signal's reason when it aborts first: a caller that gives up does not end a
 * renewal others wait for. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

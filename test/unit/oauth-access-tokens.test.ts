// Access tokens of a cloud profile against a real OAuth 2.0 server (the fake authority, over HTTP) and
// the real secret store in Postgres: renewed before they expire, one renewal for many callers, a
// rotated refresh token written back with a compare-and-set so two processes renewing at once both
// end with working tokens, a profile linked again followed at once, and a revoked link said as such,
// without a token in the message. Answers the fake authority never gives (an OAuth error that means
// "later", a proxy's page) come from a token endpoint that answers as told.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { Db } from '../../src/db/connect.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { createAccessTokens, createTokenCache, rememberAccessToken } from '../../src/providers/oauth/access-tokens.ts';
import { CLIENT_SECRET, REFRESH_TOKEN, type CloudSettings } from '../../src/providers/oauth/types.ts';
import { ProviderError, type ProviderProfile } from '../../src/providers/types.ts';
import { credentialStore } from '../../src/secrets/credential-store.ts';
import { loadProfileSecrets, storeProfileSecrets } from '../../src/secrets/profile-secrets.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let db: Db;
const box = SecretBox.fromKeyText(randomBytes(32).toString('base64'));
const authorities: FakeAuthority[] = [];
const servers: Server[] = [];

before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
});
after(async () => {
  for (const a of authorities) await a.stop();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await testDb?.close();
});

async function authority(options: Parameters<typeof startFakeAuthority>[0] = {}): Promise<FakeAuthority> {
  const a = await startFakeAuthority(options);
  authorities.push(a);
  return a;
}

function settingsOf(a: FakeAuthority): CloudSettings {
  return { clientId: a.clientId, authUrl: a.authUrl, tokenUrl: a.tokenUrl, apiUrl: `${a.url}/api` };
}

/** A stored gdrive profile linked to `a`, as a worker's activity opens it. */
async function linkedProfile(a: FakeAuthority, extra: Record<string, string> = {}) {
  const id = randomUUID();
  const name = `p-${id.slice(0, 8)}`;
  const settings = settingsOf(a);
  await insertProfile(db, { id, name, provider: 'gdrive', root: '', settings: { ...settings } });
  await storeProfileSecrets(db, box, id, { [REFRESH_TOKEN]: a.grant(), ...extra });
  const profile: ProviderProfile = { id, name, provider: 'gdrive', root: '', settings: { ...settings } };
  /** One worker process's view: its own cache, the secrets as opened when its activity started. */
  const worker = async (cache = createTokenCache()) =>
    createAccessTokens({ kind: 'gdrive', profile, secrets: await loadProfileSecrets(db, box, id), credentials: credentialStore(db, box, id), cache });
  const stored = async () => (await loadProfileSecrets(db, box, id))[REFRESH_TOKEN];
  return { id, name, profile, worker, stored };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** A token endpoint on 127.0.0.1 that answers every request with `answer`; stopped after the tests. */
async function scriptedTokenUrl(answer: Answer): Promise<string> {
  const server = createServer((req, res) => {
    req.resume().on('end', () => res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
}

/** What renewing against an endpoint that always answers `answer` fails with. */
async function renewalFailure(answer: Answer): Promise<unknown> {
  const tokenUrl = await scriptedTokenUrl(answer);
  const settings: CloudSettings = { clientId: 'c', authUrl: 'http://127.0.0.1:1/authorize', tokenUrl, apiUrl: 'http://127.0.0.1:1/api' };
  const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
  const tokens = createAccessTokens({
    kind: 'onedrive', profile: { provider: 'onedrive', root: '', settings: { ...settings }, name: 'music' }, secrets: { [REFRESH_TOKEN]: refreshToken }, cache: createTokenCache(),
  });
  const err = await tokens.get().then(() => assert.fail('renewed'), (e: unknown) => e);
  assert.ok(err instanceof ProviderError, String(err));
  assert.ok(!`${inspect(err, { depth: 10 })}${err.stack}`.includes(refreshToken), 'the error holds no refresh token');
  return err;
}

const oauthError = (status: number, error: string, description = '') =>
  ({ status, contentType: 'application/json', body: JSON.stringify({ error, ...(description ? { error_description: description } : {}) }) });

describe('cloud access tokens', () => {
  test('a token is kept while it lasts, renewed before it expires, and the rotated refresh token is stored', async () => {
    const a = await authority({ accessTokenTtlSec: 2 });
    const p = await linkedProfile(a);
    const first = await p.stored();
    const tokens = await p.worker();

    const t1 = await tokens.get();
    assert.equal(a.check(`Bearer ${t1}`), 'ok');
    assert.equal(await tokens.get(), t1, 'a second call reuses the token');
    assert.equal(a.stats.refreshes, 1);
    // The authority rotated the refresh token: the store holds the new one, the old one is void.
    const second = await p.stored();
    assert.notEqual(second, first);
    assert.equal(second, a.issued.refreshTokens.at(-1));

    // Renewed a little before it expires (half its lifetime here, 60 s for a real one).
    await sleep(1100);
    const t2 = await tokens.get();
    assert.notEqual(t2, t1);
    assert.equal(a.check(`Bearer ${t2}`), 'ok');
    assert.equal(a.stats.refreshes, 2);
    assert.equal(await p.stored(), a.issued.refreshTokens.at(-1));
  });

  test('a token the API refuses is renewed once for every caller that saw it refused', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const tokens = await p.worker();
    const t1 = await tokens.get();
    a.expireAccessTokens();
    assert.equal(a.check(`Bearer ${t1}`), 'expired');
    // Eight batch requests all get a 401 with t1 at once: one renewal, the same new token for all.
    const renewed = await Promise.all(Array.from({ length: 8 }, () => tokens.renew(t1)));
    assert.equal(new Set(renewed).size, 1);
    assert.notEqual(renewed[0], t1);
    assert.equal(a.check(`Bearer ${renewed[0]}`), 'ok');
    assert.equal(a.stats.refreshes, 2);
    // A late caller with the old token gets the new one without another renewal.
    assert.equal(await tokens.renew(t1), renewed[0]);
    assert.equal(a.stats.refreshes, 2);
  });

  test('many callers of a cold cache share one renewal; instances of one process share the cache', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const cache = createTokenCache();
    const [x, y] = [await p.worker(cache), await p.worker(cache)];
    const got = await Promise.all([...Array.from({ length: 5 }, () => x.get()), ...Array.from({ length: 5 }, () => y.get())]);
    assert.equal(new Set(got).size, 1);
    assert.equal(a.stats.refreshes, 1);
  });

  test('two processes renewing at once with a rotating server both end with working tokens and lose no refresh token', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    // Each worker opened the profile's secrets before either renewed: both hold the same refresh token.
    const [w1, w2] = [await p.worker(), await p.worker()];
    // Slow answers, so both requests are in flight together and the second is refused (its token
    // was voided by the first's rotation) before the first's new token is stored.
    a.delayTokenRequests(150);
    // First both caches are cold; then, three times, the API refuses both processes' tokens at once.
    let [t1, t2] = await Promise.all([w1.get(), w2.get()]);
    for (let round = 0; round < 4; round++) {
      assert.equal(a.check(`Bearer ${t1}`), 'ok', `round ${round}: the first process has a working token`);
      assert.equal(a.check(`Bearer ${t2}`), 'ok', `round ${round}: the second process has a working token`);
      a.expireAccessTokens();
      if (round < 3) [t1, t2] = await Promise.all([w1.renew(t1), w2.renew(t2)]);
    }
    // Each round, both went to the server; one of them was refused and renewed again with the
    // token the other had just stored.
    assert.equal(a.stats.refreshes, 8);
    assert.equal(a.stats.refusedRefreshes, 4);
    a.delayTokenRequests(0);
    // What is stored is the live refresh token: a third process (a restarted worker) renews with it.
    assert.equal(await p.stored(), a.issued.refreshTokens.at(-1));
    const t3 = await (await p.worker()).get();
    assert.equal(a.check(`Bearer ${t3}`), 'ok');
  });

  test('a worker that opened its secrets before another rotated them renews with the stored token', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const late = await p.worker();
    await (await p.worker()).get();
    // `late` still holds the first refresh token, which the rotation voided.
    assert.equal(a.check(`Bearer ${await late.get()}`), 'ok');
    assert.equal(a.stats.refreshes, 2);
  });

  test('a revoked link is unauthorized, says how to link again, and repeats no token or secret', async () => {
    const a = await authority({ clientSecret: `cs-${randomBytes(12).toString('hex')}` });
    const p = await linkedProfile(a, { [CLIENT_SECRET]: a.clientSecret! });
    const tokens = await p.worker();
    const t1 = await tokens.get();
    a.revokeGrants();
    assert.equal(a.check(`Bearer ${t1}`), 'invalid');
    const started = Date.now();
    const err = await tokens.renew(t1).then(() => assert.fail('renewed a revoked link'), (e: unknown) => e);
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.kind, 'unauthorized');
    assert.equal(err.retryable, false);
    assert.equal(
      err.message,
      `the Google Drive link of this profile was revoked or has expired: link it again with \`music-sync profile add ${p.name} --provider gdrive\``,
    );
    // Before giving up it looked for a token another process might have just stored: briefly.
    assert.ok(Date.now() - started < 5000);
    const everything = `${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}\n${err.stack}`;
    for (const secret of [...a.issued.accessTokens, ...a.issued.refreshTokens, a.clientSecret!]) {
      assert.ok(!everything.includes(secret), 'the error holds no token or secret');
    }
  });

  test('a confidential client sends its secret; a wrong one is an unauthorized client', async () => {
    const a = await authority({ clientSecret: 'the-right-secret' });
    const right = await linkedProfile(a, { [CLIENT_SECRET]: 'the-right-secret' });
    assert.equal(a.check(`Bearer ${await (await right.worker()).get()}`), 'ok');
    const wrong = await linkedProfile(a, { [CLIENT_SECRET]: 'a-wrong-secret' });
    const err = await (await wrong.worker()).get().then(() => assert.fail('accepted a wrong secret'), (e: unknown) => e);
    assert.ok(err instanceof ProviderError && err.kind === 'unauthorized', String(err));
    assert.match(err.message, /Google Drive refused this profile's OAuth client \(invalid_client\)/);
    assert.ok(!err.message.includes('a-wrong-secret'));
  });

  test('an outage or a throttle of the token endpoint is retryable, and so is a server that does not answer', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const tokens = await p.worker();
    a.failTokenRequests(1, 503);
    const outage = await tokens.get().then(() => assert.fail('no error'), (e: unknown) => e);
    assert.ok(outage instanceof ProviderError && outage.kind === 'unavailable' && outage.retryable, String(outage));
    a.failTokenRequests(1, 429);
    const throttled = await tokens.get().then(() => assert.fail('no error'), (e: unknown) => e);
    assert.ok(throttled instanceof ProviderError && throttled.kind === 'rateLimited', String(throttled));
    assert.equal(throttled.retryAfterMs, 1000);
    // Neither failure cost the refresh token: the next try works.
    assert.equal(a.check(`Bearer ${await tokens.get()}`), 'ok');

    const gone = await authority();
    const q = await linkedProfile(gone);
    await gone.stop();
    const down = await (await q.worker()).get().then(() => assert.fail('no error'), (e: unknown) => e);
    assert.ok(down instanceof ProviderError && down.kind === 'unavailable', String(down));
    assert.match(down.message, /could not reach Google Drive to renew the access \(ECONNREFUSED\)/);
  });

  test('an OAuth error that means "later" is retryable, whatever its status', async () => {
    for (const error of ['temporarily_unavailable', 'server_error', 'slow_down']) {
      const err = await renewalFailure(oauthError(400, error, 'try again in a moment'));
      assert.ok(err instanceof ProviderError && err.kind === 'unavailable' && err.retryable, `${error}: ${String(err)}`);
      assert.equal(err.message, `OneDrive's token endpoint cannot answer now (${error}: try again in a moment)`);
    }
  });

  test('a token endpoint that does not answer OAuth is unavailable (never a fault of the files read), with its URL', async () => {
    const html = (status: number): Answer => ({ status, contentType: 'text/html', body: '<html><body>Blocked by policy</body></html>' });
    for (const status of [400, 403, 404, 405]) {
      const err = await renewalFailure(html(status));
      assert.ok(err instanceof ProviderError && err.kind === 'unavailable', `${status}: ${String(err)}`);
      assert.match(err.message, new RegExp(`^OneDrive's token endpoint answered HTTP ${status}, not an OAuth answer: check its token URL \\(http://127\\.0\\.0\\.1:\\d+/token\\)$`));
    }
  });

  test('a refusal of the grant or of the client is unauthorized and says how to link again', async () => {
    const relink = /: link it again with `music-sync profile add music --provider onedrive`$/;
    for (const [answer, start] of [
      [oauthError(400, 'invalid_grant'), /^the OneDrive link of this profile was revoked or has expired/],
      [oauthError(401, 'invalid_client'), /^OneDrive refused this profile's OAuth client \(invalid_client\)/],
      [{ status: 401, contentType: 'text/plain', body: 'Unauthorized' }, /^OneDrive refused this profile's OAuth client \(invalid_client\)/],
      [oauthError(400, 'invalid_scope', 'the scope was withdrawn'), /^OneDrive refused to renew the access \(invalid_scope: the scope was withdrawn\)/],
    ] as const) {
      const err = await renewalFailure(answer);
      assert.ok(err instanceof ProviderError && err.kind === 'unauthorized', `${answer.body}: ${String(err)}`);
      assert.match(err.message, start);
      assert.match(err.message, relink);
    }
  });

  test('a profile linked again is followed by the next provider made with it, not after the old access token expires', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const cache = createTokenCache();
    const before = await p.worker(cache);
    const t1 = await before.get();
    assert.equal(a.stats.refreshes, 1);

    // `profile add` again: a new consent, its refresh token replaces the stored one.
    const relinked = a.grant();
    await storeProfileSecrets(db, box, p.id, { [REFRESH_TOKEN]: relinked });
    const after = await p.worker(cache);
    const t2 = await after.get();
    assert.notEqual(t2, t1, 'the old link\'s access token is not used any more');
    assert.equal(a.check(`Bearer ${t2}`), 'ok');
    assert.equal(a.stats.refreshes, 2);
    // It renewed with the new link's token, and stored that token's rotation over it.
    assert.notEqual(await p.stored(), relinked);
    assert.equal(await p.stored(), a.issued.refreshTokens.at(-1));

    // A provider made before the new link (an activity still running) does not take the cache back
    // to the old link; one made with the token the cache rotated to renews nothing.
    assert.equal(await before.get(), t2);
    assert.equal(await (await p.worker(cache)).get(), t2);
    assert.equal(a.stats.refreshes, 2);
    assert.equal(a.stats.refusedRefreshes, 0);
  });

  test('a new link seen while a renewal with the old one is under way waits for it, and the store keeps the new link', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const cache = createTokenCache();
    const before = await p.worker(cache);
    const t1 = await before.get();
    a.delayTokenRequests(200);
    const oldRenewal = before.renew(t1);
    await sleep(50);
    const relinked = a.grant();
    await storeProfileSecrets(db, box, p.id, { [REFRESH_TOKEN]: relinked });
    const after = await p.worker(cache);
    const [fromOld, fromNew] = await Promise.all([oldRenewal, after.get()]);
    // The old renewal ended first (with the old link's token, for its own caller only); the new
    // link's provider then renewed with the new link's refresh token.
    assert.equal(fromOld, a.issued.accessTokens.at(-2));
    assert.equal(fromNew, a.issued.accessTokens.at(-1));
    assert.equal(a.stats.refreshes, 3);
    assert.equal(a.stats.refusedRefreshes, 0);
    // The old link's rotation was not written over the new link: the store holds the rotation of
    // the new link's token, which the next worker process renews with.
    a.delayTokenRequests(0);
    assert.equal(await p.stored(), a.issued.refreshTokens.at(-1));
    assert.equal(await (await p.worker(cache)).get(), fromNew);
    assert.equal(a.check(`Bearer ${await (await p.worker()).get()}`), 'ok');
    assert.equal(a.stats.refusedRefreshes, 0);
  });

  test('a caller that gives up does not end the renewal the others wait for', async () => {
    const a = await authority();
    const p = await linkedProfile(a);
    const tokens = await p.worker();
    a.delayTokenRequests(200);
    const impatient = new AbortController();
    const first = tokens.get(impatient.signal);
    const second = tokens.get();
    impatient.abort(new Error('cancelled'));
    await assert.rejects(first, /cancelled/);
    assert.equal(a.check(`Bearer ${await second}`), 'ok');
    assert.equal(a.stats.refreshes, 1);
  });

  test('a profile being checked before it is stored uses the access token its link got, without renewing', async () => {
    const a = await authority();
    const settings = settingsOf(a);
    const refreshToken = a.grant();
    const cache = createTokenCache();
    rememberAccessToken({ kind: 'dropbox', settings, refreshToken, accessToken: 'at-from-the-link', expiresInSec: 3600, cache });
    const tokens = createAccessTokens({
      kind: 'dropbox', profile: { provider: 'dropbox', root: '', settings: { ...settings } }, secrets: { [REFRESH_TOKEN]: refreshToken }, cache,
    });
    assert.equal(await tokens.get(), 'at-from-the-link');
    assert.equal(a.stats.refreshes, 0);
    // Without a store, a rotated refresh token is kept in memory: the next renewals still work.
    const t2 = await tokens.renew('at-from-the-link');
    const t3 = await tokens.renew(t2);
    assert.equal(a.check(`Bearer ${t3}`), 'ok');
    assert.equal(a.stats.refreshes, 2);
  });

  test('a profile without its OAuth client in its settings is refused with what to do', () => {
    assert.throws(
      () => createAccessTokens({ kind: 'onedrive', profile: { provider: 'onedrive', root: '', settings: {}, name: 'music' }, secrets: { [REFRESH_TOKEN]: 'x' } }),
      (e: unknown) => e instanceof ProviderError && e.kind === 'invalid' && /profile add music --provider onedrive/.test(e.message),
    );
  });
});

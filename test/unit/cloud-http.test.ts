// A cloud provider's request through CloudHttp when the token endpoint fails: a dropped connection,
// an outage, a "later" or a throttle while renewing the access token is retried like the request
// itself; a token endpoint that keeps failing ends as `unavailable` after the retries (never as a
// fault of the file being read), and a revoked link at once. A real server on 127.0.0.1 plays the
// token endpoint (answering as each test tells it) and an API that takes the tokens it issued.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { inspect } from 'node:util';
import { CloudHttp } from '../../src/providers/cloud/http.ts';
import { createAccessTokens, createTokenCache } from '../../src/providers/oauth/access-tokens.ts';
import { REFRESH_TOKEN, type CloudSettings } from '../../src/providers/oauth/types.ts';
import { AccountLimiter } from '../../src/providers/remote/limiter.ts';
import { ProviderError } from '../../src/providers/types.ts';

/** How the token endpoint answers one request: a new access token, a dropped connection, or an error. */
type TokenAnswer = 'token' | 'drop' | { status: number; body: string; contentType?: string; headers?: Record<string, string> };

let server: ReturnType<typeof createServer>;
let base: string;
/** The token endpoint's next answers (then `always`). */
let script: TokenAnswer[] = [];
let always: TokenAnswer = 'token';
/** Access tokens the API takes. */
const valid = new Set<string>();
const counts = { tokenRequests: 0, apiRequests: 0 };

function answerToken(req: IncomingMessage, res: ServerResponse): void {
  counts.tokenRequests++;
  const answer = script.shift() ?? always;
  if (answer === 'drop') {
    req.socket.destroy();
    return;
  }
  if (answer === 'token') {
    const accessToken = `at-${randomBytes(12).toString('hex')}`;
    valid.add(accessToken);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }));
    return;
  }
  res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers }).end(answer.body);
}

function answerApi(req: IncomingMessage, res: ServerResponse): void {
  counts.apiRequests++;
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (token === undefined || !valid.has(token)) res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
}

before(async () => {
  server = createServer((req, res) => {
    req.resume().on('end', () => (req.url === '/token' ? answerToken(req, res) : answerApi(req, res)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  script = [];
  always = 'token';
  valid.clear();
  Object.assign(counts, { tokenRequests: 0, apiRequests: 0 });
});

/** A OneDrive-like client of the fake, with its own token cache and a limiter whose pauses are short. */
function client(): { http: CloudHttp; refreshToken: string } {
  const settings: CloudSettings = { clientId: 'client', authUrl: `${base}/authorize`, tokenUrl: `${base}/token`, apiUrl: `${base}/api` };
  const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
  const tokens = createAccessTokens({
    kind: 'onedrive', profile: { provider: 'onedrive', root: '', name: 'music', settings: { ...settings } }, secrets: { [REFRESH_TOKEN]: refreshToken }, cache: createTokenCache(),
  });
  const limiter = new AccountLimiter({ account: `cloud-http ${refreshToken}`, maxConcurrency: 2, throttleBackoffMs: 10, maxThrottleBackoffMs: 40 });
  return { http: new CloudHttp({ tokens, limiter }), refreshToken };
}

const ping = (http: CloudHttp) => http.json<{ ok: boolean }>('ping', { url: `${base}/api/ping` });

test('a dropped connection, an outage and a "later" of the token endpoint are retried like the request', async () => {
  const { http } = client();
  script = ['drop', { status: 503, body: 'down for maintenance', contentType: 'text/plain' }, { status: 400, body: '{"error":"temporarily_unavailable"}' }, 'token'];
  assert.deepEqual(await ping(http), { ok: true });
  assert.equal(counts.tokenRequests, 4);
  assert.equal(counts.apiRequests, 1, 'the API is called once there is a token');
});

test('a throttle of the token endpoint waits for its Retry-After', async () => {
  const { http } = client();
  script = [{ status: 429, body: '', headers: { 'retry-after': '1' } }, 'token'];
  const started = Date.now();
  assert.deepEqual(await ping(http), { ok: true });
  assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
  assert.equal(counts.tokenRequests, 2);
});

test('a failed renewal after the API refused the token is retried too', async () => {
  const { http } = client();
  assert.deepEqual(await ping(http), { ok: true });
  // The API stops taking the token; the renewal it calls for first meets an outage.
  valid.clear();
  script = [{ status: 502, body: 'bad gateway', contentType: 'text/plain' }, 'token'];
  assert.deepEqual(await ping(http), { ok: true });
  assert.equal(counts.tokenRequests, 3);
  assert.equal(counts.apiRequests, 4);
});

test('a token endpoint that never answers OAuth ends the request as unavailable after its retries, naming the token URL', async () => {
  const { http, refreshToken } = client();
  always = { status: 404, body: '<html><body>Not Found</body></html>', contentType: 'text/html' };
  const err = await ping(http).then(() => assert.fail('no error'), (e: unknown) => e);
  assert.ok(err instanceof ProviderError && err.kind === 'unavailable', String(err));
  assert.match(err.message, /^ping: gave up after 8 attempts: the access token could not be renewed \(counted as HTTP 503\): OneDrive's token endpoint answered HTTP 404, not an OAuth answer: check its token URL \(http:\/\/127\.0\.0\.1:\d+\/token\)$/);
  assert.equal(counts.tokenRequests, 8);
  assert.equal(counts.apiRequests, 0);
  assert.ok(!`${inspect(err, { depth: 10 })}${err.stack}`.includes(refreshToken), 'no refresh token in the error');
});

test('a revoked link is not retried: unauthorized, saying how to link again', async () => {
  const { http, refreshToken } = client();
  always = { status: 400, body: '{"error":"invalid_grant","error_description":"the grant was revoked"}' };
  const err = await ping(http).then(() => assert.fail('no error'), (e: unknown) => e);
  assert.ok(err instanceof ProviderError && err.kind === 'unauthorized', String(err));
  assert.match(err.message, /link it again with `music-sync profile add music --provider onedrive`$/);
  assert.equal(counts.tokenRequests, 1);
  assert.ok(!`${inspect(err, { depth: 10 })}${err.stack}`.includes(refreshToken), 'no refresh token in the error');
});

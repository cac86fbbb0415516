// A fake OAuth 2.0 authorization server for the tests of the cloud providers and of linking: a real
// HTTP server on 127.0.0.1 (a port the kernel picked) that speaks the authorization code grant with
// PKCE and the refresh grant as RFC 6749 and RFC 7636 say, and checks the bearer tokens the API fakes
// are called with. Tokens are random opaque strings; everything is kept in memory.
//
// - GET  /authorize  (RFC 6749 §4.1.1) approves at once: no login page, no consent screen.
// - POST /token      (RFC 6749 §4.1.3 and §6) exchanges a code or a refresh token.
// - Rotation (on by default, as Microsoft and strict servers do; RFC 6749 §6 allows it, RFC 9700
//   §4.14.2 recommends it for public clients): each refresh answers a new refresh token and the one
//   used stops working at once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAuthorityOptions {
  /** The one client it knows (a random id by default). */
  clientId?: string;
  /** A confidential client's secret: then every token request must carry it (RFC 6749 §2.3.1). */
  clientSecret?: string;
  /** Lifetime of an access token in seconds (3600 by default). */
  accessTokenTtlSec?: number;
  /** Each refresh returns a new refresh token and invalidates the old one (true by default). */
  rotate?: boolean;
  /** A code exchange answers an access token only, as Google does without offline access. */
  withoutRefreshToken?: boolean;
}

export interface FakeAuthority {
  /** The server's base URL (`http://127.0.0.1:<port>`). */
  url: string;
  authUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  /** A refresh token for a new consent (tests skip the browser). */
  grant(): string;
  /** The bearer check the API fakes call with a request's Authorization header. */
  check(authorization: string | undefined): 'ok' | 'expired' | 'invalid';
  /** Every access token issued so far expires now. */
  expireAccessTokens(): void;
  /** The user revoked the app: every refresh token (and its access tokens) stops working. */
  revokeGrants(): void;
  /** The next `count` token requests are answered `status` (a 5xx outage, a 429 with Retry-After: 1). */
  failTokenRequests(count: number, status: number): void;
  /** Each token request is answered after `ms` (two refreshers overlap). */
  delayTokenRequests(ms: number): void;
  /** Every token ever issued, for leak tests. */
  readonly issued: { accessTokens: string[]; refreshTokens: string[] };
  /** Token requests answered, and refresh tokens refused (void, rotated away or revoked). */
  stats: { refreshes: number; codeExchanges: number; refusedRefreshes: number };
  stop(): Promise<void>;
}

interface PendingCode {
  challenge: string;
  redirectUri: string | undefined;
  scope: string | undefined;
  expiresAt: number;
}

interface Grant {
  revoked: boolean;
  scope: string | undefined;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

/** Authorization codes are short-lived (RFC 6749 §4.1.2: ten minutes at most). */
const CODE_TTL_MS = 60_000;

const token = (bytes = 24) => randomBytes(bytes).toString('base64url');

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge. A verifier is
 * 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" (§4.1). */
function verifierMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  return sameText(createHash('sha256').update(verifier).digest('base64url'), challenge);
}

class OAuthError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, description: string) {
    super(description);
    this.status = status;
    this.code = code;
  }
}

export async function startFakeAuthority(options: FakeAuthorityOptions = {}): Promise<FakeAuthority> {
  const clientId = options.clientId ?? `client-${token(8)}`;
  const clientSecret = options.clientSecret;
  const ttlSec = options.accessTokenTtlSec ?? 3600;
  const rotate = options.rotate ?? true;

  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, Grant>();
  const accessTokens = new Map<string, AccessToken>();
  const issued = { accessTokens: [] as string[], refreshTokens: [] as string[] };
  const stats = { refreshes: 0, codeExchanges: 0, refusedRefreshes: 0 };
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let delayMs = 0;

  function newRefreshToken(grant: Grant): string {
    const value = `rt-${token()}`;
    refreshTokens.set(value, grant);
    issued.refreshTokens.push(value);
    return value;
  }

  /** RFC 6749 §5.1: the access token, its type and lifetime, and the refresh token when one is issued. */
  function tokenResponse(grant: Grant, refreshToken: string | undefined): Record<string, unknown> {
    const accessToken = `at-${token()}`;
    accessTokens.set(accessToken, { grant, expiresAt: Date.now() + ttlSec * 1000 });
    issued.accessTokens.push(accessToken);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttlSec,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(grant.scope ? { scope: grant.scope } : {}),
    };
  }

  /** RFC 6749 §4.1.1 and §4.1.2: the authorization request, approved at once. */
  function authorize(url: URL, res: ServerResponse): void {
    const query = url.searchParams;
    // §4.1.2.1: a wrong client or redirect URI is told to the user, never redirected.
    if (query.get('client_id') !== clientId) return plain(res, 400, 'unknown client_id');
    const redirectUri = query.get('redirect_uri') ?? undefined;
    if (redirectUri !== undefined && !/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?\//.test(redirectUri)) {
      return plain(res, 400, 'redirect_uri must be a loopback http URL');
    }
    const refuse = (error: string, description: string) => {
      if (!redirectUri) return plain(res, 400, `${error}: ${description}`);
      const target = new URL(redirectUri);
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', description);
      const state = query.get('state');
      if (state !== null) target.searchParams.set('state', state);
      redirect(res, target);
    };
    if (query.get('response_type') !== 'code') return refuse('unsupported_response_type', 'response_type must be code');
    // RFC 7636 §4.4.1: a public client must send a challenge; this server accepts S256 only.
    const challenge = query.get('code_challenge');
    if (!challenge || query.get('code_challenge_method') !== 'S256') {
      return refuse('invalid_request', 'code_challenge with code_challenge_method=S256 is required');
    }
    const code = `code-${token()}`;
    codes.set(code, { challenge, redirectUri, scope: query.get('scope') ?? undefined, expiresAt: Date.now() + CODE_TTL_MS });
    if (!redirectUri) return plain(res, 200, code);
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    redirect(res, target);
  }

  /** RFC 6749 §2.3.1: client_secret_basic or client_secret_post; a public client names itself with
   * client_id (§3.2.1). */
  function authenticateClient(req: IncomingMessage, form: URLSearchParams): void {
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon < 0 ? undefined : colon));
      secret = colon < 0 ? undefined : decodeURIComponent(decoded.slice(colon + 1));
    }
    // §5.2: invalid_client is 401.
    if (id !== clientId) throw new OAuthError(401, 'invalid_client', 'unknown client');
    if (clientSecret !== undefined && (secret === undefined || !sameText(secret, clientSecret))) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed');
    }
  }

  /** RFC 6749 §4.1.3 with RFC 7636 §4.5 and §4.6. */
  function exchangeCode(form: URLSearchParams): Record<string, unknown> {
    const code = form.get('code');
    const pending = code ? codes.get(code) : undefined;
    // §4.1.2: a code is used once.
    if (code) codes.delete(code);
    if (!pending || pending.expiresAt < Date.now()) throw new OAuthError(400, 'invalid_grant', 'the authorization code is invalid or expired');
    // §4.1.3: the redirect_uri must be the one of the authorization request, if it had one.
    if ((form.get('redirect_uri') ?? undefined) !== pending.redirectUri) throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match');
    const verifier = form.get('code_verifier');
    if (!verifier || !verifierMatches(verifier, pending.challenge)) throw new OAuthError(400, 'invalid_grant', 'code_verifier does not match');
    stats.codeExchanges++;
    const grant: Grant = { revoked: false, scope: pending.scope };
    return tokenResponse(grant, options.withoutRefreshToken ? undefined : newRefreshToken(grant));
  }

  /** RFC 6749 §6. */
  function refresh(form: URLSearchParams): Record<string, unknown> {
    const used = form.get('refresh_token');
    if (!used) throw new OAuthError(400, 'invalid_request', 'refresh_token is required');
    const grant = refreshTokens.get(used);
    if (!grant || grant.revoked) {
      stats.refusedRefreshes++;
      throw new OAuthError(400, 'invalid_grant', 'the refresh token is invalid, expired or revoked');
    }
    stats.refreshes++;
    if (!rotate) return tokenResponse(grant, undefined);
    refreshTokens.delete(used);
    return tokenResponse(grant, newRefreshToken(grant));
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failures.count > 0) {
      failures.count--;
      const headers: Record<string, string> = failures.status === 429 ? { 'retry-after': '1' } : {};
      res.writeHead(failures.status, { 'content-type': 'text/plain', ...headers }).end('unavailable');
      return;
    }
    try {
      if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
        throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
      }
      const form = new URLSearchParams(body);
      authenticateClient(req, form);
      const grantType = form.get('grant_type');
      const answer =
        grantType === 'authorization_code' ? exchangeCode(form) : grantType === 'refresh_token' ? refresh(form) : undefined;
      if (!answer) throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType ?? '(none)'} is not supported`);
      json(res, 200, answer);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      // §5.2: the error as JSON.
      json(res, err.status, { error: err.code, error_description: err.message });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = async () => {
      if (url.pathname === '/authorize' && req.method === 'GET') return authorize(url, res);
      if (url.pathname === '/token' && req.method === 'POST') return tokenEndpoint(req, res);
      plain(res, 404, 'not found');
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) plain(res, 500, err instanceof Error ? err.message : 'error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    authUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    clientId,
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    grant: () => newRefreshToken({ revoked: false, scope: undefined }),
    check(authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      const found = match ? accessTokens.get(match[1]!) : undefined;
      if (!found || found.grant.revoked) return 'invalid';
      return found.expiresAt <= Date.now() ? 'expired' : 'ok';
    },
    expireAccessTokens() {
      for (const entry of accessTokens.values()) entry.expiresAt = 0;
    },
    revokeGrants() {
      for (const grant of refreshTokens.values()) grant.revoked = true;
      for (const entry of accessTokens.values()) entry.grant.revoked = true;
    },
    failTokenRequests(count, status) {
      failures = { count, status };
    },
    delayTokenRequests(ms) {
      delayMs = ms;
    },
    issued,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  // RFC 6749 §5.1: token responses are not cached.
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
  res.end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

function redirect(res: ServerResponse, target: URL): void {
  res.writeHead(302, { location: target.href }).end();
}

// One request to a cloud provider's token endpoint (RFC 6749 §3.2) through oauth4webapi, and what its
// failures mean to a sync: an outage or a throttle is retried, a refusal (RFC 6749 §5.2) is not.
// Nothing the token endpoint answers is a fault of one file (`invalid`): an answer that is not OAuth
// (a proxy's page, a wrong token URL) is `unavailable`, so a sync gives up after its retries without
// failing the files it was reading.
// No message made here holds a token or a secret: a refusal's description is the server's, with
// every secret of the request taken out of it.
import * as oauth from 'oauth4webapi';
import { parseRetryAfter } from '../remote/retry-after.ts';
import { ProviderError } from '../types.ts';
import { CLOUD_DEFAULTS } from './defaults.ts';
import type { CloudKind, CloudSettings } from './types.ts';

/** A token request gets no answer for this long: given up, the caller retries later. */
const TOKEN_TIMEOUT_MS = 30_000;

/** The token endpoint refused the request with an OAuth error (`invalid_grant`, `invalid_client`, ...). */
export class TokenRefusedError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, status: number, description: string) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'TokenRefusedError';
    this.error = error;
    this.status = status;
  }
}

/** What oauth4webapi needs to call one provider's token endpoint as one client. */
export interface TokenEndpoint {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: oauth.TokenEndpointRequestOptions;
}

export interface TokenCall {
  kind: CloudKind;
  settings: CloudSettings;
  clientSecret?: string;
  /** The caller's own: it ends the request (the error is the signal's reason). */
  signal?: AbortSignal;
  /** Words that must never be repeated in a message (the refresh token, the code, ...). */
  secrets: readonly string[];
  /** Sends the grant request (oauth4webapi's `*GrantRequest`). */
  request(endpoint: TokenEndpoint): Promise<Response>;
  /** Reads a 200 answer (oauth4webapi's `process*Response`); throws on an OAuth error body. */
  process(endpoint: TokenEndpoint, response: Response): Promise<oauth.TokenEndpointResponse>;
}

/** OAuth errors that say "not now" rather than "no": `temporarily_unavailable` and `server_error`
 * (RFC 6749 §4.1.2.1, which Microsoft's token endpoint also answers), `slow_down` (RFC 8628 §3.5). */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error', 'slow_down']);

/** Calls the token endpoint once. Throws TokenRefusedError for an OAuth refusal, ProviderError
 * `unavailable` (no answer, 5xx, a transient OAuth error, an answer that is not OAuth) or
 * `rateLimited` (429), or the signal's reason. */
export async function callTokenEndpoint(call: TokenCall): Promise<oauth.TokenEndpointResponse> {
  const name = CLOUD_DEFAULTS[call.kind].name;
  const { settings } = call;
  const timeout = AbortSignal.timeout(TOKEN_TIMEOUT_MS);
  const endpoint: TokenEndpoint = {
    as: { issuer: new URL(settings.tokenUrl).origin, token_endpoint: settings.tokenUrl },
    client: { client_id: settings.clientId },
    // A client with a secret sends it in the body (RFC 6749 §2.3.1), which every one of the three
    // providers accepts; a public client only names itself and proves the code with PKCE.
    auth: call.clientSecret ? oauth.ClientSecretPost(call.clientSecret) : oauth.None(),
    options: {
      signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
      // Plain http only where the endpoint says so (a test's server on 127.0.0.1).
      [oauth.allowInsecureRequests]: new URL(settings.tokenUrl).protocol === 'http:',
    },
  };
  const scrub = (text: string) => call.secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), text);

  let response: Response;
  try {
    response = await call.request(endpoint);
  } catch (err) {
    if (call.signal?.aborted) throw call.signal.reason;
    if (timeout.aborted) throw new ProviderError('unavailable', `${name} did not answer a token request in ${TOKEN_TIMEOUT_MS / 1000} s`);
    // oauth4webapi's own errors (a bad argument) are coded; a failed fetch is not, its cause is.
    if (typeof (err as { code?: unknown }).code === 'string') throw err;
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new ProviderError('unavailable', `could not reach ${name} to renew the access (${typeof code === 'string' ? code : 'network error'})`);
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (response.status === 429) {
    await response.body?.cancel();
    throw new ProviderError('rateLimited', `${name} is throttling token requests`, { retryAfterMs });
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new ProviderError('unavailable', `${name}'s token endpoint answered HTTP ${response.status}`, { retryAfterMs });
  }
  try {
    return await call.process(endpoint, response);
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      const description = scrub(err.error_description ?? '');
      if (TRANSIENT_OAUTH_ERRORS.has(err.error)) {
        throw new ProviderError('unavailable', `${name}'s token endpoint cannot answer now (${err.error}${description ? `: ${description}` : ''})`, { retryAfterMs });
      }
      throw new TokenRefusedError(err.error, err.status, description);
    }
    // A challenge, or a 401 (RFC 6749 §5.2): the client's credentials were refused. A bare 403 is not
    // taken as one: proxies and firewalls answer it too, and linking again would not mend theirs.
    if (err instanceof oauth.WWWAuthenticateChallengeError || response.status === 401) throw new TokenRefusedError('invalid_client', response.status, '');
    if (response.status !== 200) {
      throw new ProviderError('unavailable', `${name}'s token endpoint answered HTTP ${response.status}, not an OAuth answer: check its token URL (${settings.tokenUrl})`, { retryAfterMs });
    }
    throw new ProviderError('unavailable', `${name}'s token endpoint gave an answer that is not a token (${scrub(err instanceof Error ? err.message : String(err))})`);
  }
}

// Linking a cloud account: the OAuth 2.0 authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636)
// for a native app (RFC 8252). The user allows read-only access on the provider's consent page; the
// browser comes back to a one-shot server on 127.0.0.1 (RFC 8252 §7.3), or the user pastes what the
// browser ended on (a code, or the whole address) where no browser can reach this machine. The code
// is exchanged for a refresh token, which is all a profile keeps.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { rememberAccessToken } from './access-tokens.ts';
import { CLOUD_DEFAULTS } from './defaults.ts';
import { callTokenEndpoint, TokenRefusedError } from './token-endpoint.ts';
import type { CloudKind, CloudSettings } from './types.ts';

export interface LinkInput {
  kind: CloudKind;
  settings: CloudSettings;
  clientSecret?: string;
  /** Do not open a browser nor wait for one: the user pastes the code or the address. */
  noBrowser: boolean;
  /** Whether a person is at the terminal (stdin is a TTY); without one, only a pasted line is read. */
  interactive: boolean;
  /** Reads one pasted line (rejects at the end of the input). */
  read: () => Promise<string>;
  /** Tells the user one line (the consent address, what to paste). */
  write: (line: string) => void;
  /** Opens the consent address in a browser (the system's by default; failing to is not an error). */
  openBrowser?: (url: string) => void;
  signal?: AbortSignal;
}

/** What the authorization response (RFC 6749 §4.1.2) brought back, checked. */
interface Callback {
  params: URLSearchParams;
  /** Tells the browser that came back how the link ended (the loopback only). */
  answer?: (ok: boolean, text: string) => void;
}

/** Links the user's account and answers the grant's refresh token. */
export async function linkAccount(input: LinkInput): Promise<{ refreshToken: string }> {
  const { kind, settings } = input;
  const defaults = CLOUD_DEFAULTS[kind];
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const as: oauth.AuthorizationServer = { issuer: new URL(settings.authUrl).origin, authorization_endpoint: settings.authUrl, token_endpoint: settings.tokenUrl };
  const client: oauth.Client = { client_id: settings.clientId };

  const loopback = !input.noBrowser && input.interactive;
  // Dropbox shows the code on its own page when no redirect_uri is sent; Google and Microsoft have no
  // such page, so the browser goes to the loopback address anyway and, where nothing answers there,
  // the user copies that address from the browser.
  const listener = loopback ? await listenOnLoopback() : undefined;
  const redirectUri = listener ? redirectOf(listener) : kind === 'dropbox' ? undefined : await freeLoopbackAddress();

  const consent = new URL(settings.authUrl);
  const query = {
    client_id: settings.clientId,
    response_type: 'code',
    ...(redirectUri !== undefined ? { redirect_uri: redirectUri } : {}),
    scope: defaults.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...defaults.authParams,
  };
  for (const [name, value] of Object.entries(query)) consent.searchParams.set(name, value);

  const received = (params: URLSearchParams): URLSearchParams => {
    // The issuer parameter (RFC 9207) is not checked: the profile talks to one server only.
    params.delete('iss');
    try {
      return oauth.validateAuthResponse(as, client, params, state);
    } catch (err) {
      if (err instanceof oauth.AuthorizationResponseError) {
        throw new Error(`${defaults.name} did not grant access (${err.error}${err.error_description ? `: ${err.error_description}` : ''})`);
      }
      throw new Error(`the answer is not the one of this link (${err instanceof Error ? err.message : String(err)}): start again`);
    }
  };

  const giveUp = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, giveUp.signal]) : giveUp.signal;
  try {
    input.write(`Allow read-only access to your ${defaults.name} at this address:`);
    input.write('');
    input.write(`  ${consent.href}`);
    input.write('');
    if (listener) {
      (input.openBrowser ?? openInBrowser)(consent.href);
      input.write('Waiting for the browser to come back (or paste the address it ends on here).');
    } else if (redirectUri === undefined) {
      input.write('Then paste the code it shows here:');
    } else {
      input.write(`Then the browser goes to ${redirectUri}... which does not load: copy that whole address from the browser and paste it here:`);
    }
    const pasted = readPasted(input, signal).then((line): Callback => ({ params: received(pastedParams(line, state)) }));
    const callback = await Promise.race([pasted, ...(listener ? [awaitCallback(listener, state, received, signal)] : []), aborted(signal)]);

    let answer: oauth.TokenEndpointResponse;
    try {
      answer = await callTokenEndpoint({
        kind,
        settings,
        ...(input.clientSecret !== undefined ? { clientSecret: input.clientSecret } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
        secrets: [callback.params.get('code') ?? '', verifier, input.clientSecret ?? ''],
        request: ({ auth, options }) =>
          oauth.authorizationCodeGrantRequest(as, client, auth, callback.params, redirectUri ?? NO_REDIRECT_URI, verifier, {
            ...options,
            // The token request repeats the redirect_uri of the authorization request, and only if it had one (RFC 6749 §4.1.3).
            ...(redirectUri === undefined ? { [oauth.customFetch]: withoutRedirectUri } : {}),
          }),
        process: (endpoint, response) => oauth.processAuthorizationCodeResponse(as, client, response),
      });
    } catch (err) {
      const message = err instanceof TokenRefusedError ? `${defaults.name} refused the authorization code (${err.message})` : err instanceof Error ? err.message : String(err);
      callback.answer?.(false, `Linking failed: ${message}`);
      throw err instanceof TokenRefusedError ? new Error(`${message}: start again`) : err;
    }
    if (!answer.refresh_token) {
      const why = 'the provider gave no refresh token: without one the link ends when the access token expires';
      callback.answer?.(false, `Linking failed: ${why}.`);
      throw new Error(`${why} (${noRefreshTokenHint(kind)})`);
    }
    rememberAccessToken({
      kind, settings, refreshToken: answer.refresh_token, accessToken: answer.access_token,
      ...(answer.expires_in !== undefined ? { expiresInSec: answer.expires_in } : {}),
    });
    callback.answer?.(true, `music-sync is linked to your ${defaults.name}: you can close this tab.`);
    return { refreshToken: answer.refresh_token };
  } finally {
    giveUp.abort(new Error('the link is done'));
    if (listener) await closeServer(listener);
  }
}

function noRefreshTokenHint(kind: CloudKind): string {
  if (kind === 'gdrive') return 'Google answers one with access_type=offline and prompt=consent, which music-sync asks for: check MUSIC_SYNC_GDRIVE_AUTH_URL';
  if (kind === 'onedrive') return 'Microsoft answers one for the offline_access scope: allow it on the consent page';
  return 'Dropbox answers one for token_access_type=offline: check that the app allows offline access';
}

/** A pasted line as the authorization response: the whole address (its query, checked with the
 * state), or the code alone (Dropbox's page shows nothing else: PKCE still binds it to this link). */
function pastedParams(line: string, state: string): URLSearchParams {
  const text = line.trim().replace(/^["'<]+|["'>]+$/g, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const url = new URL(text);
    // Some servers answer in the fragment (response_mode=fragment); ours ask for the query.
    return url.searchParams.size > 0 ? url.searchParams : new URLSearchParams(url.hash.slice(1));
  }
  if (text.includes('code=')) return new URLSearchParams(text.replace(/^[?#]/, ''));
  return new URLSearchParams({ code: text, state });
}

/** The first line that is not empty. */
async function readPasted(input: LinkInput, signal: AbortSignal): Promise<string> {
  for (;;) {
    let line: string;
    try {
      line = await input.read();
    } catch (err) {
      if (signal.aborted) return new Promise<never>(() => {});
      throw err;
    }
    if (line.trim() !== '') return line;
    if (signal.aborted) return new Promise<never>(() => {});
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

async function listenOnLoopback(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

function redirectOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** A loopback address nothing listens on (a port the kernel picked and let go), for a browser that
 * cannot reach this machine: the page does not load, and its address holds the code. */
async function freeLoopbackAddress(): Promise<string> {
  const server = await listenOnLoopback();
  const address = redirectOf(server);
  await closeServer(server);
  return address;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The browser's return to the loopback server. A request with another state (another tab, an old
 * link, a forged page) is refused and the wait goes on. */
function awaitCallback(server: Server, state: string, received: (params: URLSearchParams) => URLSearchParams, signal: AbortSignal): Promise<Callback> {
  return new Promise<Callback>((resolve, reject) => {
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const page = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`<!doctype html><meta charset="utf-8"><title>music-sync</title><p>${escapeHtml(text)}</p>`);
      };
      if (req.method !== 'GET' || url.pathname !== '/' || signal.aborted) return page(404, 'Not found.');
      if (url.searchParams.get('state') !== state) return page(400, 'This is not the answer music-sync is waiting for: start the link again.');
      let params: URLSearchParams;
      try {
        params = received(url.searchParams);
      } catch (err) {
        page(400, err instanceof Error ? err.message : String(err));
        return reject(err as Error);
      }
      resolve({ params, answer: (ok, text) => page(ok ? 200 : 400, text) });
    });
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** oauth4webapi always sends a redirect_uri: this one stands for none, and is taken out before sending. */
const NO_REDIRECT_URI = 'urn:music-sync:no-redirect';

/** The token request without its redirect_uri (Dropbox's no-redirect flow). */
const withoutRedirectUri: typeof fetch = (url, init) => {
  if (init?.body instanceof URLSearchParams && init.body.get('redirect_uri') === NO_REDIRECT_URI) init.body.delete('redirect_uri');
  return fetch(url, init);
};

/** The system's browser; where there is none, the user opens the address printed. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser to open: the address is printed.
  }
}

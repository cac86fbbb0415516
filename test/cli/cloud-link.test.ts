// Linking a cloud account against a real OAuth 2.0 server (the fake authority over HTTP): the browser
// coming back to the loopback server, a pasted address or code where no browser can, and the real
// `music-sync profile add <name> --provider dropbox --no-browser` with the code piped to its stdin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAccessTokens, createTokenCache } from '../../src/providers/oauth/access-tokens.ts';
import { linkAccount, type LinkInput } from '../../src/providers/oauth/link.ts';
import { REFRESH_TOKEN, type CloudKind, type CloudSettings } from '../../src/providers/oauth/types.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { BIN, REPO, runCli, type CliRun } from '../helpers/cli.ts';

const authorities: FakeAuthority[] = [];
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-cloud-link-'));
  // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
  await chmod(tmp, 0o755);
});
after(async () => {
  for (const a of authorities) await a.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function authority(options: Parameters<typeof startFakeAuthority>[0] = {}): Promise<FakeAuthority> {
  const a = await startFakeAuthority(options);
  authorities.push(a);
  return a;
}

function settingsOf(a: FakeAuthority): CloudSettings {
  return { clientId: a.clientId, authUrl: a.authUrl, tokenUrl: a.tokenUrl, apiUrl: `${a.url}/api` };
}

const consentIn = (lines: string[]) => new URL(lines.map((l) => l.trim()).find((l) => l.startsWith('http://'))!);

/** The refresh token works: the authority renews with it. */
async function works(kind: CloudKind, a: FakeAuthority, refreshToken: string, clientSecret?: string): Promise<boolean> {
  const tokens = createAccessTokens({
    kind, profile: { provider: kind, root: '', settings: { ...settingsOf(a) } },
    secrets: { [REFRESH_TOKEN]: refreshToken, ...(clientSecret ? { clientSecret } : {}) }, cache: createTokenCache(),
  });
  return a.check(`Bearer ${await tokens.get()}`) === 'ok';
}

/** A link whose user never pastes anything (the browser comes back instead). */
const neverPasted = () => new Promise<string>(() => {});

describe('linking a cloud account', () => {
  test('the browser comes back to the loopback server with the code; a forged answer is refused on the way', async () => {
    const a = await authority();
    const lines: string[] = [];
    let page: Promise<{ status: number; text: string }> | undefined;
    let forged: { status: number; text: string } | undefined;
    const browser = (url: string) => {
      const consent = new URL(url);
      page = (async () => {
        // Another page sends the loopback server a code with the wrong state first.
        const redirect = consent.searchParams.get('redirect_uri')!;
        const wrong = await fetch(`${redirect}?code=forged&state=not-ours`);
        forged = { status: wrong.status, text: await wrong.text() };
        // The user allows access: the authority sends the browser back to the loopback address.
        const res = await fetch(url);
        return { status: res.status, text: await res.text() };
      })();
    };
    const { refreshToken } = await linkAccount({
      kind: 'gdrive', settings: settingsOf(a), noBrowser: false, interactive: true, read: neverPasted, write: (l) => lines.push(l), openBrowser: browser,
    });
    const consent = consentIn(lines);
    const q = consent.searchParams;
    assert.equal(q.get('client_id'), a.clientId);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('scope'), 'https://www.googleapis.com/auth/drive.readonly');
    assert.equal(q.get('access_type'), 'offline');
    assert.equal(q.get('prompt'), 'consent');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(forged?.status, 400);
    assert.match(forged!.text, /not the answer music-sync is waiting for/);
    const shown = await page!;
    assert.equal(shown.status, 200);
    assert.match(shown.text, /linked to your Google Drive: you can close this tab/);
    assert.equal(a.stats.codeExchanges, 1);
    assert.ok(await works('gdrive', a, refreshToken));
    // The loopback server is gone once the link is done.
    await assert.rejects(fetch(q.get('redirect_uri')!));
  });

  test('Dropbox without a browser: no redirect_uri, the user pastes the code its page shows', async () => {
    const a = await authority({ clientSecret: 'dropbox-app-secret' });
    const lines: string[] = [];
    const input: LinkInput = {
      kind: 'dropbox', settings: settingsOf(a), clientSecret: 'dropbox-app-secret', noBrowser: true, interactive: true,
      write: (l) => lines.push(l),
      // The user opens the address elsewhere and pastes what the page shows.
      read: async () => (await fetch(consentIn(lines))).text(),
      openBrowser: () => assert.fail('no browser is opened with --no-browser'),
    };
    const { refreshToken } = await linkAccount(input);
    const q = consentIn(lines).searchParams;
    assert.equal(q.get('redirect_uri'), null);
    assert.equal(q.get('token_access_type'), 'offline');
    assert.equal(q.get('scope'), 'files.metadata.read files.content.read');
    assert.match(lines.join('\n'), /paste the code it shows/);
    assert.ok(await works('dropbox', a, refreshToken, 'dropbox-app-secret'));
  });

  test('OneDrive without a terminal: the address the browser could not open is pasted, its state checked', async () => {
    const a = await authority();
    const lines: string[] = [];
    /** Where the authority sends the browser (nothing listens there). */
    const landing = async () => (await fetch(consentIn(lines), { redirect: 'manual' })).headers.get('location')!;
    const base = { kind: 'onedrive' as const, settings: settingsOf(a), noBrowser: false, interactive: false, write: (l: string) => lines.push(l) };

    const { refreshToken } = await linkAccount({ ...base, read: async () => `  ${await landing()}  ` });
    assert.equal(consentIn(lines).searchParams.get('scope'), 'Files.Read offline_access');
    assert.match(lines.join('\n'), /copy that whole address from the browser and paste it here/);
    assert.ok(await works('onedrive', a, refreshToken));

    // An address from another link (its state is not this one's) is refused, and nothing is exchanged.
    lines.length = 0;
    const exchanges = a.stats.codeExchanges;
    await assert.rejects(
      linkAccount({ ...base, read: async () => (await landing()).replace(/state=[^&]+/, 'state=someone-elses') }),
      /not the one of this link/,
    );
    assert.equal(a.stats.codeExchanges, exchanges);

    // The user said no on the consent page.
    lines.length = 0;
    await assert.rejects(
      linkAccount({ ...base, read: async () => `http://127.0.0.1:9/?error=access_denied&state=${consentIn(lines).searchParams.get('state')}` }),
      /OneDrive did not grant access \(access_denied/,
    );

    // The input ends without a code.
    await assert.rejects(linkAccount({ ...base, read: () => Promise.reject(new Error('no authorization code was given')) }), /no authorization code/);
  });

  test('a code exchanged for an access token only is a clear error: the link would not last', async () => {
    const a = await authority({ withoutRefreshToken: true });
    const lines: string[] = [];
    await assert.rejects(
      linkAccount({
        kind: 'dropbox', settings: settingsOf(a), noBrowser: true, interactive: false, write: (l) => lines.push(l),
        read: async () => (await fetch(consentIn(lines))).text(),
      }),
      /^Error: the provider gave no refresh token: .*token_access_type=offline/,
    );
  });
});

/** The environment of a user with a secret key and a Dropbox app (the fake's), and nothing else of ours. */
function envFor(a: FakeAuthority, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MUSIC_SYNC_')) env[k] = v;
  Object.assign(env, {
    MUSIC_SYNC_SECRET_KEY: randomKey,
    MUSIC_SYNC_DROPBOX_CLIENT_ID: a.clientId,
    MUSIC_SYNC_DROPBOX_AUTH_URL: a.authUrl,
    MUSIC_SYNC_DROPBOX_TOKEN_URL: a.tokenUrl,
    MUSIC_SYNC_DROPBOX_API_URL: `${a.url}/api`,
    MUSIC_SYNC_DROPBOX_CONTENT_URL: `${a.url}/content`,
  }, extra);
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}
const randomKey = randomBytes(32).toString('base64');

/** The CLI with a pipe for its stdin: what a user pastes, or `music-sync ... < code.txt`. */
function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const began = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began });
    });
  });
  return {
    done,
    paste: (line: string) => child.stdin.end(`${line}\n`),
    async consentUrl(): Promise<string> {
      for (const until = Date.now() + 60_000; Date.now() < until; ) {
        const found = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(stderr)?.[1];
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no consent address printed: ${stderr}`);
    },
  };
}

describe('music-sync profile add --provider dropbox', () => {
  test('is refused at once, before any link, without a client id, a secret key or with --root', async () => {
    const a = await authority();
    const noClient = await runCli(['profile', 'add', 'box', '--provider', 'dropbox', '--data-dir', path.join(tmp, 'x')], {
      env: envFor(a, { MUSIC_SYNC_DROPBOX_CLIENT_ID: undefined }),
    });
    assert.equal(noClient.code, 2, noClient.stderr);
    assert.match(noClient.stderr, /MUSIC_SYNC_DROPBOX_CLIENT_ID is not set/);
    const noKey = await runCli(['profile', 'add', 'box', '--provider', 'dropbox', '--data-dir', path.join(tmp, 'x')], {
      env: envFor(a, { MUSIC_SYNC_SECRET_KEY: undefined }),
    });
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr, /MUSIC_SYNC_SECRET_KEY is not set: it is needed to keep the link/);
    const root = await runCli(['profile', 'add', 'box', '--provider', 'dropbox', '--root', '/Music', '--data-dir', path.join(tmp, 'x')], { env: envFor(a) });
    assert.equal(root.code, 2, root.stderr);
    assert.match(root.stderr, /takes --folder <path>, not --root/);
    // Without a terminal and nothing piped in, the link ends with a usage error instead of waiting.
    const nothing = await runCli(['profile', 'add', 'box', '--provider', 'dropbox', '--no-browser', '--data-dir', path.join(tmp, 'x')], { env: envFor(a) });
    assert.equal(nothing.code, 2, nothing.stderr);
    assert.match(nothing.stderr, /no authorization code was given/);
    assert.equal(a.stats.codeExchanges, 0);
  });

  test('links with a code piped to stdin and stores the profile; adding it again links it again', { timeout: 300_000 }, async () => {
    const a = await authority();
    const dataDir = path.join(tmp, 'data');
    const shipped = (defaultProviders().kinds() as string[]).includes('dropbox');
    // The Dropbox fake checks the folder once the provider is shipped; until then the API is never called.
    const fakePath = '../../src/testing/fakes/dropbox.ts';
    const fake = shipped
      ? await ((await import(fakePath)) as { startDropboxFake(o: { root: string; authority: FakeAuthority }): Promise<{ apiUrl: string; contentUrl?: string; stop(): Promise<void> }> })
        .startDropboxFake({ root: tmp, authority: a })
      : undefined;
    const env = envFor(a, fake ? { MUSIC_SYNC_DROPBOX_API_URL: fake.apiUrl, MUSIC_SYNC_DROPBOX_CONTENT_URL: fake.contentUrl } : {});
    try {
      const add = async () => {
        const run = startCli(['profile', 'add', 'box', '--provider', 'dropbox', '--no-browser', '--data-dir', dataDir], env);
        const consent = new URL(await run.consentUrl());
        assert.equal(consent.searchParams.get('redirect_uri'), null, 'Dropbox shows the code itself');
        run.paste(await (await fetch(consent)).text());
        return run.done;
      };
      const first = await add();
      assert.equal(a.stats.codeExchanges, 1, first.stderr);
      for (const token of [...a.issued.refreshTokens, ...a.issued.accessTokens]) {
        assert.ok(!first.stdout.includes(token) && !first.stderr.includes(token), 'no token is printed');
      }
      if (!shipped) {
        // Linked; storing waits for the provider module.
        assert.equal(first.code, 2, first.stderr);
        assert.match(first.stderr, /unknown provider "dropbox"/);
        return;
      }
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^profile box \(dropbox\) -> /m);
      const again = await add();
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^profile box \(dropbox\) is linked again/m);
      const list = await runCli(['profile', 'list', '--json', '--data-dir', dataDir], { env });
      const profiles = JSON.parse(list.stdout) as { name: string; provider: string; settings: Record<string, unknown> }[];
      assert.deepEqual(profiles.map((p) => [p.name, p.provider]), [['box', 'dropbox']]);
      assert.equal(profiles[0]!.settings.clientId, a.clientId);
    } finally {
      await fake?.stop();
    }
  });
});

// `music-sync profile add <name> --provider gdrive|onedrive|dropbox`: links the user's cloud account
// (OAuth 2.0 in a browser, or a pasted code), tries the folder with the new link, and stores the
// profile with its refresh token sealed. The same command for an existing profile of that provider
// links it again (a link revoked or expired), replacing its credentials.
import { createInterface } from 'node:readline';
import { InvalidInputError } from '../client/errors.ts';
import { cloudSettingsOf } from '../providers/oauth/client-settings.ts';
import { CLOUD_DEFAULTS } from '../providers/oauth/defaults.ts';
import { linkAccount } from '../providers/oauth/link.ts';
import { CLIENT_SECRET, CLOUD_KINDS, REFRESH_TOKEN, type CloudKind, type CloudSettings } from '../providers/oauth/types.ts';
import { secretBoxOf } from '../app/open.ts';
import { UsageError } from './args.ts';
import { withDb, type CliContext } from './context.ts';
import { checkRemote } from './remote.ts';

export function isCloudKind(kind: string | undefined): kind is CloudKind {
  return (CLOUD_KINDS as readonly string[]).includes(kind ?? '');
}

/** A drive folder as the profile's root: a path without a leading or trailing `/`; '' (or `/`) is
 * the whole drive. The provider checks the rest. */
export function cloudRoot(folder: string | undefined): string {
  return (folder ?? '').trim().replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
}

export async function cloudProfileAddCommand(
  ctx: CliContext,
  name: string,
  kind: CloudKind,
  options: { folder: string | undefined; noBrowser: boolean },
): Promise<number> {
  const root = cloudRoot(options.folder);
  const given = ctx.settings.cloud[kind];
  let settings: CloudSettings;
  try {
    settings = cloudSettingsOf(kind, given);
    // Checked before the user is sent to a browser: the link is worth nothing if it cannot be kept.
    if (!ctx.settings.secretKey) {
      throw new Error('MUSIC_SYNC_SECRET_KEY is not set: it is needed to keep the link (make one with: openssl rand -base64 32)');
    }
    secretBoxOf(ctx.settings);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }

  const { refreshToken } = await linkWithTerminal(ctx, kind, settings, given.clientSecret, options.noBrowser);
  const secrets: Record<string, string> = { [REFRESH_TOKEN]: refreshToken, ...(given.clientSecret ? { [CLIENT_SECRET]: given.clientSecret } : {}) };

  return withDb(ctx, async ({ sync }) => {
    const existing = await sync.getProfile(name).catch((err: unknown) => {
      if (err instanceof InvalidInputError) return undefined;
      throw err;
    });
    if (existing && existing.provider !== kind) {
      throw new UsageError(`a profile named "${name}" already exists (${existing.provider}, ${existing.root}): choose another name`);
    }
    if (existing && options.folder !== undefined && cloudRoot(existing.root) !== root) {
      throw new UsageError(`profile ${name} syncs "${existing.root || '/'}", not "${root || '/'}": add another profile for another folder`);
    }
    // The folder is tried with the new link before anything is stored, as a WebDAV or S3 location is:
    // a folder that does not exist is refused now, not at the first sync.
    await checkRemote(ctx, kind, existing?.root ?? root, { ...settings }, secrets, {
      where: (folder) => `the ${CLOUD_DEFAULTS[kind].name} folder ${folder || '/'}`,
      kept: 'keeping the link anyway',
      refused: 'the profile was not added or changed',
    });
    const profile = existing
      ? await sync.updateProfile(existing.id, { settings: { ...settings }, secrets })
      : await sync.registerProfile({ name, provider: kind, root, settings: { ...settings }, secrets });
    if (ctx.json) await ctx.out.writeJson(profile);
    else if (existing) ctx.out.print(`profile ${profile.name} (${profile.provider}) is linked again -> ${profile.root || '/'}`);
    else ctx.out.print(`profile ${profile.name} (${profile.provider}) -> ${profile.root || '/'}`);
    return 0;
  });
}

/** The link, with the consent address and instructions on stderr and a pasted line read from stdin. */
async function linkWithTerminal(ctx: CliContext, kind: CloudKind, settings: CloudSettings, clientSecret: string | undefined, noBrowser: boolean) {
  const interactive = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, output: interactive ? process.stderr : undefined, terminal: interactive });
  const queued: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let ended = false;
  const noCode = () => new UsageError(`no authorization code was given: paste the code or the address the browser ended on`);
  lines.on('line', (line) => (waiting.length > 0 ? waiting.shift()!.resolve(line) : queued.push(line)));
  lines.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w.reject(noCode());
  });
  const read = () =>
    new Promise<string>((resolve, reject) => {
      if (queued.length > 0) resolve(queued.shift()!);
      else if (ended) reject(noCode());
      else waiting.push({ resolve, reject });
    });
  try {
    return await linkAccount({
      kind, settings, ...(clientSecret ? { clientSecret } : {}), noBrowser, interactive, read, write: (line) => ctx.out.warn(line),
    });
  } finally {
    lines.close();
  }
}

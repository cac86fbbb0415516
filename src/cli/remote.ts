// Remote libraries on the command line: a scan argument that is a URL names its provider, and a new
// remote profile's credentials come from the environment or a prompt, never from argv.
import type { Settings } from '../app/settings.ts';
import { defaultTempDir } from '../providers/remote/temp-files.ts';
import { defaultProviders } from '../providers/registry.ts';
import { ProviderError } from '../providers/types.ts';
import { UsageError } from './args.ts';
import type { CliContext } from './context.ts';
import { ask, canPrompt } from './prompt.ts';

export type RemoteKind = 'webdav' | 's3';

/** Options of `scan` and `profile add` that shape a remote profile's settings. */
export interface RemoteOptions {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  maxConnections?: string;
}

/** The provider a scan argument names: a URL scheme, or a local folder. */
export function providerOfLocation(location: string): RemoteKind | 'local' {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'local';
  if (scheme === 's3') return 's3';
  if (['webdav', 'webdavs', 'http', 'https', 'dav', 'davs'].includes(scheme)) return 'webdav';
  throw new UsageError(`unknown kind of location "${scheme}://" (a folder, webdav://, webdavs:// or s3://)`);
}

/** A remote profile's settings from the command line and the environment (AWS_ENDPOINT_URL, AWS_REGION). */
export function remoteSettings(kind: RemoteKind, options: RemoteOptions, settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (options.maxConnections !== undefined) {
    const n = Number(options.maxConnections);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--max-connections must be a whole number from 1 to 256, got "${options.maxConnections}"`);
    out.maxConnections = n;
  }
  if (kind === 's3') {
    const endpoint = options.endpoint ?? settings.remote.awsEndpointUrl;
    const region = options.region ?? settings.remote.awsRegion;
    if (endpoint !== undefined) out.endpoint = endpoint;
    if (region !== undefined) out.region = region;
    if (options.pathStyle) out.forcePathStyle = true;
  } else if (options.endpoint !== undefined || options.region !== undefined || options.pathStyle) {
    throw new UsageError('--endpoint, --region and --path-style are for s3:// locations');
  }
  return out;
}

/** Asks for one credential the environment does not give; undefined: do not ask. */
type Ask = (question: string, hidden: boolean, variable: string) => Promise<string | undefined>;

/** A remote profile's credentials: each from its variable, else from `ask`; undefined when one is
 * neither set nor answered. */
async function credentials(kind: RemoteKind, settings: Settings, ask: Ask): Promise<Record<string, string> | undefined> {
  const env = settings.remote;
  if (kind === 'webdav') {
    const username = env.webdavUser ?? (await ask('WebDAV user name: ', false, 'MUSIC_SYNC_WEBDAV_USER'));
    if (username === undefined) return undefined;
    const password = env.webdavPassword ?? (await ask(`WebDAV password for ${username}: `, true, 'MUSIC_SYNC_WEBDAV_PASSWORD'));
    return password === undefined ? undefined : { username, password };
  }
  const accessKeyId = env.awsAccessKeyId ?? (await ask('S3 access key id: ', false, 'AWS_ACCESS_KEY_ID'));
  if (accessKeyId === undefined) return undefined;
  const secretAccessKey = env.awsSecretAccessKey ?? (await ask('S3 secret access key: ', true, 'AWS_SECRET_ACCESS_KEY'));
  if (secretAccessKey === undefined) return undefined;
  return env.awsSessionToken ? { accessKeyId, secretAccessKey, sessionToken: env.awsSessionToken } : { accessKeyId, secretAccessKey };
}

/** Credentials the environment gives for `kind`, all of them, or undefined. */
export function credentialsFromEnv(kind: RemoteKind, settings: Settings): Promise<Record<string, string> | undefined> {
  return credentials(kind, settings, async () => undefined);
}

/** A new remote profile's credentials: from the environment, else asked at the terminal. */
export async function remoteCredentials(kind: RemoteKind, settings: Settings): Promise<Record<string, string>> {
  // `prompted` answers or throws, so every credential is there.
  return (await credentials(kind, settings, prompted))!;
}

async function prompted(question: string, hidden: boolean, variable: string): Promise<string> {
  if (!canPrompt()) throw new UsageError(`${variable} is not set and there is no terminal to ask on`);
  const answer = await ask(question, { hidden });
  if (!hidden && answer.trim() === '') throw new UsageError(`no answer given (or set ${variable})`);
  return hidden ? answer : answer.trim();
}

/** A remote location is tried with its credentials before it is stored: wrong ones or a location
 * that is not a music folder are refused now, not at the first sync; a server that does not answer
 * is said, and the profile is added anyway (its syncs check again). */
export async function checkRemote(
  ctx: CliContext,
  kind: string,
  root: string,
  settings: Record<string, unknown>,
  secrets: Record<string, string>,
  words: { where?: (root: string) => string; kept?: string; refused?: string } = {},
): Promise<void> {
  const providers = defaultProviders();
  const location = await providers.normalizeProfile(kind, { root, settings }).catch((err: unknown) => {
    throw err instanceof ProviderError ? new UsageError(err.message) : err;
  });
  const provider = providers.create({ provider: kind, ...location }, { secrets, tempDir: defaultTempDir() });
  try {
    await provider.validate();
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const where = words.where?.(location.root) ?? location.root;
    if (err.kind === 'unavailable' || err.kind === 'rateLimited') ctx.out.warn(`could not check ${where} now (${err.message}); ${words.kept ?? 'adding the profile anyway'}`);
    else throw new Error(`${err.message}: ${words.refused ?? 'the profile was not added'}`);
  }
}

// Profiles and the library: profile add/list, tracks, duplicates. Database only, no Temporal.
import { UsageError } from '../args.ts';
import { cloudProfileAddCommand, isCloudKind } from '../cloud.ts';
import { withDb, type CliContext } from '../context.ts';
import { checkRemote, providerOfLocation, remoteCredentials, remoteSettings, type RemoteOptions } from '../remote.ts';
import { formatDate, formatDuration, table, trackJson } from '../output.ts';

export async function profileAddCommand(
  ctx: CliContext,
  name: string,
  options: { provider: string | undefined; root: string | undefined; folder?: string | undefined; noBrowser?: boolean } & RemoteOptions,
): Promise<number> {
  if (isCloudKind(options.provider)) {
    if (options.root !== undefined) throw new UsageError(`profile add: a ${options.provider} profile takes --folder <path>, not --root`);
    if (options.endpoint !== undefined || options.region !== undefined || options.pathStyle || options.maxConnections !== undefined) {
      throw new UsageError('--endpoint, --region, --path-style and --max-connections are for webdav and s3 profiles');
    }
    return cloudProfileAddCommand(ctx, name, options.provider, { folder: options.folder, noBrowser: options.noBrowser === true });
  }
  if (options.folder !== undefined || options.noBrowser) throw new UsageError('--folder and --no-browser are for gdrive, onedrive and dropbox profiles');
  const root = options.root;
  if (!root) throw new UsageError('profile add: missing --root <dir|url>', 'usage: music-sync profile add <name> --root <dir|url> [--provider local|webdav|s3]');
  const provider = options.provider ?? providerOfLocation(root);
  const remote = provider === 'webdav' || provider === 's3' ? provider : undefined;
  const settings = remote ? remoteSettings(remote, options, ctx.settings) : {};
  // Asked before anything starts, so a prompt never waits behind the database's start-up.
  const secrets = remote ? await remoteCredentials(remote, ctx.settings) : undefined;
  if (remote && secrets) await checkRemote(ctx, remote, root, settings, secrets);
  return withDb(ctx, async ({ sync }) => {
    // The provider checks and normalises the root (a local one: an existing folder, made absolute).
    const profile = await sync.registerProfile({ name, provider, root, settings, secrets });
    if (ctx.json) await ctx.out.writeJson(profile);
    else ctx.out.print(`profile ${profile.name} (${profile.provider}) -> ${profile.root}`);
    return 0;
  });
}

export async function profileListCommand(ctx: CliContext): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const profiles = await sync.listProfiles();
    if (ctx.json) await ctx.out.writeJson(profiles);
    else if (profiles.length === 0) ctx.out.print('no profiles yet: music-sync profile add <name> --root <dir>, or music-sync scan <dir>');
    else {
      const rows = profiles.map((p) => [p.name, p.provider, formatDate(p.createdAt), p.root]);
      for (const line of table(['NAME', 'PROVIDER', 'CREATED', 'ROOT'], rows)) ctx.out.print(line);
    }
    return 0;
  });
}

export async function tracksCommand(ctx: CliContext, profileArg: string): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const tracks = await sync.tracks(profileArg);
    if (ctx.json) {
      await ctx.out.writeJson(tracks.map(trackJson));
      return 0;
    }
    const rows = tracks.map((t) => [
      t.durationMs === null ? '' : formatTrackLength(t.durationMs),
      t.artists.join(', ') || '-',
      t.title,
      t.album ?? '-',
      t.path,
    ]);
    for (const line of table(['LENGTH', 'ARTIST', 'TITLE', 'ALBUM', 'PATH'], rows)) ctx.out.print(line);
    ctx.out.print(`${tracks.length} track${tracks.length === 1 ? '' : 's'}`);
    return 0;
  });
}

export async function duplicatesCommand(ctx: CliContext, profileArg: string): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const groups = await sync.duplicates(profileArg);
    if (ctx.json) await ctx.out.writeJson(groups);
    else if (groups.length === 0) ctx.out.print('no duplicates');
    else {
      ctx.out.print('(* marks the preferred copy: the fewest folders deep, then the shortest path)');
      ctx.out.print();
      groups.forEach((g, i) => {
        if (i > 0) ctx.out.print();
        ctx.out.print(`${g.kind === 'identical' ? 'identical files' : 'same audio, different tags'} (${g.hash}):`);
        for (const p of g.paths) ctx.out.print(`${p === g.preferred ? '* ' : '  '}${p}`);
      });
    }
    return 0;
  });
}

function formatTrackLength(ms: number): string {
  if (ms >= 3_600_000) return formatDuration(ms);
  const secs = Math.round(ms / 1000);
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

// Profiles and the library: profile add/list, tracks, duplicates. Database only, no Temporal.
import { UsageError } from '../args.ts';
import { cloudProfileAddCommand, isCloudKind } from '../cloud.ts';
import { withDb, type CliContext } from '../context.ts';
import { checkRemote, providerOfLocation, remoteCredentials, remoteSettings, type RemoteOptions } from '../remote.ts';
import type { TrackStatus } from '../../client/types.ts';
import type { ListOptions } from '../args.ts';
import { MAX_PAGE } from '../../client/pages.ts';
import { eachPage, pageFooter, writeList, type PageRequest } from '../list-output.ts';
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

export async function tracksCommand(
  ctx: CliContext,
  profileArg: string,
  filter: { search?: string | undefined; pathPrefix?: string | undefined; status?: string | undefined },
  list: ListOptions,
): Promise<number> {
  const status = trackStatus(filter.status);
  return withDb(ctx, async ({ sync }) => {
    const query = { profile: profileArg, status, search: filter.search, pathPrefix: filter.pathPrefix };
    const fetch = (page: PageRequest) => sync.listTracks({ ...query, ...page });
    if (list.format !== 'table') {
      await writeList(ctx.out, list.format, eachPage(fetch, list), trackJson);
      return 0;
    }
    const page = await fetch({ limit: Math.min(list.limit ?? TABLE_PAGE, MAX_PAGE), offset: list.offset, after: list.after, count: true });
    const rows = page.items.map((t) => [
      t.durationMs === null ? '' : formatTrackLength(t.durationMs),
      t.artists.join(', ') || '-',
      t.title,
      t.album ?? '-',
      ...(status === 'live' ? [] : [t.deletedAt ? formatDate(t.deletedAt) : '-']),
      t.path,
    ]);
    const headers = ['LENGTH', 'ARTIST', 'TITLE', 'ALBUM', ...(status === 'live' ? [] : ['DELETED']), 'PATH'];
    if (rows.length > 0) for (const line of table(headers, rows)) ctx.out.print(line);
    ctx.out.print(pageFooter(page, list, ['track', 'tracks']));
    return 0;
  });
}

export async function duplicatesCommand(
  ctx: CliContext,
  profileArg: string,
  filter: { kind?: string | undefined; search?: string | undefined; pathPrefix?: string | undefined },
  list: ListOptions,
): Promise<number> {
  const kind = duplicateKind(filter.kind);
  return withDb(ctx, async ({ sync }) => {
    const query = { profile: profileArg, kind, search: filter.search, pathPrefix: filter.pathPrefix };
    const fetch = (page: PageRequest) => sync.listDuplicates({ ...query, ...page });
    if (list.format !== 'table') {
      await writeList(ctx.out, list.format, eachPage(fetch, list));
      return 0;
    }
    const page = await fetch({ limit: Math.min(list.limit ?? TABLE_PAGE, MAX_PAGE), offset: list.offset, after: undefined, count: true });
    if (page.total === 0) {
      ctx.out.print('no duplicates');
      return 0;
    }
    ctx.out.print('(* marks the preferred copy: the fewest folders deep, then the shortest path)');
    for (const g of page.items) {
      ctx.out.print();
      ctx.out.print(`${g.kind === 'identical' ? 'identical files' : 'same audio, different tags'} (${g.hash}):`);
      for (const p of g.paths) ctx.out.print(`${p === g.preferred ? '* ' : '  '}${p}`);
    }
    ctx.out.print();
    ctx.out.print(pageFooter(page, list, ['group', 'groups']));
    return 0;
  });
}

/** Rows a table shows unless --limit says otherwise. */
const TABLE_PAGE = 50;

function trackStatus(value: string | undefined): TrackStatus {
  if (value === undefined || value === 'live' || value === 'deleted' || value === 'all') return value ?? 'live';
  throw new UsageError(`tracks: --status must be live, deleted or all, got "${value}"`);
}

function duplicateKind(value: string | undefined): 'identical' | 'same-audio' | undefined {
  if (value === undefined || value === 'identical' || value === 'same-audio') return value;
  throw new UsageError(`duplicates: --kind must be identical or same-audio, got "${value}"`);
}

function formatTrackLength(ms: number): string {
  if (ms >= 3_600_000) return formatDuration(ms);
  const secs = Math.round(ms / 1000);
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

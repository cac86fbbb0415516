// `music-sync scan <dir>`: the one-shot command. Starts what the environment does not give, syncs the
// folder with a worker in this process, reports, and stops everything it started.
import { InvalidInputError, SyncInProgressError } from '../../client/errors.ts';
import type { StartedSync, SyncClient } from '../../client/sync-client.ts';
import type { ProfileInfo } from '../../client/types.ts';
import { defaultProviders } from '../../providers/registry.ts';
import { ProviderError } from '../../providers/types.ts';
import { UsageError } from '../args.ts';
import { openServices, type CliContext } from '../context.ts';
import { endingLines, exitCodeOf, followJob, reportReview } from '../follow.ts';
import { profileNameFor } from '../names.ts';
import {
  checkRemote, credentialsFromEnv, providerOfLocation, remoteCredentials, remoteSettings, type RemoteKind, type RemoteOptions,
} from '../remote.ts';
import { jobSummary, oneLine, trackJson } from '../output.ts';

export async function scanCommand(
  ctx: CliContext,
  locationArg: string,
  options: { full?: boolean; confirmDeletions?: boolean } & RemoteOptions = {},
): Promise<number> {
  // Checked before anything starts: a wrong folder or URL is a usage error, found in milliseconds.
  const provider = providerOfLocation(locationArg);
  const settings = provider === 'local' ? {} : remoteSettings(provider, options, ctx.settings);
  const { root, settings: normalized } = await defaultProviders().normalizeProfile(provider, { root: locationArg, settings }).catch((err: unknown) => {
    throw err instanceof ProviderError ? new UsageError(err.message) : err;
  });

  const startedAt = Date.now();
  const { app, close } = await openServices(ctx, { worker: true, ui: false });
  try {
    const { sync } = app;
    const profile = await ensureProfile(ctx, sync, { provider, root, settings: normalized });
    const started = await startScan(ctx, sync, profile, options.full === true, options.confirmDeletions === true);
    ctx.out.info(`scanning ${root} (profile ${profile.name}, job ${started.jobId})`);

    const { job, endError } = await followJob(ctx, sync, started.jobId);
    const [tracks, failed, duplicates, readCost] = await Promise.all([
      sync.tracks(profile.id),
      sync.failedItems(job.id),
      sync.duplicates(profile.id),
      sync.readCost(job.id),
    ]);
    if (ctx.json) {
      await ctx.out.writeJson({
        job: { ...job, error: job.error ?? endError ?? null },
        profile: { id: profile.id, name: profile.name, root: profile.root },
        tracks: tracks.map(trackJson),
        failed,
        duplicates: duplicates.map((g) => g.paths),
        preferredCopies: duplicates.map((g) => g.preferred),
      });
    } else {
      const lines = jobSummary({
        title: `Scan of ${root}`,
        job,
        endError,
        failed,
        duplicates: duplicates.map((g) => g.paths),
        readCost,
        totalMs: Date.now() - startedAt,
      });
      lines.splice(2, 0, `  profile     ${profile.name} (${tracks.length} track${tracks.length === 1 ? '' : 's'} in the library)`, ...endingLines(job));
      for (const line of lines) ctx.out.print(line);
    }
    reportReview(ctx, job, ['scan', root]);
    return exitCodeOf(job);
  } finally {
    await close();
  }
}

/** The location's profile: found by its provider and root, else created with a name derived from
 * the folder (and, for a remote one, credentials from the environment or a prompt). */
async function ensureProfile(
  ctx: CliContext,
  sync: SyncClient,
  location: { provider: RemoteKind | 'local'; root: string; settings: Record<string, unknown> },
): Promise<ProfileInfo> {
  const { provider, root, settings } = location;
  const existing = await sync.findProfileByRoot(provider, root, settings);
  if (existing) return provider === 'local' ? existing : refreshRemote(ctx, sync, existing, provider, settings);
  const secrets = provider === 'local' ? undefined : await remoteCredentials(provider, ctx.settings);
  // Tried before it is stored: refused credentials or a location that is not a music folder leave nothing behind.
  if (provider !== 'local' && secrets) await checkRemote(ctx, provider, root, settings, secrets);
  const taken = new Set((await sync.listProfiles()).map((p) => p.name));
  const base = profileNameFor(root);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  const profile = await sync.registerProfile({ name, provider, root, settings, secrets });
  ctx.out.info(`created profile ${profile.name} for ${root}`);
  return profile;
}

/**
 * A remote profile scanned again as the command line and environment say now: settings given are
 * merged over its own, and credentials in the environment replace the stored ones once they are
 * tried (a password changed, a key rotated); without any, the stored ones are used.
 */
async function refreshRemote(
  ctx: CliContext,
  sync: SyncClient,
  profile: ProfileInfo,
  kind: RemoteKind,
  settings: Record<string, unknown>,
): Promise<ProfileInfo> {
  const given = await credentialsFromEnv(kind, ctx.settings);
  const secrets = given && !(await sync.credentialsMatch(profile.id, given)) ? given : undefined;
  const merged = { ...profile.settings, ...settings };
  const settingsChanged = JSON.stringify(merged) !== JSON.stringify(profile.settings);
  if (!secrets && !settingsChanged) return profile;
  if (secrets) await checkRemote(ctx, kind, profile.root, merged, secrets);
  const updated = await sync.updateProfile(profile.id, { settings, secrets });
  ctx.out.info(`updated the ${[settingsChanged ? 'settings' : '', secrets ? 'credentials' : ''].filter(Boolean).join(' and ')} of profile ${profile.name}`);
  return updated;
}

/**
 * Incremental when the profile has a stored cursor, else (or when the incremental start refuses)
 * full. A sync of the profile still running (e.g. left by an earlier interrupted scan, now resumed
 * by our worker) is waited for, then ours starts.
 */
async function startScan(
  ctx: CliContext,
  sync: SyncClient,
  profile: ProfileInfo,
  forceFull: boolean,
  confirmDeletions: boolean,
): Promise<StartedSync> {
  const config = confirmDeletions ? { confirmDeletions } : undefined;
  const start = async (): Promise<StartedSync> => {
    if (!forceFull && (await sync.currentCursor(profile.id))) {
      try {
        return await sync.startIncrementalSync(profile.id, undefined, config);
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        ctx.out.info(`running a full sync (${oneLine(err.message)})`);
      }
    }
    return sync.startFullSync(profile.id, config);
  };
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof SyncInProgressError) || !err.runningJobId) throw err;
    ctx.out.warn(`a sync of ${profile.name} is already running (job ${err.runningJobId}); waiting for it to end first`);
    await sync.waitForResult(err.runningJobId).catch(() => undefined);
    return start();
  }
}

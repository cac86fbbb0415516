// Long-running and maintenance commands: up, worker, migrate.
import path from 'node:path';
import { secretBoxOf, type App } from '../../app/open.ts';
import { actorRequests } from '../../client/actor-requests.ts';
import { startPushService, type PushService } from '../../push/index.ts';
import { SYNC_TASK_QUEUE } from '../../contract/sync.ts';
import { logOf, openServices, serviceLog, withDatabase, type CliContext } from '../context.ts';
import { setInterruptHandler } from '../interrupt.ts';
import { exitAfterClose, exitNow, guardedOpen } from '../lifetime.ts';
import { maskUrl } from '../output.ts';
import { readUpState, removeUpState, writeUpState } from '../up-state.ts';

/** The fixed ports of `up` (free ones when taken), so the Web UI has a stable address. */
const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;

export async function upCommand(ctx: CliContext): Promise<number> {
  const running = readUpState(ctx.dataDir);
  if (running) throw new Error(`\`up\` is already running for ${ctx.dataDir} (pid ${running.pid})`);
  const { app } = await openServices(ctx, { worker: true, watch: true, metrics: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  announceMetrics(ctx, app);
  const push = await startPushEndpoint(ctx, app);
  await writeUpState(ctx.dataDir, app);
  if (ctx.json) {
    await ctx.out.writeJson(describe(ctx, app));
  } else {
    ctx.out.print('music-sync is up');
    ctx.out.print(`  Postgres   ${maskUrl(app.databaseUrl)}${app.postgres.embedded ? `  (embedded, data in ${path.join(ctx.dataDir, 'postgres')})` : ''}`);
    ctx.out.print(`  Temporal   ${app.temporal.address}  namespace ${app.temporal.namespace}${app.temporal.started ? '  (dev server)' : ''}`);
    if (app.temporal.uiUrl) ctx.out.print(`  Web UI     ${app.temporal.uiUrl}`);
    ctx.out.print(`  Worker     task queue ${SYNC_TASK_QUEUE}`);
    ctx.out.print(`  Watching   ${watching(app)}`);
    ctx.out.print(`  Push       ${push ? `${push.url}/push/{gdrive,onedrive,dropbox}${push.subscribing ? '' : '  (MUSIC_SYNC_PUSH_URL not set: no Drive or OneDrive subscriptions)'}` : 'off'}`);
    ctx.out.print(`Other music-sync commands with --data-dir ${ctx.dataDir} use these services. Ctrl-C to stop.`);
  }
  await runUntilInterrupted(ctx, app);
  return 0;
}

export async function workerCommand(ctx: CliContext): Promise<number> {
  const { app } = await openServices(ctx, { worker: true, watch: true, metrics: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  announceMetrics(ctx, app);
  // When it started services itself it is an `up` that prints less: the other commands may use them.
  const ownsServices = app.temporal.started || app.postgres.embedded;
  if (ownsServices && !readUpState(ctx.dataDir)) await writeUpState(ctx.dataDir, app);
  if (ctx.json) await ctx.out.writeJson(describe(ctx, app));
  else {
    ctx.out.print(`worker polling task queue ${SYNC_TASK_QUEUE} on ${app.temporal.address} (namespace ${app.temporal.namespace}); Ctrl-C to stop`);
    ctx.out.print(`watching ${watching(app)}`);
    if (app.temporal.uiUrl) serviceLog(ctx).info(`Temporal Web UI: ${app.temporal.uiUrl}`);
  }
  await runUntilInterrupted(ctx, app);
  return 0;
}

/** The local profiles' folders the worker follows, as a person reads it. */
function watching(app: App): string {
  if (!app.watcher) return 'nothing (MUSIC_SYNC_WATCH is off)';
  const roots = app.watcher.roots();
  return roots.length === 0 ? 'no local profile yet (new ones are picked up)' : `${roots.length} local folder${roots.length === 1 ? '' : 's'}`;
}

/** Once at start, on stderr (also with --json): where the worker's metrics and health answer, or why
 * they do not (an address already taken is a warning; the worker runs on). */
function announceMetrics(ctx: CliContext, app: App): void {
  const endpoint = app.metricsEndpoint;
  if (!endpoint) return;
  if ('error' in endpoint) return serviceLog(ctx).warn(endpoint.error);
  const line = `metrics on ${endpoint.url}/metrics, health on ${endpoint.url}/healthz`;
  // A JSON log has it at INFO, with the other start-up lines; a person sees it even with --json.
  if (ctx.settings.log.format === 'json') logOf(ctx).info(line);
  else ctx.out.warn(line);
}

/** `up` receives providers' change notifications too; a listen address already taken is a warning,
 * not a failed `up` (`music-sync serve` can run elsewhere). */
async function startPushEndpoint(ctx: CliContext, app: App): Promise<PushService | undefined> {
  try {
    const { value } = await guardedOpen(
      () => startPushService({
        db: app.db, sink: actorRequests(app.client), settings: app.settings, secretBox: secretBoxOf(app.settings), log: serviceLog(ctx).warn,
      }),
      (service) => ({ close: () => service.stop(), kill: () => undefined }),
    );
    return value;
  } catch (err) {
    serviceLog(ctx).warn(`push notifications off: ${(err as Error).message}`);
    return undefined;
  }
}

function describe(ctx: CliContext, app: App) {
  return {
    dataDir: ctx.dataDir,
    postgres: { url: maskUrl(app.databaseUrl), embedded: app.postgres.embedded },
    temporal: { ...app.temporal, stop: undefined },
    taskQueue: SYNC_TASK_QUEUE,
    pid: process.pid,
  };
}

/** Until Ctrl-C/SIGTERM (then a clean stop) or until the worker dies (an error). */
async function runUntilInterrupted(ctx: CliContext, app: App): Promise<void> {
  const interrupted = new Promise<void>((resolve) => {
    setInterruptHandler((count) => (count === 1 ? resolve() : exitNow(130)));
  });
  let stopping = false;
  const workerEnded = (app.workerRun ?? new Promise<void>(() => {})).then(() => {
    if (!stopping) throw new Error('the worker stopped unexpectedly');
  });
  workerEnded.catch(() => undefined); // once we stop it ourselves, its ending is expected
  try {
    await Promise.race([interrupted, workerEnded]);
    stopping = true;
  } finally {
    await removeUpState(ctx.dataDir);
  }
  serviceLog(ctx).info('stopping…');
  await exitAfterClose(0);
}

export async function migrateCommand(ctx: CliContext): Promise<number> {
  return withDatabase(ctx, async ({ migrated, listMigrations }) => {
    const migrations = await listMigrations();
    if (ctx.json) {
      await ctx.out.writeJson({ applied: migrated, migrations });
    } else if (migrated.length === 0) {
      ctx.out.print(`schema up to date (${migrations.length} migration${migrations.length === 1 ? '' : 's'}, latest ${migrations.at(-1)?.name ?? 'none'})`);
    } else {
      for (const name of migrated) ctx.out.print(`applied ${name}`);
    }
    return 0;
  });
}

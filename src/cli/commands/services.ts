// Long-running and maintenance commands: up, worker, migrate.
import path from 'node:path';
import type { App } from '../../app/open.ts';
import { SYNC_TASK_QUEUE } from '../../contract/sync.ts';
import { openServices, withDatabase, type CliContext } from '../context.ts';
import { setInterruptHandler } from '../interrupt.ts';
import { exitAfterClose, exitNow } from '../lifetime.ts';
import { maskUrl } from '../output.ts';
import { readUpState, removeUpState, writeUpState } from '../up-state.ts';

/** The fixed ports of `up` (free ones when taken), so the Web UI has a stable address. */
const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;

export async function upCommand(ctx: CliContext): Promise<number> {
  const running = readUpState(ctx.dataDir);
  if (running) throw new Error(`\`up\` is already running for ${ctx.dataDir} (pid ${running.pid})`);
  const { app } = await openServices(ctx, { worker: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  await writeUpState(ctx.dataDir, app);
  if (ctx.json) {
    await ctx.out.writeJson(describe(ctx, app));
  } else {
    ctx.out.print('music-sync is up');
    ctx.out.print(`  Postgres   ${maskUrl(app.databaseUrl)}${app.postgres.embedded ? `  (embedded, data in ${path.join(ctx.dataDir, 'postgres')})` : ''}`);
    ctx.out.print(`  Temporal   ${app.temporal.address}  namespace ${app.temporal.namespace}${app.temporal.started ? '  (dev server)' : ''}`);
    if (app.temporal.uiUrl) ctx.out.print(`  Web UI     ${app.temporal.uiUrl}`);
    ctx.out.print(`  Worker     task queue ${SYNC_TASK_QUEUE}`);
    ctx.out.print(`Other music-sync commands with --data-dir ${ctx.dataDir} use these services. Ctrl-C to stop.`);
  }
  await runUntilInterrupted(ctx, app);
  return 0;
}

export async function workerCommand(ctx: CliContext): Promise<number> {
  const { app } = await openServices(ctx, { worker: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  // When it started services itself it is an `up` that prints less: the other commands may use them.
  const ownsServices = app.temporal.started || app.postgres.embedded;
  if (ownsServices && !readUpState(ctx.dataDir)) await writeUpState(ctx.dataDir, app);
  if (ctx.json) await ctx.out.writeJson(describe(ctx, app));
  else {
    ctx.out.print(`worker polling task queue ${SYNC_TASK_QUEUE} on ${app.temporal.address} (namespace ${app.temporal.namespace}); Ctrl-C to stop`);
    if (app.temporal.uiUrl) ctx.out.info(`Temporal Web UI: ${app.temporal.uiUrl}`);
  }
  await runUntilInterrupted(ctx, app);
  return 0;
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
  ctx.out.info('stopping…');
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

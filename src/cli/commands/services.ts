// Long-running and maintenance commands: up, worker, migrate.
import path from 'node:path';
import { createDb } from '../../db/connect.ts';
import { createMigrator, migrateToLatest } from '../../db/migrate.ts';
import { startPostgres } from '../../stack/postgres.ts';
import type { Stack } from '../../stack/stack.ts';
import { SYNC_TASK_QUEUE } from '../../sync/contract.ts';
import {
  exitAfterClose, exitNow, openFullStack, readUpState, removeUpState, writeUpState, type CliContext,
} from '../context.ts';
import { setInterruptHandler } from '../interrupt.ts';
import { maskUrl } from '../output.ts';

/** The fixed ports of `up` (free ones when taken), so the Web UI has a stable address. */
const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;

export async function upCommand(ctx: CliContext): Promise<number> {
  const running = readUpState(ctx.dataDir);
  if (running) throw new Error(`\`up\` is already running for ${ctx.dataDir} (pid ${running.pid})`);
  const { stack } = await openFullStack(ctx, { worker: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  await writeUpState(ctx.dataDir, stack);
  if (ctx.json) {
    await ctx.out.writeJson(describe(ctx, stack));
  } else {
    ctx.out.print('music-sync is up');
    ctx.out.print(`  Postgres   ${maskUrl(stack.databaseUrl)}${stack.postgres.embedded ? `  (embedded, data in ${path.join(ctx.dataDir, 'postgres')})` : ''}`);
    ctx.out.print(`  Temporal   ${stack.temporal.address}  namespace ${stack.temporal.namespace}${stack.temporal.started ? '  (dev server)' : ''}`);
    if (stack.temporal.uiUrl) ctx.out.print(`  Web UI     ${stack.temporal.uiUrl}`);
    ctx.out.print(`  Worker     task queue ${SYNC_TASK_QUEUE}`);
    ctx.out.print(`Other music-sync commands with --data-dir ${ctx.dataDir} use these services. Ctrl-C to stop.`);
  }
  await runUntilInterrupted(ctx, stack);
  return 0;
}

export async function workerCommand(ctx: CliContext): Promise<number> {
  const { stack } = await openFullStack(ctx, { worker: true, temporalPort: TEMPORAL_PORT, uiPort: UI_PORT });
  // When it started services itself it is an `up` that prints less: the other commands may use them.
  const ownsServices = stack.temporal.started || stack.postgres.embedded;
  if (ownsServices && !readUpState(ctx.dataDir)) await writeUpState(ctx.dataDir, stack);
  if (ctx.json) await ctx.out.writeJson(describe(ctx, stack));
  else {
    ctx.out.print(`worker polling task queue ${SYNC_TASK_QUEUE} on ${stack.temporal.address} (namespace ${stack.temporal.namespace}); Ctrl-C to stop`);
    if (stack.temporal.uiUrl) ctx.out.info(`Temporal Web UI: ${stack.temporal.uiUrl}`);
  }
  await runUntilInterrupted(ctx, stack);
  return 0;
}

function describe(ctx: CliContext, stack: Stack) {
  return {
    dataDir: ctx.dataDir,
    postgres: { url: maskUrl(stack.databaseUrl), embedded: stack.postgres.embedded },
    temporal: { ...stack.temporal, stop: undefined },
    taskQueue: SYNC_TASK_QUEUE,
    pid: process.pid,
  };
}

/** Until Ctrl-C/SIGTERM (then a clean stop) or until the worker dies (an error). */
async function runUntilInterrupted(ctx: CliContext, stack: Stack): Promise<void> {
  const interrupted = new Promise<void>((resolve) => {
    setInterruptHandler((count) => (count === 1 ? resolve() : exitNow(130)));
  });
  let stopping = false;
  const workerEnded = (stack.workerRun ?? new Promise<void>(() => {})).then(() => {
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
  const postgres = await startPostgres({ dataDir: ctx.dataDir, log: (line) => ctx.out.info(line) });
  const db = createDb(postgres.url);
  try {
    const result = await migrateToLatest(db);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const all = await createMigrator(db).getMigrations();
    if (ctx.json) {
      await ctx.out.writeJson({ applied, migrations: all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null })) });
    } else if (applied.length === 0) {
      ctx.out.print(`schema up to date (${all.length} migration${all.length === 1 ? '' : 's'}, latest ${all.at(-1)?.name ?? 'none'})`);
    } else {
      for (const name of applied) ctx.out.print(`applied ${name}`);
    }
    return 0;
  } finally {
    await db.destroy().catch(() => undefined);
    await postgres.stop();
  }
}

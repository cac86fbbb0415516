// A profile's actor from the command line: its state, pause and resume, its schedule, and requests.
import type { ProfileState } from '../../contract/actor.ts';
import type { App } from '../../app/open.ts';
import { openServices, temporalGiven, type CliContext } from '../context.ts';
import { formatDate } from '../output.ts';
import { UsageError } from '../args.ts';

/** Runs `fn` with the services; the actor answers updates only while a worker runs, so without a
 * server of the user's (or `up`) this command runs one for its duration. */
async function withActor<T>(ctx: CliContext, fn: (app: App) => Promise<T>): Promise<T> {
  const ownWorker = !temporalGiven(ctx);
  const { app, close } = await openServices(ctx, { worker: ownWorker, ui: false });
  try {
    return await fn(app);
  } finally {
    await close();
  }
}

export async function profileStatusCommand(ctx: CliContext, name: string): Promise<number> {
  return withActor(ctx, async ({ sync }) => {
    const state = await sync.profileState(name);
    if (ctx.json) await ctx.out.writeJson(state);
    else for (const line of stateLines(state)) ctx.out.print(line);
    return 0;
  });
}

export async function profilePauseCommand(ctx: CliContext, name: string, options: { reason?: string }): Promise<number> {
  return withActor(ctx, async ({ sync }) => {
    const state = await sync.pause(name, { reason: options.reason ?? 'paused from the command line' });
    if (ctx.json) await ctx.out.writeJson(state);
    else {
      ctx.out.print(`profile ${state.profileName} is paused: schedules, the folder watcher and push notifications wait until \`music-sync profile resume ${state.profileName}\``);
      if (state.current) ctx.out.print(`the sync under way (job ${state.current.jobId}) goes on; stop it with: music-sync cancel ${state.current.jobId}`);
    }
    return 0;
  });
}

export async function profileResumeCommand(ctx: CliContext, name: string): Promise<number> {
  return withActor(ctx, async ({ sync }) => {
    const state = await sync.resume(name);
    if (ctx.json) await ctx.out.writeJson(state);
    else ctx.out.print(`profile ${state.profileName} is resumed${state.pending ? ` (a ${state.pending.mode} sync that waited runs now)` : ''}`);
    return 0;
  });
}

export async function profileScheduleCommand(ctx: CliContext, name: string, options: { every?: string; cron?: string; off: boolean }): Promise<number> {
  const given = [options.every !== undefined, options.cron !== undefined, options.off].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give one of --every <duration>, --cron "<expression>" or --off', 'music-sync profile schedule jazz --every 6h');
  return withActor(ctx, async ({ sync }) => {
    const spec = options.off ? null : options.every !== undefined ? { every: options.every } : { cron: options.cron! };
    const info = await sync.schedule(name, spec);
    if (ctx.json) {
      await ctx.out.writeJson({ profile: name, schedule: info ?? null });
      return 0;
    }
    if (!info) ctx.out.print(`profile ${name} has no schedule`);
    else {
      ctx.out.print(`profile ${name} syncs ${info.description}${info.nextRunAt ? `; next at ${formatDate(new Date(info.nextRunAt))}` : ''}`);
      ctx.out.info(`schedule ${info.scheduleId}: pause, trigger or backfill it on the Web UI's Schedules page; syncs run while a worker runs (music-sync up)`);
    }
    return 0;
  });
}

export async function profileRequestCommand(ctx: CliContext, name: string, options: { full: boolean; reason?: string }): Promise<number> {
  return withActor(ctx, async ({ sync }) => {
    await sync.requestSync(name, { mode: options.full ? 'full' : 'incremental', ...(options.reason ? { reason: options.reason } : {}) });
    const state = await sync.profileState(name);
    if (ctx.json) await ctx.out.writeJson(state);
    else ctx.out.print(state.current ? `profile ${name} is syncing (job ${state.current.jobId}); the request is ${state.pending ? 'the follow-up sync' : 'covered by it'}` : `profile ${name}: sync requested`);
    return 0;
  });
}

/** The actor's state as a few lines. */
export function stateLines(state: ProfileState): string[] {
  const lines = [`profile ${state.profileName}: ${state.status.replace('_', ' ')}`];
  if (state.current) lines.push(`  syncing    job ${state.current.jobId} (${state.current.mode}, asked by ${state.current.source}, since ${formatDate(new Date(state.current.startedAt))})`);
  if (state.paused) lines.push(`  paused     by ${state.paused.by}${state.paused.reason ? `: ${state.paused.reason}` : ''}${state.paused.by === 'failure' ? ' (fix it, then: music-sync profile resume ' + state.profileName + ')' : ''}`);
  if (state.status === 'backing_off' && state.backoffUntil) lines.push(`  backing off after ${state.failures} failed sync${state.failures === 1 ? '' : 's'}, until ${formatDate(new Date(state.backoffUntil))}`);
  if (state.pending) lines.push(`  pending    ${state.pending.mode} sync for ${state.pending.requests} request${state.pending.requests === 1 ? '' : 's'} (${state.pending.sources.join(', ')})`);
  if (state.last) lines.push(`  last       job ${state.last.jobId} ${state.last.status.replace('_', ' ')} at ${formatDate(new Date(state.last.finishedAt))}${state.last.error ? `: ${state.last.error}` : ''}`);
  lines.push(`  schedule   ${state.schedule ? `${state.schedule.description}${state.schedule.paused ? ' (paused)' : ''}${state.schedule.nextRunAt ? `, next at ${formatDate(new Date(state.schedule.nextRunAt))}` : ''}` : 'none'}`);
  return lines;
}

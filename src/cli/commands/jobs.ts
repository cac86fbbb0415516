// Jobs: sync (start, maybe follow), status, cancel, history, failed.
import type { SyncClient } from '../../client/sync-client.ts';
import { openServices, temporalGiven, withDb, type CliContext } from '../context.ts';
import { endingLines, exitCodeOf, followJob, reportReview } from '../follow.ts';
import { isTerminal } from '../../contract/sync.ts';
import { formatDate, formatDuration, jobElapsedMs, jobSummary, table } from '../output.ts';

export async function syncCommand(
  ctx: CliContext,
  profileArg: string,
  options: { incremental: boolean; wait: boolean; confirmDeletions?: boolean },
): Promise<number> {
  // With our own dev server nobody else polls the task queue: run the worker here and stay until the end.
  const ownWorker = !temporalGiven(ctx);
  if (ownWorker && !options.wait) {
    ctx.out.warn('note: no TEMPORAL_ADDRESS and no `music-sync up`, so this command runs the sync itself and waits for it (as --wait)');
  }
  const wait = options.wait || ownWorker;
  const { app, close } = await openServices(ctx, { worker: ownWorker, ui: false });
  try {
    const { sync } = app;
    const profile = await sync.getProfile(profileArg);
    const config = options.confirmDeletions ? { confirmDeletions: true } : undefined;
    const started = options.incremental
      ? await sync.startIncrementalSync(profile.id, undefined, config)
      : await sync.startFullSync(profile.id, config);
    const mode = options.incremental ? 'incremental' : 'full';
    if (!wait) {
      if (ctx.json) await ctx.out.writeJson({ jobId: started.jobId, workflowId: started.workflowId, runId: started.runId, mode });
      else ctx.out.print(started.jobId);
      ctx.out.info(`started a ${mode} sync of ${profile.name}; follow it with: music-sync status ${started.jobId}`);
      return 0;
    }
    if (!ctx.json) ctx.out.print(`job ${started.jobId}: ${mode} sync of ${profile.name}`);
    const { job, endError } = await followJob(ctx, sync, started.jobId);
    const [failed, readCost] = await Promise.all([sync.failedItems(job.id), sync.readCost(job.id)]);
    if (ctx.json) {
      await ctx.out.writeJson({ job: { ...job, error: job.error ?? endError ?? null }, failed });
    } else {
      const lines = jobSummary({ title: `Sync of ${profile.name}`, job, endError, failed, readCost });
      lines.splice(2, 0, ...endingLines(job));
      for (const line of lines) ctx.out.print(line);
    }
    reportReview(ctx, job, ['sync', profile.name, ...(options.incremental ? ['--incremental'] : []), '--wait']);
    return exitCodeOf(job);
  } finally {
    await close();
  }
}

export async function statusCommand(ctx: CliContext, jobId: string): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const job = await sync.getStatus(jobId);
    if (ctx.json) {
      await ctx.out.writeJson(job);
      return 0;
    }
    const profile = await profileName(sync, job.profileId);
    const lines = jobSummary({ title: `Sync of ${profile}`, job, readCost: await sync.readCost(jobId) });
    lines.splice(2, 0, ...endingLines(job));
    for (const line of lines) ctx.out.print(line);
    return 0;
  });
}

export async function cancelCommand(ctx: CliContext, jobId: string, options: { reason?: string } = {}): Promise<number> {
  // A job of our own dev server only moves while a worker runs: run one here to carry the cancel out.
  const ownWorker = !temporalGiven(ctx);
  const { app, close } = await openServices(ctx, { worker: ownWorker, ui: false });
  try {
    const { sync } = app;
    const asked = await sync.cancelSync(jobId, { by: 'cli', reason: options.reason ?? 'cancelled from the command line' });
    if (!asked) {
      const job = await sync.getStatus(jobId);
      if (ctx.json) await ctx.out.writeJson({ jobId, cancelRequested: false, status: job.status });
      else ctx.out.print(`job ${jobId} has already ended (${job.status.replace('_', ' ')})`);
      return 0;
    }
    if (!ownWorker) {
      if (ctx.json) await ctx.out.writeJson({ jobId, cancelRequested: true, status: (await sync.getStatus(jobId)).status });
      else ctx.out.print(`cancel requested for job ${jobId}; it stops after the batch in flight`);
      return 0;
    }
    ctx.out.info(`cancel requested for job ${jobId}; waiting for it to stop`);
    const { job } = await followJob(ctx, sync, jobId);
    if (ctx.json) await ctx.out.writeJson({ jobId, cancelRequested: true, status: job.status });
    else ctx.out.print(`job ${jobId}: ${job.status.replace('_', ' ')}`);
    return 0;
  } finally {
    await close();
  }
}

export async function historyCommand(ctx: CliContext, options: { provider: string | undefined; limit: number }): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const jobs = await sync.listHistory(options.provider, options.limit);
    if (ctx.json) {
      await ctx.out.writeJson(jobs);
      return 0;
    }
    if (jobs.length === 0) {
      ctx.out.print('no sync jobs yet');
      return 0;
    }
    const names = new Map((await sync.listProfiles()).map((p) => [p.id, p.name]));
    const rows = jobs.map((j) => [
      j.id,
      names.get(j.profileId) ?? j.profileId,
      j.mode,
      j.requestedBy ?? '-',
      j.status.replace('_', ' '),
      formatDate(j.startedAt ?? j.createdAt),
      isTerminal(j.status) ? formatDuration(jobElapsedMs(j)) : '…',
      `+${j.itemsAdded} ~${j.itemsUpdated} -${j.itemsDeleted}`,
      String(j.itemsFailed),
    ]);
    for (const line of table(['JOB', 'PROFILE', 'MODE', 'ASKED BY', 'STATUS', 'STARTED', 'TOOK', 'CHANGES', 'FAILED'], rows)) ctx.out.print(line);
    return 0;
  });
}

export async function failedCommand(ctx: CliContext, jobId: string): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const failed = await sync.failedItems(jobId);
    if (ctx.json) await ctx.out.writeJson(failed);
    else if (failed.length === 0) ctx.out.print(`no failed files in job ${jobId}`);
    else for (const f of failed) ctx.out.print(`${f.path}: ${f.reason}`);
    return 0;
  });
}

async function profileName(sync: SyncClient, profileId: string): Promise<string> {
  return (await sync.getProfile(profileId).catch(() => undefined))?.name ?? profileId;
}

// Jobs: sync (start, maybe follow), status, cancel, history, failed.
import type { SyncClient } from '../../client/sync-client.ts';
import { openServices, temporalGiven, withDb, type CliContext } from '../context.ts';
import { endingLines, exitCodeOf, followJob, reportReview } from '../follow.ts';
import { isTerminal, type JobStatus } from '../../contract/sync.ts';
import { UsageError, type ListOptions } from '../args.ts';
import { MAX_PAGE } from '../../client/pages.ts';
import { eachPage, pageFooter, writeList, type PageRequest } from '../list-output.ts';
import { audioCounted, count, formatDate, formatDuration, jobElapsedMs, jobSummary, table } from '../output.ts';

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

export async function historyCommand(
  ctx: CliContext,
  filter: { profile?: string | undefined; provider?: string | undefined; status?: string | undefined },
  list: ListOptions,
): Promise<number> {
  const status = jobStatus(filter.status);
  // History is about recent jobs: a page of them by default, --json included (as it always was).
  const from = { ...list, limit: list.limit ?? HISTORY_PAGE };
  return withDb(ctx, async ({ sync }) => {
    const fetch = (page: PageRequest) => sync.listJobs({ profile: filter.profile, provider: filter.provider, status, ...page });
    if (list.format !== 'table') {
      await writeList(ctx.out, list.format, eachPage(fetch, from));
      return 0;
    }
    const page = await fetch({ limit: Math.min(from.limit, MAX_PAGE), offset: list.offset, after: list.after, count: true });
    if (page.total === 0) {
      const filtered = filter.profile !== undefined || filter.provider !== undefined || status !== undefined;
      ctx.out.print(filtered ? 'no sync jobs match' : 'no sync jobs yet');
      return 0;
    }
    const names = new Map((await sync.listProfiles()).map((p) => [p.id, p.name]));
    const rows = page.items.map((j) => [
      j.id,
      names.get(j.profileId) ?? j.profileId,
      j.mode,
      j.requestedBy ?? '-',
      j.status.replace('_', ' '),
      formatDate(j.startedAt ?? j.createdAt),
      isTerminal(j.status) ? formatDuration(jobElapsedMs(j)) : '…',
      audioCounted(j) ? count(j.itemsQueued) : isTerminal(j.status) ? '-' : '…',
      audioCounted(j) ? count(j.itemsUnchanged) : isTerminal(j.status) ? '-' : '…',
      `+${j.itemsAdded} ~${j.itemsUpdated} >${j.itemsRenamed} -${j.itemsDeleted}`,
      count(j.itemsFailed),
    ]);
    const headers = ['JOB', 'PROFILE', 'MODE', 'ASKED BY', 'STATUS', 'STARTED', 'TOOK', 'CHECKED', 'UNCHANGED', 'CHANGES', 'FAILED'];
    for (const line of table(headers, rows)) ctx.out.print(line);
    ctx.out.print(pageFooter(page, list, ['job', 'jobs']));
    return 0;
  });
}

export async function failedCommand(
  ctx: CliContext,
  jobId: string,
  filter: { search?: string | undefined; pathPrefix?: string | undefined },
  list: ListOptions,
): Promise<number> {
  return withDb(ctx, async ({ sync }) => {
    const fetch = (page: PageRequest) => sync.listFailed({ jobId, search: filter.search, pathPrefix: filter.pathPrefix, ...page });
    if (list.format !== 'table') {
      await writeList(ctx.out, list.format, eachPage(fetch, list));
      return 0;
    }
    const page = await fetch({ limit: Math.min(list.limit ?? FAILED_PAGE, MAX_PAGE), offset: list.offset, after: list.after, count: true });
    if (page.total === 0) {
      const filtered = filter.search !== undefined || filter.pathPrefix !== undefined;
      ctx.out.print(`no failed files in job ${jobId}${filtered ? ' match' : ''}`);
      return 0;
    }
    for (const f of page.items) ctx.out.print(`${f.path}: ${f.reason}`);
    ctx.out.print(pageFooter(page, list, ['failed file', 'failed files']));
    return 0;
  });
}

/** Jobs and failed files a list shows unless --limit says otherwise. */
const HISTORY_PAGE = 20;
const FAILED_PAGE = 50;

const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'needs_review', 'failed', 'cancelled', 'timed_out'];

function jobStatus(value: string | undefined): JobStatus | undefined {
  if (value === undefined) return undefined;
  const status = JOB_STATUSES.find((s) => s === value || s === value.replace(' ', '_'));
  if (!status) throw new UsageError(`history: --status must be one of ${JOB_STATUSES.join(', ')}, got "${value}"`);
  return status;
}

async function profileName(sync: SyncClient, profileId: string): Promise<string> {
  return (await sync.getProfile(profileId).catch(() => undefined))?.name ?? profileId;
}

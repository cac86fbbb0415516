// Following a running job to its end: progress on stderr, Ctrl-C to cancel, the final job row, and
// what the ending means for the exit code.
import path from 'node:path';
import { DEFAULT_DATA_DIR } from '../app/settings.ts';
import { SyncError } from '../client/errors.ts';
import type { SyncClient } from '../client/sync-client.ts';
import type { SyncJob } from '../client/types.ts';
import { EXIT_NEEDS_REVIEW } from './args.ts';
import type { CliContext } from './context.ts';
import { exitAfterClose } from './lifetime.ts';
import { setInterruptHandler } from './interrupt.ts';
import { oneLine } from './output.ts';
import { ProgressBar, ProgressLines, type ProgressReporter } from './progress.ts';

export interface FollowResult {
  /** The job row after the workflow ended. */
  job: SyncJob;
  /** How the workflow ended when not completed (the row usually says it too, in `error`). */
  endError: string | undefined;
}

function reporterFor(ctx: CliContext): ProgressReporter | undefined {
  if (ctx.json) return undefined;
  if (process.stderr.isTTY) return new ProgressBar(process.stderr);
  return new ProgressLines((line) => ctx.out.info(line));
}

/**
 * Waits for the job's workflow. The first interrupt asks the workflow to cancel (it stops after the
 * batch in flight, so the library stays consistent) and keeps waiting; the second closes what this
 * process started and exits.
 */
export async function followJob(ctx: CliContext, sync: SyncClient, jobId: string): Promise<FollowResult> {
  const reporter = reporterFor(ctx);
  if (reporter instanceof ProgressBar) ctx.out.setStatusLine(reporter);
  const stopWatching = new AbortController();

  // Progress events (phase changes, every N items) drive the reporter; on a terminal a light poll of
  // the job row fills the gaps between them so the bar moves smoothly on small batches too.
  const watching = reporter
    ? (async () => {
        try {
          for await (const event of sync.watch(jobId, { signal: stopWatching.signal })) {
            if (event.type === 'progress' && event.note) ctx.out.warn(event.note);
            if (event.type === 'progress') reporter.update(event.phase, event.counters);
            else if (event.type !== 'started') reporter.update(undefined, event.counters);
          }
        } catch (err) {
          if (ctx.debug) ctx.out.warn(`progress: ${(err as Error).message}`);
        }
      })()
    : Promise.resolve();
  const poll =
    reporter instanceof ProgressBar
      ? setInterval(() => {
          sync.getStatus(jobId).then(
            (job) => reporter.update(job.phase, job),
            () => undefined,
          );
        }, 1_000)
      : undefined;

  setInterruptHandler((count) => {
    if (count === 1) {
      ctx.out.warn('cancelling… (Ctrl-C again to quit without waiting)');
      sync.cancelSync(jobId, { by: 'cli', reason: 'interrupted (Ctrl-C)' }).then(
        (asked) => {
          if (!asked) ctx.out.warn('the job had already ended');
        },
        (err: unknown) => ctx.out.warn(`music-sync: could not cancel: ${oneLine((err as Error).message)}`),
      );
    } else {
      ctx.out.warn('quitting');
      void exitAfterClose(130, 10_000);
    }
  });

  let endError: string | undefined;
  try {
    await sync.waitForResult(jobId);
  } catch (err) {
    // Failed, cancelled, timed out: the job row tells the story; anything else is a real error.
    if (!(err instanceof SyncError)) throw err;
    endError = err.message;
  } finally {
    setInterruptHandler(undefined);
    clearInterval(poll);
    stopWatching.abort();
    await watching; // its LISTEN connection must be gone before Postgres stops
    reporter?.stop();
    ctx.out.setStatusLine(undefined);
  }
  return { job: await sync.getStatus(jobId), endError };
}

/** 0 for a completed job, EXIT_NEEDS_REVIEW for one the mass-deletion guard held back, 1 otherwise. */
export function exitCodeOf(job: SyncJob): number {
  if (job.status === 'completed') return 0;
  return job.status === 'needs_review' ? EXIT_NEEDS_REVIEW : 1;
}

/** Lines about how a job ended that the summary does not show: who cancelled it and why. */
export function endingLines(job: SyncJob): string[] {
  if (job.status !== 'cancelled' || !job.cancelledBy) return [];
  return [`  cancelled   by ${job.cancelledBy}${job.cancelReason ? `: ${job.cancelReason}` : ''}`];
}

/**
 * For a job that needs review: the exact command of this command line that confirms the deletion
 * (`confirmCommand` names the command, `--confirm-deletions` and this data dir are added), printed
 * after the summary, or with the review message on stderr with --json (stdout is the JSON).
 */
export function reportReview(ctx: CliContext, job: SyncJob, confirmCommand: string[]): void {
  if (job.status !== 'needs_review') return;
  const dataDir = ctx.dataDir === path.resolve(DEFAULT_DATA_DIR) ? [] : ['--data-dir', ctx.dataDir];
  const command = ['music-sync', ...confirmCommand, '--confirm-deletions', ...dataDir].map(shellWord).join(' ');
  const line = `To delete the tracks of the missing files: ${command}`;
  if (!ctx.json) return ctx.out.print(line);
  ctx.out.warn(`music-sync: job ${job.id} needs review: ${oneLine(job.needsReview ?? '')}`);
  ctx.out.warn(line);
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

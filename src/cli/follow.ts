// Following a running job to its end: progress on stderr, Ctrl-C to cancel, the final job row.
import { SyncError } from '../client/errors.ts';
import type { SyncClient } from '../client/sync-client.ts';
import type { SyncJob } from '../client/types.ts';
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
      sync.cancelSync(jobId, 'interrupted from the command line').then(
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

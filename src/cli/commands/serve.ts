// `music-sync serve`: the endpoint the cloud providers' change notifications arrive at, and the
// channels that make them arrive, until Ctrl-C. Each notification asks the profile's actor for an
// incremental sync.
import { secretBoxOf } from '../../app/open.ts';
import { actorRequests } from '../../client/actor-requests.ts';
import { PUSH_PATHS, startPushService } from '../../push/index.ts';
import { openServices, temporalGiven, type CliContext } from '../context.ts';
import { setInterruptHandler } from '../interrupt.ts';
import { exitAfterClose, exitNow, guardedOpen } from '../lifetime.ts';

export async function serveCommand(ctx: CliContext): Promise<number> {
  // With our own dev server nobody else runs the profiles' actors: run a worker here.
  const ownWorker = !temporalGiven(ctx);
  if (ownWorker) ctx.out.warn('note: no TEMPORAL_ADDRESS and no `music-sync up`, so this command runs a worker itself');
  const { app } = await openServices(ctx, { worker: ownWorker, ui: false });
  const { settings } = ctx;
  const { value: push } = await guardedOpen(
    () => startPushService({ db: app.db, sink: actorRequests(app.client), settings, secretBox: secretBoxOf(settings), log: (line) => ctx.out.warn(line) }),
    (service) => ({ close: () => service.stop(), kill: () => undefined }),
  );
  const publicUrl = settings.push.publicUrl?.replace(/\/+$/, '');
  const addresses = Object.fromEntries(Object.entries(PUSH_PATHS).map(([provider, at]) => [provider, `${publicUrl ?? push.url}${at}`]));
  if (ctx.json) {
    await ctx.out.writeJson({ listening: push.url, publicUrl: publicUrl ?? null, subscribing: push.subscribing, addresses, pid: process.pid });
  } else {
    ctx.out.print(`listening for change notifications on ${push.url}`);
    ctx.out.print(`  Google Drive  ${addresses.gdrive}`);
    ctx.out.print(`  OneDrive      ${addresses.onedrive}`);
    ctx.out.print(`  Dropbox       ${addresses.dropbox}  (the app's webhook, set in the Dropbox App Console)`);
    if (!push.subscribing) {
      ctx.out.print('MUSIC_SYNC_PUSH_URL is not set: Google Drive and OneDrive are not asked to notify (only Dropbox\'s webhook can arrive).');
    }
    ctx.out.print('Ctrl-C to stop.');
  }
  await untilInterrupted(app.workerRun);
  ctx.out.info('stopping…');
  return exitAfterClose(0);
}

/** Until Ctrl-C/SIGTERM, or until our own worker dies (an error). */
async function untilInterrupted(workerRun: Promise<void> | undefined): Promise<void> {
  const interrupted = new Promise<void>((resolve) => {
    setInterruptHandler((count) => (count === 1 ? resolve() : exitNow(130)));
  });
  let stopping = false;
  const workerEnded = (workerRun ?? new Promise<void>(() => {})).then(() => {
    if (!stopping) throw new Error('the worker stopped unexpectedly');
  });
  workerEnded.catch(() => undefined);
  await Promise.race([interrupted, workerEnded]);
  stopping = true;
}

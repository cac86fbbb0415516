// An authenticated notification becomes one sync request per profile it concerns. The answer waits
// for the sink, so a request that could not be passed on is answered 503 and the provider delivers
// the notification again (Drive and Graph retry 5xx answers with a backoff, Graph for up to 4 hours;
// Dropbox retries too): a notification answered 2xx but never passed on would leave the library stale
// until the next sync. The wait is bounded: Graph wants an answer within 3 seconds and slows or drops
// the notifications of an endpoint that is often late, so a sink slower than that is answered 2xx
// and its failure, should it fail, only logged.
import type { SyncRequest } from '../../contract/actor.ts';
import type { ProfileRef } from '../../db/push-channels.ts';
import type { Answer, ReceiveContext } from './types.ts';

const ANSWER_WITHIN_MS = 2_500;

/** Asks for an incremental sync of each profile; `accepted` is the provider's status for "taken". */
export async function requestSyncs(context: ReceiveContext, profiles: readonly ProfileRef[], reason: string, accepted: number): Promise<Answer> {
  const request: SyncRequest = { mode: 'incremental', source: 'push', reason };
  const sent = Promise.allSettled(profiles.map((profile) => Promise.resolve().then(() => context.sink({ id: profile.id, name: profile.name }, request))));
  const failures = (results: PromiseSettledResult<void>[]) =>
    results.flatMap((result, i) => (result.status === 'rejected' ? [{ profile: profiles[i]!, error: result.reason as unknown }] : []));
  const report = (failed: ReturnType<typeof failures>, when: string) => {
    for (const { profile, error } of failed) {
      context.log(`push: the sync request for profile ${JSON.stringify(profile.name)} (${reason}) failed${when}: ${oneLine(error)}`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), context.answerWithinMs ?? ANSWER_WITHIN_MS);
  });
  const outcome = await Promise.race([sent, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    void sent.then((results) => report(failures(results), ' after the notification was answered'));
    return { status: accepted };
  }
  const failed = failures(outcome);
  if (failed.length === 0) return { status: accepted };
  report(failed, '');
  return { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' }, body: 'the sync could not be requested now; try again\n' };
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

// Delivery of the watcher's sync requests to the sink. The sink may be out of reach (Temporal down or
// restarting): a request that could not be delivered is owed, merged with any burst that comes after
// it, and sent again with the next burst or after a growing delay, so a change is never dropped and
// the process never sees a rejection. One request at a time per profile.
import type { SyncRequestSink } from '../contract/actor.ts';
import type { Burst } from './debounce.ts';

export interface WatchedProfile {
  id: string;
  name: string;
}

/** What is owed to one profile's actor. */
type Owed = Pick<Burst, 'events' | 'error'>;

export interface RequestSender {
  send(profile: WatchedProfile, burst: Owed): void;
  /** Drops what is owed to a profile that is no longer watched. */
  forget(profileId: string): void;
  /** No more sends or retries; waits up to `graceMs` for requests on their way. */
  stop(graceMs?: number): Promise<void>;
}

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

interface Delivery {
  profile: WatchedProfile;
  owed?: Owed;
  inFlight?: Promise<void>;
  retryTimer?: NodeJS.Timeout;
  failures: number;
}

/** The reason a person reads in the actor's state. */
export function requestReason(burst: Owed): string {
  if (burst.error !== undefined) return `the folder watch was interrupted (${burst.error})`;
  return `${burst.events} ${burst.events === 1 ? 'change' : 'changes'} in the folder`;
}

export function createRequestSender(options: { sink: SyncRequestSink; log: (line: string) => void }): RequestSender {
  const { sink, log } = options;
  const deliveries = new Map<string, Delivery>();
  let stopped = false;

  const deliver = (delivery: Delivery) => {
    const owed = delivery.owed;
    if (stopped || !owed || delivery.inFlight) return;
    delivery.owed = undefined;
    const { profile } = delivery;
    const attempt = (async () => sink({ id: profile.id, name: profile.name }, { mode: 'incremental', source: 'watch', reason: requestReason(owed) }))();
    delivery.inFlight = attempt.then(
      () => {
        if (delivery.failures > 0) log(`folder watch: profile ${profile.name}: sync request delivered after ${delivery.failures} failed ${delivery.failures === 1 ? 'try' : 'tries'}`);
        delivery.failures = 0;
      },
      (err: unknown) => {
        // A profile forgotten meanwhile (removed) is owed nothing more.
        if (deliveries.get(profile.id) !== delivery) return;
        delivery.owed = merge(owed, delivery.owed);
        delivery.failures += 1;
        const waitMs = Math.min(RETRY_FIRST_MS * 2 ** (delivery.failures - 1), RETRY_MAX_MS);
        log(`folder watch: profile ${profile.name}: could not request a sync (${message(err)}); trying again in ${Math.round(waitMs / 1000)}s or with the next change`);
        if (!stopped && deliveries.get(profile.id) === delivery) delivery.retryTimer = setTimeout(retry, waitMs, delivery);
      },
    ).finally(() => {
      delivery.inFlight = undefined;
      if (delivery.owed && !delivery.retryTimer && deliveries.get(profile.id) === delivery) deliver(delivery);
      else if (!delivery.owed && !delivery.retryTimer && deliveries.get(profile.id) === delivery) deliveries.delete(profile.id);
    });
  };

  const retry = (delivery: Delivery) => {
    delivery.retryTimer = undefined;
    deliver(delivery);
  };

  return {
    send(profile, burst) {
      if (stopped) return;
      let delivery = deliveries.get(profile.id);
      if (!delivery) {
        delivery = { profile, failures: 0 };
        deliveries.set(profile.id, delivery);
      }
      delivery.profile = profile;
      delivery.owed = merge(burst, delivery.owed);
      // A new burst is the moment to try again, whatever delay the last failure set.
      clearTimeout(delivery.retryTimer);
      delivery.retryTimer = undefined;
      deliver(delivery);
    },
    forget(profileId) {
      const delivery = deliveries.get(profileId);
      if (!delivery) return;
      clearTimeout(delivery.retryTimer);
      delivery.retryTimer = undefined;
      delivery.owed = undefined;
      deliveries.delete(profileId);
    },
    async stop(graceMs = 2_000) {
      stopped = true;
      const inFlight: Promise<void>[] = [];
      for (const delivery of deliveries.values()) {
        clearTimeout(delivery.retryTimer);
        delivery.retryTimer = undefined;
        if (delivery.inFlight) inFlight.push(delivery.inFlight);
      }
      if (inFlight.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(inFlight), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    },
  };
}

function merge(burst: Owed, earlier: Owed | undefined): Owed {
  if (!earlier) return { ...burst };
  const error = earlier.error ?? burst.error;
  return { events: earlier.events + burst.events, ...(error !== undefined ? { error } : {}) };
}

/** The first line of an error's message: a log line stays one line. */
function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
}

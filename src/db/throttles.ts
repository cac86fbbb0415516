// account_throttles: throttling one provider account saw, shared by every worker process reading from
// it. Times are judged by the database's clock, the one clock all workers share.
import { sql } from 'kysely';
import type { Db } from './connect.ts';

export interface AccountThrottle {
  /** Requests to the account wait until then. */
  pausedUntil: Date;
  /** How many requests may run at once meanwhile (and for a while after). */
  concurrency: number;
}

/** How long a throttle is still answered after its pause ended, so requests ramp up again slowly
 * rather than all at once. */
const LINGER = sql`interval '1 minute'`;

/**
 * Records a throttle for an account. While the stored pause still runs, the two combine to the
 * stricter: the later pause and the lower concurrency (two workers throttled at once both stay
 * careful); a pause that has ended is replaced.
 */
export async function publishThrottle(db: Db, account: string, pausedUntil: Date, concurrency: number): Promise<void> {
  if (Number.isNaN(pausedUntil.getTime())) throw new RangeError(`throttle of ${account}: the pause's end is not a valid time`);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 2 ** 31 - 1) {
    throw new RangeError(`throttle of ${account}: concurrency must be a whole number of at least 1, got ${concurrency}`);
  }
  const running = sql<boolean>`account_throttles.paused_until > now()`;
  await db
    .insertInto('account_throttles')
    .values({ account, paused_until: pausedUntil, concurrency })
    .onConflict((oc) =>
      oc.column('account').doUpdateSet({
        paused_until: sql<Date>`case when ${running} then greatest(account_throttles.paused_until, excluded.paused_until) else excluded.paused_until end`,
        concurrency: sql<number>`case when ${running} then least(account_throttles.concurrency, excluded.concurrency) else excluded.concurrency end`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}

/** The account's throttle, or undefined when it has none or its pause ended over a minute ago. */
export async function readThrottle(db: Db, account: string): Promise<AccountThrottle | undefined> {
  const row = await db
    .selectFrom('account_throttles')
    .select(['paused_until', 'concurrency'])
    .where('account', '=', account)
    .where('paused_until', '>', sql<Date>`now() - ${LINGER}`)
    .executeTakeFirst();
  return row && { pausedUntil: row.paused_until, concurrency: row.concurrency };
}

/** The account throttles as the board remote providers' limiters share between worker processes
 * (providers/remote/limiter.ts ThrottleBoard). */
export function dbThrottleBoard(db: Db): {
  publish(account: string, pausedUntil: Date, concurrency: number): Promise<void>;
  read(account: string): Promise<AccountThrottle | undefined>;
} {
  return {
    publish: (account, pausedUntil, concurrency) => publishThrottle(db, account, pausedUntil, concurrency),
    read: (account) => readThrottle(db, account),
  };
}

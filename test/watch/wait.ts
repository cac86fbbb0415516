// Waiting on a condition with a deadline, for tests of timers and file events.
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 10 ms until it holds; fails with `what` once `withinMs` has passed. */
export async function waitFor(what: string, condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export { sleep };

// Watching a job from outside while its services come and go: every read tolerates a database that is
// down for a moment, and every wait is bounded and says what it waited for.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../src/db/connect.ts';
import type { SyncJobRow } from '../../src/db/schema.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error naming `what` after `ms` (the timer never outlives the promise). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The job row, or undefined while the database cannot answer (restarting). */
export async function readJob(db: Db, jobId: string): Promise<SyncJobRow | undefined> {
  try {
    return await db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  } catch {
    return undefined;
  }
}

export const hasEnded = (job: SyncJobRow | undefined) => job !== undefined && !['queued', 'running'].includes(job.status);

/** Polls the job until `done(job)` holds; returns the ms it took and the job as then. */
export async function waitForJob(
  db: Db,
  jobId: string,
  done: (job: SyncJobRow) => boolean,
  what: string,
  timeoutMs: number,
  everyMs = 50,
): Promise<{ ms: number; job: SyncJobRow }> {
  const t0 = performance.now();
  let last: SyncJobRow | undefined;
  for (;;) {
    const job = await readJob(db, jobId);
    if (job) {
      last = job;
      if (done(job)) return { ms: performance.now() - t0, job };
    }
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}; job was ${last ? `${last.status}/${last.phase}, ${last.items_processed} processed` : 'unreadable'}`);
    }
    await sleep(everyMs);
  }
}

/** The items_processed of the job once the database answers. */
export async function processedNow(db: Db, jobId: string, timeoutMs = 60_000): Promise<number> {
  return (await waitForJob(db, jobId, () => true, 'the database to answer', timeoutMs)).job.items_processed;
}

/** `sha256:<hex>` of each file's bytes, by its path relative to `root` (with `/`). */
export async function fileHashes(root: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of paths) {
    const bytes = await readFile(path.join(root, ...p.split('/')));
    out.set(p, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  }
  return out;
}

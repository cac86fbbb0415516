// Stopping a sync at random points, three ways: the client's cancel (a signal), a Temporal cancellation
// request (the Web UI's button, `handle.cancel()`), and the graceful deadline before the run timeout.
// Every time the job must end cancelled or timed out, hold no half-written track, count exactly what its
// rows say, write nothing after its terminal event, and the next incremental sync must end equal to a
// clean full sync of the folder.
//
// FAULT_SEED replays a run's cancel points and folder changes (each run logs its seed).
import assert from 'node:assert/strict';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SyncCancelledError, SyncTimeoutError } from '../../src/client/errors.ts';
import type { SyncConfig } from '../../src/contract/config.ts';
import type { SyncPhase } from '../../src/contract/sync.ts';
import { listEvents } from '../../src/db/events.ts';
import type { SyncEventRow, SyncJobRow } from '../../src/db/schema.ts';
import { generateLibrary, prng, writeTrackFile, type FixtureTags } from '../../src/testing/fixtures.ts';
import {
  assertJobConsistent, assertNoDuplicateRows, assertNoJobRunning, assertSameLibrary, libraryState, writeFingerprint,
} from '../helpers/fault-library.ts';
import { Checks } from '../helpers/fault-checks.ts';
import { fileHashes, hasEnded, readJob, sleep, waitForJob, within } from '../helpers/fault-progress.ts';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack.ts';
import { spawnWorker, workflowBundleFile, type WorkerProcess } from '../helpers/worker-process.ts';

const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000_007);
const FILES = 400;
/** Longer than the worker's heartbeat throttle (2 s): a batch that missed the stop would have written by then. */
const QUIET_MS = 3_000;
const WAIT_LIMIT_MS = 120_000;
/** Small batches read one file at a time: a sync long enough to be stopped anywhere. */
const SLOW: Partial<SyncConfig> = { batchSize: 5, maxConcurrentDownloads: 1, parallelBatches: 2 };
const PHASES: SyncPhase[] = ['queued', 'validate', 'discover', 'filter', 'process', 'resolve', 'complete'];
const TERMINAL_EVENTS = new Set(['completed', 'failed', 'cancelled', 'needs_review']);

interface AudioFile {
  tags: FixtureTags;
  seed: number;
  frames?: number;
}

let s: FaultStack;
let worker: WorkerProcess;
let root: string;
let profileId: string;
const rnd = prng(SEED);
/** The folder's audio files as the test wrote them, by path. */
const files = new Map<string, AudioFile>();
/** Paths deleted from the folder since the first sync: the library keeps their tombstones. */
const deleted = new Set<string>();
let nextSeed = 100_000;
let refNo = 0;
const timings: string[] = [];

const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** Random changes an incremental sync has to read: new files, retags, deletions, renames, copies. */
async function changeFolder(round: number): Promise<string> {
  // Only files a sync has seen are retagged, deleted, renamed or copied: those have tracks to keep.
  const seen = new Set(files.keys());
  const live = () => [...seen].filter((p) => files.has(p) && !p.startsWith('Copies/'));
  const made: string[] = [];
  for (let i = 0; i < 40; i++) {
    const p = `Round ${round}/Disc ${i % 3}/new ${i}.${rnd() < 0.2 ? 'flac' : 'mp3'}`;
    const tags: FixtureTags = { title: `New ${round}.${i}`, artists: ['Fault Suite'], album: `Round ${round}`, trackNo: i + 1 };
    const seed = nextSeed++;
    // The fixtures' FLAC audio has only 33 variants by seed; a length of its own makes each new file's
    // audio stream unique, so no new file is taken for a deleted one with the same audio.
    const frames = 13 + (seed - 100_000);
    await writeTrackFile(root, p, tags, { seed, frames });
    files.set(p, { tags, seed, frames });
    deleted.delete(p);
  }
  made.push('40 new');
  for (let i = 0; i < 25; i++) {
    const p = pick(live());
    const f = files.get(p)!;
    const tags = { ...f.tags, title: `${f.tags.title ?? 'x'} (retag ${round})` };
    await writeTrackFile(root, p, tags, { seed: f.seed, frames: f.frames });
    files.set(p, { ...f, tags });
  }
  made.push('25 retagged');
  for (let i = 0; i < 10; i++) {
    const p = pick(live());
    await rm(path.join(root, ...p.split('/')));
    files.delete(p);
    deleted.add(p);
  }
  made.push('10 deleted');
  for (let i = 0; i < 10; i++) {
    const p = pick(live());
    const to = `${path.posix.dirname(p)}/renamed ${round}.${i}${path.posix.extname(p)}`;
    await rename(path.join(root, ...p.split('/')), path.join(root, ...to.split('/')));
    files.set(to, files.get(p)!);
    files.delete(p);
    deleted.delete(to);
  }
  made.push('10 renamed');
  await mkdir(path.join(root, 'Copies'), { recursive: true });
  for (let i = 0; i < 3; i++) {
    const p = pick(live());
    const to = `Copies/r${round}-${i}${path.posix.extname(p)}`;
    await copyFile(path.join(root, ...p.split('/')), path.join(root, ...to.split('/')));
    files.set(to, files.get(p)!);
    deleted.delete(to);
  }
  made.push('3 copied');
  return made.join(', ');
}

type StopBy = 'signal' | 'request' | 'deadline';
/** Where to stop: as soon as it is started, on entering a phase, or after a share of the files to read. */
type Point = { phase: 'queued' | 'discover' | 'filter' } | { phase: 'process'; share: number };

function randomPoint(): Point {
  const r = rnd();
  if (r < 0.15) return { phase: 'queued' };
  if (r < 0.3) return { phase: 'discover' };
  if (r < 0.45) return { phase: 'filter' };
  return { phase: 'process', share: rnd() * 0.8 };
}

/** Polls the job until it reaches the point (or later); returns the job as it was then. */
async function reach(jobId: string, point: Point): Promise<SyncJobRow> {
  let processStart: number | undefined;
  const at = (j: SyncJobRow) => {
    if (PHASES.indexOf(j.phase) < PHASES.indexOf(point.phase)) return false;
    if (point.phase !== 'process' || j.phase !== 'process') return true;
    processStart ??= j.items_processed;
    return j.items_processed - processStart >= point.share * (j.items_queued - processStart);
  };
  return (await waitForJob(s.db, jobId, (j) => hasEnded(j) || at(j), `the cancel point ${JSON.stringify(point)}`, WAIT_LIMIT_MS, 5)).job;
}

/** The job's terminal event, as soon as it is stored. */
async function terminalEvent(jobId: string): Promise<SyncEventRow> {
  const t0 = performance.now();
  for (;;) {
    const terminal = (await listEvents(s.db, jobId)).find((e) => TERMINAL_EVENTS.has(e.type));
    if (terminal) return terminal;
    if (performance.now() - t0 > WAIT_LIMIT_MS) throw new Error(`no terminal event for job ${jobId} within ${WAIT_LIMIT_MS / 1000} s`);
    await sleep(20);
  }
}

async function syncAndWait(start: Promise<{ jobId: string }>): Promise<string> {
  const { jobId } = await start;
  const result = await within(s.sync.waitForResult(jobId), WAIT_LIMIT_MS, `the end of job ${jobId}`);
  assert.equal(result.status, 'completed');
  return jobId;
}

/** The profile's library equals a fresh full sync of the folder (plus the tombstones of deleted files). */
async function assertEqualsCleanSync(where: string): Promise<void> {
  const ref = await s.sync.registerProfile({ name: `reference-${++refNo}`, provider: 'local', root });
  const refJob = await syncAndWait(s.sync.startFullSync(ref.id));
  await assertJobConsistent(s.db, refJob);
  const expected = await libraryState(s.db, s.sync, ref.id);
  const actual = await libraryState(s.db, s.sync, profileId);
  const tombstones = [...deleted].filter((p) => !files.has(p)).sort();
  assertSameLibrary(actual, { ...expected, tombstones }, where);
}

describe('stopping a sync at random points', { timeout: 600_000 }, () => {
  before(async () => {
    const t0 = performance.now();
    s = await startFaultStack('music-sync-cancel-');
    worker = await spawnWorker({ temporalAddress: s.temporalAddress, databaseUrl: s.databaseUrl, workflowBundlePath: await workflowBundleFile() });
    root = path.join(s.dir, 'music');
    for (const f of await generateLibrary(root, FILES, 8128)) files.set(f.path, { tags: f.tags, seed: f.seed });
    profileId = (await s.sync.registerProfile({ name: 'stopped', provider: 'local', root })).id;
    const first = await syncAndWait(s.sync.startFullSync(profileId));
    await assertJobConsistent(s.db, first);
    timings.push(`setup ${secs(performance.now() - t0)} s`);
  });

  after(async () => {
    if (worker) {
      worker.kill('SIGTERM');
      await within(worker.exited, 10_000, 'the worker stopping').catch(async () => {
        worker.kill('SIGKILL');
        await worker.exited;
      });
    }
    await s?.close();
    console.log(`cancel-points: seed=${SEED} ${timings.join(', ')}`);
  });

  const rounds: StopBy[] = ['signal', 'request', 'signal', 'request', 'deadline'];
  for (const [i, by] of rounds.entries()) {
    test(`round ${i + 1}: stopped by ${by === 'deadline' ? 'the graceful deadline' : by === 'signal' ? 'the client (cancel signal)' : 'a Temporal cancellation request'}`, async (t) => {
      const t0 = performance.now();
      if (i === 0) t.diagnostic(`seed ${SEED} (FAULT_SEED=${SEED} replays these cancel points and changes)`);
      const changes = await changeFolder(i + 1);
      const hashes = await fileHashes(root, [...files.keys()]);
      const cursor = await s.sync.currentCursor(profileId);
      assert.ok(cursor, 'the profile has a cursor from its last completed sync');

      // The deadline needs a sync that outlives it: a full sync one file per batch. A cancel lands in
      // a full or an incremental sync, at a random point.
      const mode = by === 'deadline' || rnd() < 0.4 ? 'full' : 'incremental';
      const config: Partial<SyncConfig> = by === 'deadline' ? { syncTimeoutSecs: 10, batchSize: 1, maxConcurrentDownloads: 1, parallelBatches: 1 } : SLOW;
      const point = by === 'deadline' ? undefined : randomPoint();
      const checks = new Checks();
      let stoppedJob: string | undefined;
      let resynced = false;
      try {
        const started = mode === 'full' ? await s.sync.startFullSync(profileId, config) : await s.sync.startIncrementalSync(profileId, undefined, config);
        stoppedJob = started.jobId;
        const ending = s.sync.waitForResult(started.jobId).then(
          () => undefined,
          (err: unknown) => err,
        );
        let where = 'the deadline';
        if (point) {
          const job = await reach(started.jobId, point);
          assert.ok(!hasEnded(job), `the ${mode} sync ended (${job.status}) before the cancel point ${JSON.stringify(point)}`);
          where = `${job.phase} (${job.items_processed}/${job.items_queued} processed; aimed at ${JSON.stringify(point)})`;
          if (by === 'signal') assert.equal(await s.sync.cancelSync(started.jobId, { reason: 'fault suite' }), true, 'the cancel was delivered');
          else await s.temporal.workflow.getHandle(started.workflowId).cancel();
        }
        const stoppedAt = performance.now();

        // The moment the terminal event is stored, everything the job wrote is fixed.
        const terminal = await terminalEvent(started.jobId);
        const stopMs = performance.now() - stoppedAt;
        const atTerminal = await writeFingerprint(s.db, started.jobId, profileId);
        const err = await within(ending, WAIT_LIMIT_MS, 'the workflow result');
        const job = (await readJob(s.db, started.jobId))!;
        t.diagnostic(
          `round ${i + 1} (${by}, ${mode}, ${changes}): stopped at ${where}; ${job.status} after ${secs(stopMs)} s with ${job.items_processed} processed`,
        );
        await checks.run('the ending', async () => {
          if (by === 'deadline') {
            assert.ok(err instanceof SyncTimeoutError, `SyncTimeoutError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
            assert.doesNotMatch(err.message, /run timeout/, 'the job stopped itself before the run timeout');
            assert.ok(job.started_at && job.finished_at, 'started and finished');
            const ran = job.finished_at.getTime() - job.started_at.getTime();
            assert.ok(ran < 10_000, `recorded before the run timeout (${ran} ms)`);
          } else {
            assert.ok(err instanceof SyncCancelledError, `SyncCancelledError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
          }
          assert.equal(job.status, by === 'deadline' ? 'timed_out' : 'cancelled');
          assert.equal(terminal.type, by === 'deadline' ? 'failed' : 'cancelled');
          assert.equal(terminal.payload.status, job.status);
          assert.equal((await listEvents(s.db, started.jobId)).at(-1)?.id, terminal.id, 'the terminal event is the last event');
        });
        await sleep(QUIET_MS);
        await checks.run('nothing written after the terminal event', async () => {
          assert.deepEqual(await writeFingerprint(s.db, started.jobId, profileId), atTerminal);
        });
        await checks.run('the stopped job', () => assertJobConsistent(s.db, started.jobId, { fileHashes: hashes }));
        await checks.run('rows after the stop', () => assertNoDuplicateRows(s.db, profileId));
        await checks.run('the cursor', async () => assert.equal(await s.sync.currentCursor(profileId), cursor, 'a stopped sync keeps the old cursor'));
        await checks.run('jobs', () => assertNoJobRunning(s.db));

        const next = await syncAndWait(s.sync.startIncrementalSync(profileId));
        resynced = true;
        await checks.run('the next incremental sync', () => assertJobConsistent(s.db, next, { fileHashes: hashes }));
        await checks.run('rows after the next sync', () => assertNoDuplicateRows(s.db, profileId));
        await checks.run('the library', () => assertEqualsCleanSync(`after round ${i + 1}`));
      } finally {
        // Whatever failed, the next round starts from a library in step with the folder.
        if (!resynced && stoppedJob) {
          await waitForJob(s.db, stoppedJob, hasEnded, 'the stopped job to end', WAIT_LIMIT_MS).catch(() => undefined);
          await syncAndWait(s.sync.startIncrementalSync(profileId)).catch(() => undefined);
        }
      }
      timings.push(`round ${i + 1} ${secs(performance.now() - t0)} s`);
      checks.assertAll(`round ${i + 1}`);
    });
  }
});

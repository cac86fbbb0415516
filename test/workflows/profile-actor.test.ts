// The profile actor in Temporal's time-skipping test server, with the real activities against a real
// Postgres and real folders: coalescing, full over incremental, backoff and pause after failures,
// catch-up of a schedule's backlog, continue-as-new with pending requests, cancel and pause mid-sync.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.ts';
import { actorRequests } from '../../src/client/actor-requests.ts';
import { SyncInProgressError } from '../../src/client/errors.ts';
import { SyncClient } from '../../src/client/sync-client.ts';
import { actorIdForProfile, CANCEL_CURRENT_SIGNAL, type ProfileState, type SyncRequest } from '../../src/contract/actor.ts';
import { BACKOFF_FIRST_MS } from '../../src/contract/actor-policy.ts';
import { ACTIVITY_HEARTBEAT_TUNING, bundleWorkflows } from '../../src/workers/worker.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { startSyncDirectly } from '../helpers/legacy-start.ts';
import { faultyRegistry, newFaults, type Faults } from '../helpers/providers.ts';
import { createTimeSkippingEnv } from '../helpers/temporal.ts';

const { temporal } = proto;
const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const SAMPLES = ['04 Long Drive.flac', 'id3v2.3.mp3', 'id3v2.4.mp3', 'issue_56.mp3', 'flac.flac'];

let env: TestWorkflowEnvironment;
let testDb: TestDb;
let bundle: WorkflowBundleWithSourceMap;
let tmp: string;
let queueNo = 0;

before(async () => {
  [env, testDb, bundle] = await Promise.all([createTimeSkippingEnv(), startTestDb(), bundleWorkflows()]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-actor-'));
});

/** Actors live on after their test: each test's are ended, so no timer or task of theirs holds the
 * test server's clock while the next test skips time. */
const actors: { on: TestWorkflowEnvironment; id: string }[] = [];
afterEach(async () => {
  for (const { on, id } of actors.splice(0)) await on.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
});

/** A test server of the test's own, for tests that skip time: nothing another test left running can
 * hold its clock. */
async function withOwnServer(fn: (own: TestWorkflowEnvironment) => Promise<void>): Promise<void> {
  const own = await createTimeSkippingEnv();
  try {
    await fn(own);
  } finally {
    actors.length = 0;
    await own.teardown();
  }
}

after(async () => {
  await env?.teardown();
  await testDb?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Harness {
  sync: SyncClient;
  taskQueue: string;
  worker: Worker;
  faults: Faults;
  profile: { id: string; name: string };
  root: string;
  /** Sends a request as an automatic source would. */
  request(request: SyncRequest): Promise<void>;
  state(): Promise<ProfileState>;
  jobs(): Promise<{ id: string; mode: string; status: string; requested_by: string | null }[]>;
}

async function harness(name: string, files: number, faults: Faults, on: TestWorkflowEnvironment = env): Promise<Harness> {
  const taskQueue = `actor-test-${++queueNo}`;
  const providers = faultyRegistry(faults);
  const worker = await Worker.create({
    connection: on.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    ...ACTIVITY_HEARTBEAT_TUNING,
    activities: createActivities({ db: testDb.db, providers }),
  });
  const sync = new SyncClient({ temporal: on.client, db: testDb.db, providers, taskQueue, searchAttributes: false });
  const root = path.join(tmp, name);
  await mkdir(root, { recursive: true });
  for (let i = 0; i < files; i++) await copyFile(path.join(CORPUS, SAMPLES[i % SAMPLES.length]!), path.join(root, `${String(i).padStart(3, '0')}-${SAMPLES[i % SAMPLES.length]}`));
  const registered = await sync.registerProfile({ name, provider: 'faulty', root });
  const profile = { id: registered.id, name: registered.name };
  actors.push({ on, id: actorIdForProfile(profile.name) });
  const sink = actorRequests(on.client, { taskQueue, searchAttributes: false });
  return {
    sync, worker, faults, profile, root, taskQueue,
    request: (request) => sink(profile, request),
    state: () => sync.profileState(profile.name),
    jobs: () =>
      testDb.db.selectFrom('sync_jobs').select(['id', 'mode', 'status', 'requested_by']).where('profile_id', '=', profile.id).orderBy('created_at').execute(),
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the actor is idle (or paused/backing off) with nothing runnable, and returns its state. */
async function settled(h: Harness, what: string): Promise<ProfileState> {
  let state!: ProfileState;
  await waitFor(async () => {
    state = await h.state();
    return state.status !== 'syncing' && (state.pending === undefined || state.status !== 'idle');
  }, what);
  return state;
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'timed_out', 'needs_review']);

describe('profile actor', () => {
  test('start-now answers the job; a second one while it runs is SyncInProgress naming it', { timeout: 120_000 }, async () => {
    const h = await harness('start-now', 6, newFaults({ openDelayMs: 200 }));
    await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profile.id);
      assert.equal(started.workflowId, `music-sync/profile/${h.profile.name}/sync`, 'the sync is named after the profile');
      const job = await h.sync.getStatus(started.jobId);
      assert.equal(job.requestedBy, 'client', 'the job is recorded before the answer, with who asked');
      await assert.rejects(h.sync.startIncrementalSync(h.profile.id).catch((err) => {
        throw err;
      }), (err: unknown) => {
        // No cursor yet: the client refuses an incremental start before asking the actor.
        return (err as Error).name === 'InvalidInputError';
      });
      await assert.rejects(h.sync.startFullSync(h.profile.name), (err: unknown) => {
        assert.ok(err instanceof SyncInProgressError, `got ${(err as Error).name}: ${(err as Error).message}`);
        assert.equal(err.runningJobId, started.jobId);
        return true;
      });
      const result = await h.sync.waitForResult(started.jobId);
      assert.equal(result.status, 'completed');
      const state = await settled(h, 'the actor to settle');
      assert.equal(state.status, 'idle');
      assert.equal(state.last?.jobId, started.jobId);
      assert.equal(state.last?.status, 'completed');
      assert.equal((await h.jobs()).length, 1, 'the refused start made no job');
    });
  });

  test('requests during a sync coalesce into exactly one follow-up, full over incremental', { timeout: 120_000 }, async () => {
    const h = await harness('coalesce', 8, newFaults({ openDelayMs: 150 }));
    await h.worker.runUntil(async () => {
      await h.request({ mode: 'incremental', source: 'watch', reason: 'first change' });
      await waitFor(async () => (await h.state()).status === 'syncing', 'the first sync to start');
      const first = (await h.state()).current!;
      assert.equal(first.mode, 'full', 'an incremental request of a profile never synced is a full sync');
      for (let i = 0; i < 20; i++) await h.request({ mode: 'incremental', source: i % 2 ? 'watch' : 'push' });
      await h.request({ mode: 'full', source: 'schedule' });
      for (let i = 0; i < 5; i++) await h.sync.requestSync(h.profile.name);
      const during = await h.state();
      assert.equal(during.pending?.requests, 26);
      assert.equal(during.pending?.mode, 'full');
      assert.deepEqual([...during.pending!.sources].sort(), ['client', 'push', 'schedule', 'watch']);
      await waitFor(async () => {
        const jobs = await h.jobs();
        return jobs.length === 2 && jobs.every((j) => ENDED.has(j.status));
      }, 'the follow-up to end');
      const state = await settled(h, 'the actor to settle');
      assert.equal(state.pending, undefined, 'nothing is left pending');
      const jobs = await h.jobs();
      assert.equal(jobs.length, 2, `one sync and one follow-up: ${JSON.stringify(jobs)}`);
      assert.equal(jobs[1]!.mode, 'full', 'a full request wins');
      assert.equal(jobs[1]!.requested_by, 'client', 'a request made on purpose is named first');
      assert.ok(jobs.every((j) => j.status === 'completed'));
      await saveHistory('coalesced', actorIdForProfile(h.profile.name));
    });
  });

  test('a schedule\'s backlog of missed times is one sync: requests as of before a sync started are covered', { timeout: 120_000 }, async () => {
    const h = await harness('catch-up', 4, newFaults({ openDelayMs: 100 }));
    await h.worker.runUntil(async () => {
      await h.sync.requestSync(h.profile.name, { mode: 'full' });
      await waitFor(async () => (await h.state()).status === 'syncing', 'the sync to start');
      const startedAt = (await h.state()).current!.startedAt;
      // Missed scheduled times, all before the running sync started: it sees the library as of them.
      for (let i = 10; i > 0; i--) await h.request({ mode: 'incremental', source: 'schedule', asOf: startedAt - i * 3_600_000 });
      assert.equal((await h.state()).pending, undefined, 'the backlog is covered by the running sync');
      await waitFor(async () => (await h.jobs()).every((j) => ENDED.has(j.status)), 'the sync to end');
      // After it, too: the last sync started after them.
      await h.request({ mode: 'incremental', source: 'schedule', asOf: startedAt - 1 });
      const state = await settled(h, 'the actor to settle');
      assert.equal(state.pending, undefined);
      assert.equal((await h.jobs()).length, 1, 'one sync for the whole backlog');
      // A scheduled time after the last start is not covered.
      await h.request({ mode: 'incremental', source: 'schedule', asOf: Date.now() + 1 });
      await waitFor(async () => (await h.jobs()).length === 2 && (await h.jobs()).every((j) => ENDED.has(j.status)), 'the next scheduled sync');
      assert.equal((await h.jobs())[1]!.requested_by, 'schedule');
    });
  });

  test('after a failed sync automatic requests back off while one asked for on purpose runs', { timeout: 120_000 }, async () => {
    const h = await harness('backoff', 3, newFaults({ listFailures: 1_000 }));
    await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profile.id, { retryAttempts: 1 });
      // Polled, not awaited as a result: awaiting a result lets the test server skip time, and with it the backoff.
      await waitFor(async () => (await h.sync.getStatus(started.jobId)).status === 'failed', 'the sync to fail');
      let state = await settled(h, 'the failure to settle');
      assert.equal(state.status, 'backing_off');
      assert.equal(state.failures, 1);
      assert.equal(state.last?.status, 'failed');
      assert.ok(state.backoffUntil! - Date.now() <= BACKOFF_FIRST_MS + 5_000);
      await h.request({ mode: 'incremental', source: 'watch' });
      state = await h.state();
      assert.equal(state.pending?.requests, 1, 'the automatic request waits');
      assert.equal((await h.jobs()).length, 1);
      // The folder's storage comes back; a person asks: it runs at once, through the backoff.
      h.faults.listFailures = 0;
      const again = await h.sync.startFullSync(h.profile.id);
      assert.equal((await h.sync.waitForResult(again.jobId)).status, 'completed');
      state = await settled(h, 'the second sync to settle');
      assert.equal(state.failures, 0, 'a sync that succeeds ends the backoff');
      assert.equal(state.status, 'idle');
      assert.equal(state.pending, undefined, 'the waiting request was covered by the full sync');
    });
  });

  test('backoff doubles; requests that waited run when it ends', { timeout: 120_000 }, () => withOwnServer(async (own) => {
    const h = await harness('backoff-ends', 3, newFaults({ listFailures: 1_000 }), own);
    await h.worker.runUntil(async () => {
      await h.sync.requestSync(h.profile.name, { mode: 'full', config: { retryAttempts: 1 } });
      await waitFor(async () => (await h.state()).failures === 1 && (await h.state()).status !== 'syncing', 'the first failure');
      await h.request({ mode: 'full', source: 'watch', config: { retryAttempts: 1 } });
      await own.sleep(BACKOFF_FIRST_MS + 1_000);
      await waitFor(async () => (await h.state()).failures === 2 && (await h.state()).status !== 'syncing', 'the second failure, after the backoff');
      const second = await h.state();
      assert.ok(second.backoffUntil! - Date.now() > BACKOFF_FIRST_MS, 'the second backoff is longer');
      h.faults.listFailures = 0;
      await h.request({ mode: 'full', source: 'push' });
      await own.sleep(2 * BACKOFF_FIRST_MS + 1_000);
      await waitFor(async () => (await h.state()).last?.status === 'completed', 'the request that waited to run');
      assert.equal((await h.jobs()).length, 3);
      await saveHistory('backoff', actorIdForProfile(h.profile.name), undefined, own);
    });
  }));

  test('a failure no retry can mend pauses the profile with the reason; resume runs what waited', { timeout: 120_000 }, () => withOwnServer(async (own) => {
    const h = await harness('revoked', 3, newFaults({ validateError: 'unauthorized' }), own);
    await h.worker.runUntil(async () => {
      await h.request({ mode: 'full', source: 'push' });
      let state: ProfileState | undefined;
      await waitFor(async () => (state = await h.state()).status === 'paused', 'the profile to pause');
      assert.equal(state!.paused?.by, 'failure');
      assert.match(state!.paused?.reason ?? '', /injected unauthorized.*Provider\.unauthorized/);
      await h.request({ mode: 'incremental', source: 'schedule' });
      await own.sleep(3 * 60 * 60_000); // long past any backoff: a paused profile waits for a person
      assert.equal((await h.jobs()).length, 1, 'no automatic sync while paused');
      assert.equal((await h.state()).pending?.requests, 1);
      // Re-linked: a person resumes it, and what waited runs.
      h.faults.validateError = undefined;
      const resumed = await h.sync.resume(h.profile.name);
      assert.equal(resumed.paused, undefined);
      await waitFor(async () => (await h.state()).last?.status === 'completed', 'the waiting request to run');
      assert.equal((await h.jobs()).length, 2);
      await saveHistory('paused-by-failure', actorIdForProfile(h.profile.name), undefined, own);
    });
  }));

  test('pause during a sync lets it finish and holds automatic requests; cancel ends the current sync', { timeout: 120_000 }, async () => {
    const h = await harness('pause-cancel', 10, newFaults({ openDelayMs: 200 }));
    await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profile.id, { batchSize: 2, maxConcurrentDownloads: 1, parallelBatches: 1 });
      const paused = await h.sync.pause(h.profile.name, { reason: 'moving the collection' });
      assert.equal(paused.status, 'syncing', 'the sync under way goes on');
      assert.equal(paused.paused?.reason, 'moving the collection');
      await h.request({ mode: 'incremental', source: 'watch' });
      assert.equal((await h.sync.waitForResult(started.jobId)).status, 'completed');
      let state = await settled(h, 'the sync to settle');
      assert.equal(state.status, 'paused');
      assert.equal(state.pending?.requests, 1, 'the automatic request waits for resume');
      // A sync asked for on purpose runs even while paused; cancelled, it leaves the profile paused.
      const second = await h.sync.startFullSync(h.profile.id, { batchSize: 2, maxConcurrentDownloads: 1, parallelBatches: 1 });
      await waitFor(async () => (await h.sync.getStatus(second.jobId)).phase === 'process', 'the second sync to process');
      assert.equal(await h.sync.cancelSync(second.jobId, { reason: 'not now' }), true);
      await assert.rejects(h.sync.waitForResult(second.jobId), (err: unknown) => (err as Error).name === 'CancelledError');
      state = await settled(h, 'the cancel to settle');
      assert.equal(state.last?.status, 'cancelled');
      assert.equal(state.status, 'paused');
      assert.equal(state.failures, 0, 'a cancel is not a failure');
      await h.sync.resume(h.profile.name);
      await waitFor(async () => (await h.jobs()).length === 3 && (await h.jobs()).every((j) => ENDED.has(j.status)), 'the waiting request after resume');
      await saveHistory('pause-and-cancel', actorIdForProfile(h.profile.name));
    });
  });

  test('cancelCurrent ends the sync as Canceled, recording who and why; the actor counts it as cancelled', { timeout: 120_000 }, async () => {
    const h = await harness('cancel-current', 10, newFaults({ openDelayMs: 200 }));
    await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profile.id, { batchSize: 2, maxConcurrentDownloads: 1, parallelBatches: 1 });
      await waitFor(async () => (await h.sync.getStatus(started.jobId)).itemsProcessed >= 2, 'a first batch');
      await env.client.workflow.getHandle(actorIdForProfile(h.profile.name)).signal(CANCEL_CURRENT_SIGNAL, { by: 'test', reason: 'through the actor' });
      await assert.rejects(h.sync.waitForResult(started.jobId), (err: unknown) => (err as Error).name === 'CancelledError');
      assert.equal((await env.client.workflow.getHandle(started.workflowId).describe()).status.name, 'CANCELLED');
      const job = await h.sync.getStatus(started.jobId);
      assert.deepEqual([job.status, job.cancelledBy, job.cancelReason], ['cancelled', 'test', 'through the actor']);
      const state = await settled(h, 'the cancel to settle');
      assert.deepEqual([state.status, state.last?.status, state.failures], ['idle', 'cancelled', 0], 'a cancel is not a failure');
      await saveHistory('cancel-current', actorIdForProfile(h.profile.name));
    });
  });

  test('a sync running under the profile\'s old workflow id holds the profile until it ends', { timeout: 120_000 }, async () => {
    const h = await harness('old-id', 12, newFaults({ openDelayMs: 200 }));
    await h.worker.runUntil(async () => {
      // Started as a client of the version before profile actors did, on the queue the worker polls.
      const old = await startSyncDirectly(env.client, testDb.db, { profileId: h.profile.id, taskQueue: h.taskQueue, config: { batchSize: 4, maxConcurrentDownloads: 1, parallelBatches: 1 } });
      assert.equal(old.workflowId, `music-sync/${h.profile.id}`);
      await waitFor(async () => (await h.sync.getStatus(old.jobId)).itemsProcessed >= 4, 'the old sync\'s first batch');
      assert.equal(await h.sync.isSyncActive(h.profile.name), true, 'found under its old id');
      await assert.rejects(h.sync.startFullSync(h.profile.id), (err: unknown) => {
        assert.ok(err instanceof SyncInProgressError, `got ${(err as Error).name}: ${(err as Error).message}`);
        assert.equal(err.runningJobId, old.jobId);
        return true;
      });
      // Cancelled while its next batch (4 × 200 ms) surely runs: a cancel that races the scheduling of an
      // activity trips the Java test server.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await h.sync.cancelSync(old.jobId, { by: 'test', reason: 'old id' }), true, 'cancelled by its recorded workflow id');
      await assert.rejects(h.sync.waitForResult(old.jobId), (err: unknown) => (err as Error).name === 'CancelledError');
      assert.equal((await env.client.workflow.getHandle(old.workflowId).describe()).status.name, 'CANCELLED');
      const next = await h.sync.startFullSync(h.profile.id);
      assert.equal(next.workflowId, `music-sync/profile/${h.profile.name}/sync`);
      assert.equal((await h.sync.waitForResult(next.jobId)).status, 'completed');
    });
  });

  test('continue-as-new carries the pending requests and the state; no request is lost', { timeout: 180_000 }, async () => {
    const h = await harness('continue', 2, newFaults());
    await h.worker.runUntil(async () => {
      await h.sync.pause(h.profile.name, { reason: 'holding requests' });
      const handle = env.client.workflow.getHandle(actorIdForProfile(h.profile.name));
      const firstRun = (await handle.describe()).runId;
      // Each request is a history event; enough of them make the idle actor hand over to a new run.
      const requests = 2_100;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < requests; i++) {
        sends.push(h.request({ mode: i === 1_000 ? 'full' : 'incremental', source: 'watch' }));
        if (sends.length === 50) await Promise.all(sends.splice(0));
      }
      await Promise.all(sends);
      await waitFor(async () => (await handle.describe()).runId !== firstRun, 'the actor to continue as new');
      const state = await h.state();
      assert.equal(state.paused?.reason, 'holding requests', 'the pause is carried');
      assert.equal(state.pending?.requests, requests, 'every request is carried');
      assert.equal(state.pending?.mode, 'full');
      await h.sync.resume(h.profile.name);
      await waitFor(async () => (await h.jobs()).length === 1 && (await h.jobs()).every((j) => ENDED.has(j.status)), 'the one sync of them all');
      assert.equal((await h.jobs())[0]!.mode, 'full');
      await saveHistory('continued-as-new', actorIdForProfile(h.profile.name), firstRun);
    });
  });
});

/** The generation of the actor's code the saved histories are recorded with: raise it with every change
 * behind `patched()` (actor-v2: syncs named after the profile, cancelCurrent requests cancellation). */
const ACTOR_HISTORY_GENERATION = 'actor-v2';

/** UPDATE_HISTORIES=1 saves the actor's history for the replay test (test/workflows/replay.test.ts). */
async function saveHistory(name: string, workflowId: string, runId?: string, on: TestWorkflowEnvironment = env): Promise<void> {
  if (!process.env.UPDATE_HISTORIES) return;
  const history = await on.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  await writeFile(path.join(import.meta.dirname, '..', 'histories', `${ACTOR_HISTORY_GENERATION}-${name}.history.bin`), bytes);
}

// Workflow behaviour in Temporal's time-skipping test server, with the real activities against a real
// Postgres and real folders. Faults and delays come from a test provider registered beside `local`.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { ApplicationFailure } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type SyncActivities } from '../../src/activities/index.ts';
import { reconcileJobs } from '../../src/client/reconcile.ts';
import { SyncClient, type StartedSync } from '../../src/client/sync-client.ts';
import type { SyncConfig } from '../../src/contract/config.ts';
import { SYNC_WORKFLOW_TYPE, type SyncResult } from '../../src/contract/sync.ts';
import { networkPolicyOf } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import {
  SyncCancelledError, SyncFailedError, SyncInProgressError, SyncProviderError, SyncTimeoutError,
} from '../../src/client/errors.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import type { ProviderRegistry } from '../../src/providers/registry.ts';
import { ACTIVITY_HEARTBEAT_TUNING, bundleWorkflows, createSyncWorker } from '../../src/workers/worker.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { startSyncDirectly } from '../helpers/legacy-start.ts';
import { faultyRegistry, newFaults, overLocal, type Faults } from '../helpers/providers.ts';
import { createTimeSkippingEnv } from '../helpers/temporal.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const SAMPLES = ['04 Long Drive.flac', 'id3v2.3.mp3', 'id3v2.4.mp3', 'issue_56.mp3', 'flac.flac', 'not-an-audio-file.txt'];

let env: TestWorkflowEnvironment;
let testDb: TestDb;
let bundle: WorkflowBundleWithSourceMap;
let tmp: string;
let queueNo = 0;

before(async () => {
  [env, testDb, bundle] = await Promise.all([createTimeSkippingEnv(), startTestDb(), bundleWorkflows()]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-wf-'));
});

after(async () => {
  await env?.teardown();
  await testDb?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A folder of `copies` audio files (corpus samples under distinct names) and one text file. */
async function makeFolder(name: string, copies: number): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < copies; i++) {
    const sample = SAMPLES[i % (SAMPLES.length - 1)]!;
    const target = path.join(dir, `disc${Math.floor(i / 10)}`, `${String(i).padStart(3, '0')}-${sample}`);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(CORPUS, sample), target);
  }
  await writeFile(path.join(dir, 'notes.txt'), 'not music');
  return dir;
}

interface Harness {
  sync: SyncClient;
  worker: Worker;
  faults: Faults;
  profileId: string;
  root: string;
}

/** A worker on a queue of its own with the real activities; `wrap` may put a fault or a side effect
 * in front of one of them (the real activity still does the work). */
async function harness(name: string, files: number, faults: Faults, wrap?: (real: SyncActivities) => Partial<SyncActivities>): Promise<Harness> {
  const taskQueue = `wf-test-${++queueNo}`;
  const providers: ProviderRegistry<string> = faultyRegistry(faults);
  const real = createActivities({ db: testDb.db, providers });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    ...ACTIVITY_HEARTBEAT_TUNING,
    activities: { ...real, ...wrap?.(real) },
  });
  const sync = new SyncClient({ temporal: env.client, db: testDb.db, providers, taskQueue, searchAttributes: false });
  const root = await makeFolder(name, files);
  const profile = await sync.registerProfile({ name, provider: 'faulty', root });
  return { sync, worker, faults, profileId: profile.id, root };
}

/** Starts a full sync of the harness's profile and waits for its result, while its worker runs (the
 * profile's actor answers the start). */
async function runToEnd(h: Harness, config: Partial<SyncConfig>): Promise<{ started: StartedSync; result: SyncResult }> {
  return h.worker.runUntil(async () => {
    const started = await h.sync.startFullSync(h.profileId, config);
    return { started, result: await h.sync.waitForResult(started.jobId) };
  });
}

/** Like runToEnd, for a sync that must end in an error: the error its result is. */
async function runToError(h: Harness, config: Partial<SyncConfig>): Promise<{ started: StartedSync; error: unknown }> {
  return h.worker.runUntil(async () => {
    const started = await h.sync.startFullSync(h.profileId, config);
    const error = await h.sync.waitForResult(started.jobId).then(
      (result) => assert.fail(`job ${started.jobId} ended ${result.status}, not in an error`),
      (err: unknown) => err,
    );
    return { started, error };
  });
}

/** A sync started as a client of the version before profile actors did, on a queue no worker polls:
 * its run never records anything. */
function startIdleSync(profileId: string, config?: Partial<SyncConfig>): Promise<StartedSync> {
  return startSyncDirectly(env.client, testDb.db, { profileId, taskQueue: `wf-idle-${++queueNo}`, ...(config ? { config } : {}) });
}

/** Everything a job can write: its queue, the profile's tracks, its counters and its events. */
async function writtenBy(jobId: string, profileId: string): Promise<unknown> {
  const { db } = testDb;
  return {
    items: await db.selectFrom('scan_items').select(['id', 'status', 'outcome', 'track_id', 'reason']).where('job_id', '=', jobId).orderBy('id').execute(),
    tracks: await db.selectFrom('tracks').select(['id', 'path', 'updated_at', 'deleted_at']).where('profile_id', '=', profileId).orderBy('id').execute(),
    job: await db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow(),
    events: await db.selectFrom('sync_events').select(['id', 'key', 'type']).where('job_id', '=', jobId).orderBy('id').execute(),
  };
}

async function activityTypes(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name!);
}

/** The generation of the workflow code the saved histories are recorded with: raise it with every
 * change behind `patched()`, so the histories of each generation stay beside the newer ones. */
const HISTORY_GENERATION = 'v6';

/** UPDATE_HISTORIES=1 saves the run's history for the replay test (test/workflows/replay.test.ts). The
 * job's run is the profile actor's child under the profile's sync workflow id: its latest run there. */
async function saveHistory(name: string, workflowId: string): Promise<void> {
  if (!process.env.UPDATE_HISTORIES) return;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  assert.equal(type, SYNC_WORKFLOW_TYPE, `the history saved as ${name} is the sync's own`);
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  await writeFile(path.join(import.meta.dirname, '..', 'histories', `${HISTORY_GENERATION}-${name}.history.bin`), bytes);
}

/** The run's current details, as the Web UI reads them (the workflow metadata query). */
async function currentDetails(workflowId: string): Promise<string> {
  const metadata = await env.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** Each scheduled activity's type and summary, in order. */
async function activitySummaries(workflowId: string): Promise<{ type: string; summary: string | undefined }[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).map((e) => {
    const data = e.userMetadata?.summary?.data;
    return {
      type: e.activityTaskScheduledEventAttributes!.activityType!.name!,
      summary: data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined,
    };
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('syncWorkflow (time-skipping)', () => {
  test('runs the phases in order and records them as events', { timeout: 120_000 }, async () => {
    const h = await harness('phases', 12, newFaults());
    // The progress query is answered by a worker, so it is asked while this one still runs.
    const [started, result, progress, details] = await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profileId, { batchSize: 5, parallelBatches: 1 });
      const result = await h.sync.waitForResult(started.jobId);
      return [started, result, await h.sync.progress(started.jobId), await currentDetails(started.workflowId)] as const;
    });
    assert.equal(started.workflowId, 'music-sync/profile/phases/sync', 'named after the profile');
    const outcomes = `${result.counters.itemsAdded} added${result.counters.itemsFailed ? `, ${result.counters.itemsFailed} failed` : ''}`;
    assert.match(details, new RegExp(`^\\*\\*completed\\*\\* — 12 of 12 files, [\\d.]+ (B|KiB|MiB) read\n\n${outcomes}$`));
    const summaries = (await activitySummaries(started.workflowId)).filter((a) => a.type !== 'enterPhase' && a.type !== 'startJob' && a.type !== 'validateSession');
    assert.deepEqual(summaries.map((a) => a.summary), [
      'discover (full)', 'filter (full): 13 files listed', 'batch 1, up to 5 files', 'batch 2, up to 5 files', 'batch 3, up to 5 files',
      'resolve: deletions and duplicate groups', 'complete: completed',
    ]);
    assert.equal(result.status, 'completed');
    assert.equal(result.counters.itemsDiscovered, 13);
    assert.equal(result.counters.itemsFiltered, 1);
    assert.equal(result.counters.itemsProcessed, 12);

    const types = await activityTypes(started.workflowId);
    const phases = types.filter((t) => t !== 'enterPhase' && t !== 'processBatch');
    assert.deepEqual(phases, ['startJob', 'validateSession', 'discover', 'filter', 'resolveConflicts', 'completeJob']);
    assert.equal(types.filter((t) => t === 'processBatch').length, 3, '12 items in batches of 5');

    const events = await testDb.db.selectFrom('sync_events').select(['key', 'type']).where('job_id', '=', started.jobId).orderBy('id').execute();
    const keys = events.map((e) => e.key).filter((k) => k.startsWith('phase:') || k === 'started' || k === 'terminal');
    assert.deepEqual(keys, [
      'started', 'phase:validate', 'phase:discover', 'phase:filter', 'phase:process', 'phase:resolve', 'phase:complete', 'terminal',
    ]);
    assert.equal(events.at(-1)!.type, 'completed');
    // The database owns the counters; what the workflow shows in its progress query is their copy.
    const job = await h.sync.getStatus(started.jobId);
    assert.equal(progress.phase, 'complete');
    assert.equal(job.phase, 'complete');
    assert.deepEqual(progress.counters, result.counters);
    assert.equal(progress.counters.itemsProcessed, job.itemsProcessed);
    assert.equal(progress.counters.bytesRead, job.bytesRead);
    await saveHistory('full-sync', started.workflowId);
  });

  test('continues as new between batches and carries its counters across runs', { timeout: 120_000 }, async () => {
    const h = await harness('continue', 25, newFaults());
    const { started, result } = await runToEnd(h, { batchSize: 2, historyEventsPerRun: 30 });
    assert.equal(result.status, 'completed');
    assert.equal(result.counters.itemsProcessed, 25);
    assert.equal(result.counters.itemsDiscovered, 26);
    // The latest run's start event names the run it continued.
    const last = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    const startedEvent = last.events![0]!.workflowExecutionStartedEventAttributes!;
    assert.ok(startedEvent.continuedExecutionRunId, 'the last run continued an earlier one');
    assert.notEqual(startedEvent.originalExecutionRunId, undefined);
    const job = await h.sync.getStatus(started.jobId);
    assert.equal(job.itemsProcessed, 25);
    assert.equal(job.status, 'completed');
    await saveHistory('continued-as-new', started.workflowId);
  });

  test('retries a failing activity and then succeeds', { timeout: 120_000 }, async () => {
    const h = await harness('retry', 3, newFaults({ listFailures: 2 }));
    const { started, result } = await runToEnd(h, { retryAttempts: 5 });
    assert.equal(result.status, 'completed');
    assert.equal(result.counters.itemsProcessed, 3);
    assert.equal(h.faults.listCalls, 3, 'two failed attempts and one that listed everything');
    const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.ok(attempts.includes(3), `the discover activity ran a third attempt (attempts: ${attempts.join(',')})`);
    await saveHistory('retried-discover', started.workflowId);
  });

  test('fails the job with the provider reason once retries are exhausted', { timeout: 120_000 }, async () => {
    const h = await harness('exhausted', 3, newFaults({ listFailures: 100 }));
    const { started, error } = await runToError(h, { retryAttempts: 2 });
    assert.ok(error instanceof SyncProviderError, `got ${(error as Error).name}`);
    assert.equal(error.kind, 'unavailable');
    assert.equal(h.faults.listCalls, 2);
    const job = await h.sync.getStatus(started.jobId);
    assert.equal(job.status, 'failed');
    assert.match(job.error ?? '', /injected 503/);
    const failed = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', started.jobId).where('type', '=', 'failed').execute();
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.payload as { recoverable: boolean }).recoverable, true);
  });

  for (const how of ['signal', 'cancellation request'] as const) {
    test(`cancels mid-process by ${how}, keeping every written row whole`, { timeout: 120_000 }, async () => {
      const h = await harness(`cancel-${how.replace(' ', '-')}`, 30, newFaults({ openDelayMs: 150 }));
      const started = await h.worker.runUntil(async () => {
        const started = await h.sync.startFullSync(h.profileId, { batchSize: 4, maxConcurrentDownloads: 1, parallelBatches: 1 });
        await waitFor(async () => (await h.sync.getStatus(started.jobId)).itemsProcessed >= 4, 'a first batch');
        // While it runs, the Web UI's current details say the phase and how far it got.
        assert.match(await currentDetails(started.workflowId), /^\*\*process\*\* — \d+ of 30 files, [\d.,]+ (B|KiB|MiB) read/);
        // Cancel while the next batch (4 × 150 ms) is surely running: a cancel that races the scheduling
        // of an activity trips the Java test server (ACTIVITY_UNKNOWN, then a stuck run); the real
        // server orders the two itself.
        await new Promise((r) => setTimeout(r, 200));
        if (how === 'signal') assert.equal(await h.sync.cancelSync(started.jobId, { by: 'test', reason: 'mid-process' }), true);
        else await env.client.workflow.getHandle(started.workflowId).cancel();
        await assert.rejects(h.sync.waitForResult(started.jobId), SyncCancelledError);
        // Ended as Canceled in the Web UI, whichever way, with who and why in its final details.
        assert.equal((await env.client.workflow.getHandle(started.workflowId).describe()).status.name, 'CANCELLED');
        const details = await currentDetails(started.workflowId);
        assert.match(details, /^\*\*cancelled\*\* — \d+ of 30 files/);
        assert.match(details, how === 'signal' ? /cancelled by test: mid-process/ : /cancelled by cancellation request/);
        return started;
      });
      const job = await h.sync.getStatus(started.jobId);
      assert.equal(job.status, 'cancelled');
      const by = how === 'signal' ? ['test', 'mid-process'] : ['cancellation request', null];
      assert.deepEqual([job.cancelledBy, job.cancelReason], by);
      assert.ok(job.itemsProcessed >= 4 && job.itemsProcessed < 30, `processed ${job.itemsProcessed}`);
      const done = await testDb.db.selectFrom('scan_items').select('track_id').where('job_id', '=', started.jobId).where('status', '=', 'done').execute();
      const tracks = await testDb.db.selectFrom('tracks').selectAll().where('profile_id', '=', h.profileId).execute();
      assert.equal(tracks.length, done.length, 'one track per processed item, none half-written');
      for (const t of tracks) assert.ok(t.content_hash.startsWith('sha256:') && t.title.length > 0);
      const events = await testDb.db.selectFrom('sync_events').select(['type', 'payload']).where('job_id', '=', started.jobId).orderBy('id').execute();
      assert.equal(events.at(-1)!.type, 'cancelled');
      assert.equal((events.at(-1)!.payload as { cancelledBy?: string }).cancelledBy, by[0]);
      assert.equal(await h.sync.cancelSync(started.jobId), false, 'a finished job cannot be cancelled again');
      await saveHistory(`cancel-by-${how.replace(' ', '-')}`, started.workflowId);
    });
  }

  test('ends as timed out at the graceful deadline before the run timeout', { timeout: 180_000 }, async () => {
    const h = await harness('timeout', 40, newFaults({ openDelayMs: 1500 }));
    // One batch of 40 × 1.5 s: the deadline (15 s in) always lands inside it, never between two
    // activities (a cancel racing an activity's scheduling trips the Java test server).
    const { started, error } = await runToError(h, { syncTimeoutSecs: 20, batchSize: 40, maxConcurrentDownloads: 1, parallelBatches: 1 });
    assert.ok(error instanceof SyncTimeoutError, `got ${(error as Error).name}`);
    const job = await h.sync.getStatus(started.jobId);
    assert.equal(job.status, 'timed_out');
    assert.equal(job.errorKind, 'timeout');
    assert.ok(job.itemsProcessed < 40);
    const failed = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', started.jobId).where('type', '=', 'failed').executeTakeFirstOrThrow();
    assert.equal((failed.payload as { kind: string }).kind, 'timeout');
    const description = await env.client.workflow.getHandle(started.workflowId).describe();
    assert.equal(description.status.name, 'FAILED', 'ended by the workflow itself, not killed by the run timeout');
    await saveHistory('graceful-timeout', started.workflowId);
  });

  test('a worker given a metered network postpones wifiOnly syncs of providers that use the network', { timeout: 120_000 }, async () => {
    const taskQueue = `wf-test-${++queueNo}`;
    const providers = faultyRegistry(newFaults()).with(
      overLocal('netlocal', (p) => Object.assign(new LocalProvider(p.root), { usesNetwork: true })),
    );
    const worker = await createSyncWorker({
      connection: env.nativeConnection, taskQueue, workflowBundle: bundle, db: testDb.db, providers,
      networkPolicy: networkPolicyOf(readSettings({ MUSIC_SYNC_METERED: '1' })),
    });
    const sync = new SyncClient({ temporal: env.client, db: testDb.db, providers, taskQueue, searchAttributes: false });
    const profile = await sync.registerProfile({ name: 'metered', provider: 'netlocal', root: await makeFolder('metered', 2) });
    await worker.runUntil(async () => {
      const postponed = await sync.startFullSync(profile.id, { wifiOnly: true });
      await assert.rejects(sync.waitForResult(postponed.jobId), (err: unknown) => {
        assert.ok(err instanceof SyncFailedError, `got ${(err as Error).name}`);
        assert.match(err.message, /network is metered/);
        return true;
      });
      const job = await sync.getStatus(postponed.jobId);
      assert.deepEqual([job.status, job.errorKind, job.itemsDiscovered], ['failed', 'NetworkPolicy', 0]);
      // The same worker syncs the profile when the sync does not ask for Wi-Fi.
      const allowed = await sync.startFullSync(profile.id);
      assert.equal((await sync.waitForResult(allowed.jobId)).counters.itemsProcessed, 2);
    });
  });

  test('a second start for the same profile is SyncInProgress; other profiles run in parallel', { timeout: 120_000 }, async () => {
    // The first sync's batches wait until the second start has been refused: it surely still runs then.
    let release!: () => void;
    const refused = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = await harness('busy-a', 10, newFaults({ openDelayMs: 20 }), (real) => ({
      async processBatch(input) {
        await refused;
        return real.processBatch(input);
      },
    }));
    const b = await harness('busy-b', 4, newFaults());
    await a.worker.runUntil(
      b.worker.runUntil(async () => {
        const first = await a.sync.startFullSync(a.profileId);
        let other: StartedSync;
        try {
          await assert.rejects(a.sync.startFullSync(a.profileId), (err: unknown) => {
            assert.ok(err instanceof SyncInProgressError, `got ${(err as Error).name}: ${(err as Error).message}`);
            assert.equal(err.runningJobId, first.jobId);
            return true;
          });
          assert.equal(await a.sync.isSyncActive(a.profileId), true);
          other = await b.sync.startFullSync(b.profileId);
        } finally {
          // Whatever failed, the held batches go on, so the worker can stop.
          release();
        }
        const [ra, rb] = await Promise.all([a.sync.waitForResult(first.jobId), b.sync.waitForResult(other.jobId)]);
        assert.equal(ra.status, 'completed');
        assert.equal(rb.status, 'completed');
        assert.equal(await a.sync.isSyncActive(a.profileId), false);
        // Once the first run closed, the same profile can sync again.
        const again = await a.sync.startFullSync(a.profileId);
        assert.equal((await a.sync.waitForResult(again.jobId)).status, 'completed');
      }),
    );
  });
  test('a batch loop that fails stops the other loop first: nothing is written after the terminal event', { timeout: 180_000 }, async () => {
    const faults = newFaults({ openDelayMs: 300 });
    // Slot 0 fails while slot 1's batch (4 files × 300 ms) reads its second file, just after that
    // batch's first heartbeat: it only hears of a cancellation at its next one, 2 s later, and by then
    // it has written its batch.
    const h = await harness('settle', 16, faults, (real) => ({
      async processBatch(input) {
        if (input.slot !== 0) return real.processBatch(input);
        while (faults.opened < 2) await new Promise((r) => setTimeout(r, 10));
        throw ApplicationFailure.nonRetryable('injected database outage', 'Injected');
      },
    }));
    const started = await h.worker.runUntil(async () => {
      const started = await h.sync.startFullSync(h.profileId, { batchSize: 4, maxConcurrentDownloads: 1, parallelBatches: 2, retryAttempts: 1 });
      await assert.rejects(h.sync.waitForResult(started.jobId), (err: unknown) => {
        assert.ok(err instanceof SyncFailedError, `got ${(err as Error).name}`);
        assert.match(err.message, /injected database outage/);
        return true;
      });
      const atEnd = await writtenBy(started.jobId, h.profileId);
      // Longer than the rest of slot 1's batch would take, with the worker still running.
      await new Promise((r) => setTimeout(r, 3_000));
      assert.deepEqual(await writtenBy(started.jobId, h.profileId), atEnd, 'nothing changed after the job ended');
      return started;
    });
    const job = await h.sync.getStatus(started.jobId);
    assert.deepEqual([job.status, job.errorKind], ['failed', 'Injected']);
    const events = await testDb.db.selectFrom('sync_events').select(['key', 'type']).where('job_id', '=', started.jobId).orderBy('id').execute();
    assert.deepEqual(events.at(-1), { key: 'terminal', type: 'failed' }, 'the terminal event is the last one');
    // Whatever slot 1 wrote, it wrote whole, before the ending: the counters are those of the items.
    const finished = await testDb.db.selectFrom('scan_items').select('id').where('job_id', '=', started.jobId).where('status', 'in', ['done', 'failed']).execute();
    assert.equal(job.itemsProcessed, finished.length);
    const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    assert.ok(history.events!.some((e) => e.activityTaskCancelRequestedEventAttributes), 'the other loop\'s batch was cancelled');
    await saveHistory('loop-failure-settled', started.workflowId);
  });

  for (const how of ['signal', 'cancellation request'] as const) {
    test(`a cancel by ${how} that comes as the run continues as new ends the job`, { timeout: 120_000 }, async () => {
      let sent = false;
      // The cancel reaches the workflow while the batch after which the run continues as new is
      // finishing: the batch completes anyway, and the run must not continue as new without it.
      const h: Harness = await harness(`cancel-can-${how.replace(' ', '-')}`, 8, newFaults(), (real) => ({
        async processBatch(input) {
          const result = await real.processBatch(input);
          if (!sent) {
            sent = true;
            const job = await h.sync.getStatus(input.jobId);
            if (how === 'signal') assert.equal(await h.sync.cancelSync(input.jobId, { by: 'test', reason: 'at continue-as-new' }), true);
            else await env.client.workflow.getHandle(job.workflowId).cancel();
            // The workflow records its request to cancel this batch before the batch reports done: a
            // completion racing that request trips the Java test server (ACTIVITY_UNKNOWN).
            await new Promise((r) => setTimeout(r, 1_000));
          }
          return result;
        },
      }));
      const { started, error } = await runToError(h, { batchSize: 2, parallelBatches: 1, historyEventsPerRun: 1 });
      assert.ok(error instanceof SyncCancelledError, `got ${(error as Error).name}`);
      const job = await h.sync.getStatus(started.jobId);
      assert.equal(job.status, 'cancelled');
      assert.deepEqual([job.cancelledBy, job.cancelReason], how === 'signal' ? ['test', 'at continue-as-new'] : ['cancellation request', null]);
      assert.equal(job.itemsProcessed, 2, 'only the first batch ran');
      const terminal = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', started.jobId).where('key', '=', 'terminal').executeTakeFirstOrThrow();
      assert.equal((terminal.payload as { reconciled?: unknown }).reconciled, undefined, 'the workflow ended the job itself');
      const description = await env.client.workflow.getHandle(started.workflowId).describe();
      assert.equal(description.runId, started.runId, 'the run did not continue as new');
      assert.equal(description.status.name, 'CANCELLED');
      await saveHistory(`cancel-at-continue-as-new-by-${how.replace(' ', '-')}`, started.workflowId);
    });
  }

  test('each job is bound to its run chain: an old job\'s cancel, progress and result never touch a newer job', { timeout: 120_000 }, async () => {
    const h = await harness('bound', 4, newFaults());
    await h.worker.runUntil(async () => {
      const first = await h.sync.startFullSync(h.profileId);
      assert.equal((await h.sync.waitForResult(first.jobId)).status, 'completed');
      // A newer job of the same profile, started the way a client of the version before profile actors
      // did, that no worker picks up.
      const second = await startIdleSync(h.profileId);
      assert.equal((await h.sync.getStatus(second.jobId)).runId, second.runId, 'the job is bound to its run chain');
      const old = await h.sync.waitForResult(first.jobId);
      assert.deepEqual([old.jobId, old.status], [first.jobId, 'completed'], 'the old job\'s result, not the running one\'s');
      const progress = await h.sync.progress(first.jobId);
      assert.deepEqual([progress.jobId, progress.phase, progress.status], [first.jobId, 'complete', 'completed']);
      assert.deepEqual(progress.counters, old.counters);
      assert.equal(await h.sync.cancelSync(first.jobId), false);

      // The second job's run is terminated before it recorded anything: its row still says queued.
      await env.client.workflow.getHandle(second.workflowId).terminate('operator stopped it');
      assert.equal((await testDb.db.selectFrom('sync_jobs').select('status').where('id', '=', second.jobId).executeTakeFirstOrThrow()).status, 'queued');
      const third = await h.sync.startFullSync(h.profileId);
      assert.equal(await h.sync.cancelSync(second.jobId, { by: 'test' }), false, 'cancelling the old job does not stop the newer one');
      const reconciled = await h.sync.getStatus(second.jobId);
      assert.deepEqual([reconciled.status, reconciled.errorKind, reconciled.phase], ['failed', 'terminated', 'complete']);
      assert.match(reconciled.error ?? '', /terminated: operator stopped it/);
      const terminal = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', second.jobId).where('key', '=', 'terminal').executeTakeFirstOrThrow();
      assert.equal(terminal.type, 'failed');
      assert.deepEqual((terminal.payload as { reconciled?: unknown }).reconciled, { from: 'TERMINATED', runId: second.runId });
      await assert.rejects(h.sync.waitForResult(second.jobId), SyncFailedError);

      const result = await h.sync.waitForResult(third.jobId);
      assert.deepEqual([result.jobId, result.status], [third.jobId, 'completed'], 'the newest job ran undisturbed');
      const job = await h.sync.getStatus(third.jobId);
      assert.deepEqual([job.runId, job.cancelledBy], [third.runId, null]);
    });
  });

  test('a run the server times out is reconciled: by waitForResult, and by reconcileJobs for a terminated one', { timeout: 120_000 }, async () => {
    const sync = new SyncClient({ temporal: env.client, db: testDb.db, providers: faultyRegistry(newFaults()), searchAttributes: false });
    const profile = await sync.registerProfile({ name: 'reconcile', provider: 'faulty', root: await makeFolder('reconcile', 2) });
    // No worker polls the queue: the run never records anything and the server times it out (time is skipped).
    const started = await startIdleSync(profile.id, { syncTimeoutSecs: 10 });
    // Lets the server's clock pass the run timeout before the result is awaited, rather than counting
    // on time being skipped while it is: that wait once outlasted the test.
    await env.sleep('15s');
    await assert.rejects(sync.waitForResult(started.jobId), SyncTimeoutError);
    const job = await sync.getStatus(started.jobId);
    assert.deepEqual([job.status, job.errorKind], ['timed_out', 'timeout']);
    const terminal = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', started.jobId).where('key', '=', 'terminal').executeTakeFirstOrThrow();
    assert.deepEqual((terminal.payload as { reconciled?: unknown }).reconciled, { from: 'TIMED_OUT', runId: started.runId });

    const next = await startIdleSync(profile.id);
    await env.client.workflow.getHandle(next.workflowId).terminate('gone');
    const pass = await reconcileJobs({ db: testDb.db, temporal: env.client });
    assert.ok(pass.reconciled.some((r) => r.id === next.jobId && r.status === 'failed'), 'the terminated job is reconciled');
    const again = await reconcileJobs({ db: testDb.db, temporal: env.client });
    assert.ok(!again.reconciled.some((r) => r.id === next.jobId), 'once');
    const terminals = await testDb.db.selectFrom('sync_events').select('id').where('job_id', '=', next.jobId).where('key', '=', 'terminal').execute();
    assert.equal(terminals.length, 1);
  });

  test('the mass-deletion guard ends a job as needs_review; a confirmed sync deletes', { timeout: 180_000 }, async () => {
    const h = await harness('guard', 30, newFaults());
    await h.worker.runUntil(async () => {
      const first = await h.sync.startFullSync(h.profileId);
      await h.sync.waitForResult(first.jobId);
      const live = (await h.sync.tracks(h.profileId)).length;
      assert.ok(live >= 20, `${live} tracks, at least massDeleteMinTracks`);
      const cursor = await h.sync.currentCursor(h.profileId);
      // The folder is there but empty: an unmounted drive looks like this.
      for (const entry of await readdir(h.root)) await rm(path.join(h.root, entry), { recursive: true });

      const held = await h.sync.startFullSync(h.profileId);
      const result = await h.sync.waitForResult(held.jobId);
      assert.equal(result.status, 'needs_review');
      assert.match(result.needsReview ?? '', new RegExp(`no longer has ${live} of the ${live} tracks`));
      assert.match(result.needsReview ?? '', /music-sync sync guard --confirm-deletions/);
      const job = await h.sync.getStatus(held.jobId);
      assert.deepEqual([job.status, job.itemsDeleted, job.tracksBefore], ['needs_review', 0, live]);
      assert.equal((await h.sync.tracks(h.profileId)).length, live, 'nothing deleted');
      assert.equal(await h.sync.currentCursor(h.profileId), cursor, 'the old snapshot is kept');
      const terminal = await testDb.db.selectFrom('sync_events').selectAll().where('job_id', '=', held.jobId).where('key', '=', 'terminal').executeTakeFirstOrThrow();
      assert.equal(terminal.type, 'needs_review');
      assert.deepEqual(
        { ...(terminal.payload as object), counters: undefined, needsReview: undefined },
        { status: 'needs_review', counters: undefined, needsReview: undefined, gone: live, baseline: live, confirmCommand: 'music-sync sync guard --confirm-deletions' },
      );

      const confirmed = await h.sync.startFullSync(h.profileId, { confirmDeletions: true });
      const done = await h.sync.waitForResult(confirmed.jobId);
      assert.deepEqual([done.status, done.counters.itemsDeleted, done.needsReview], ['completed', live, null]);
      assert.equal((await h.sync.tracks(h.profileId)).length, 0);
    });
  });
});

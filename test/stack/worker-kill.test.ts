// A worker killed mid-batch (SIGKILL: it says no goodbye to the server) is replaced by another, which
// takes the sync over. Measured on the real dev server and Postgres, with the workers in child
// processes: from the kill until the killed batches start again on the new worker, and until the
// job's processed counter moves again.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { readSettings } from '../../src/app/settings.ts';
import { SyncClient } from '../../src/client/sync-client.ts';
import { DEFAULT_SYNC_CONFIG } from '../../src/contract/config.ts';
import { countItems } from '../../src/db/scan-items.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { ensureSearchAttributes } from '../../src/stack/search-attributes.ts';
import { startTemporal, type TemporalHandle } from '../../src/stack/temporal.ts';
import { generateLibrary } from '../../src/testing/fixtures.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { spawnWorker, workflowBundleFile, type WorkerProcess } from '../helpers/worker-process.ts';

const FILES = 3000;
/** The kill lands after this many files, well inside the process phase. */
const KILL_AFTER = 600;
/** The killed batches run again on the new worker within this time. */
const TAKEOVER_LIMIT_MS = 15_000;
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

let tmp: string;
let testDb: TestDb;
let temporal: TemporalHandle;
let connection: Connection;
const workers: WorkerProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function epochMs(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.round((time?.nanos ?? 0) / 1e6);
}

describe('a worker killed mid-batch', { timeout: 300_000 }, () => {
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-worker-kill-'));
    testDb = await startTestDb();
    temporal = await startTemporal({ settings: readSettings().temporal, dataDir: path.join(tmp, 'temporal'), ui: false });
    connection = await Connection.connect({ address: temporal.address });
    if (!temporal.started) await ensureSearchAttributes(connection, temporal.namespace);
  });

  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await connection?.close();
    await temporal?.stop();
    await testDb?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test(`is taken over by a new worker within ${TAKEOVER_LIMIT_MS / 1000} s, and the sync completes with every file counted once`, async (t) => {
    const root = path.join(tmp, 'library');
    await generateLibrary(root, FILES, 7);
    const taskQueue = `worker-kill-${process.pid}`;
    const client = new Client({ connection, namespace: temporal.namespace });
    const sync = new SyncClient({ temporal: client, db: testDb.db, providers: defaultProviders(), taskQueue });
    const workerConfig = {
      temporalAddress: temporal.address, databaseUrl: testDb.url, namespace: temporal.namespace, taskQueue,
      workflowBundlePath: await workflowBundleFile(),
    };
    const first = await spawnWorker(workerConfig);
    workers.push(first);

    const profile = await sync.registerProfile({ name: 'worker-kill', provider: 'local', root });
    const { jobId, workflowId } = await sync.startFullSync(profile.id);
    const processed = async () => (await sync.getStatus(jobId)).itemsProcessed;
    const runningBatches = async () =>
      ((await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? []).filter(
        (a) => a.activityType?.name === 'processBatch' && a.state === STARTED,
      );
    const slots = DEFAULT_SYNC_CONFIG.parallelBatches;

    // Mid-batch: every batch loop has its processBatch running (between batches the loops wait on a
    // workflow task instead, which the sticky queue's timeout hands over).
    let doneAtKill = 0;
    const killed = await until('every batch loop mid-batch, well into the process phase', 120_000, async () => {
      doneAtKill = await processed();
      if (doneAtKill < KILL_AFTER) return undefined;
      const running = await runningBatches();
      return running.length === slots ? running.map((a) => a.activityId!) : undefined;
    });
    const killedAt = Date.now();
    first.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const second = await spawnWorker(workerConfig);
    workers.push(second);
    const readyAfterMs = Date.now() - killedAt;

    // The server's start time of each killed batch's next attempt, on the new worker.
    const restartedAt = new Map<string, number>();
    const restartAfterMs = await until('the killed batches running again', 60_000, async () => {
      for (const a of await runningBatches()) {
        if (killed.includes(a.activityId!) && (a.attempt ?? 1) > 1) restartedAt.set(a.activityId!, epochMs(a.lastStartedTime));
      }
      return restartedAt.size === killed.length ? Math.max(...restartedAt.values()) - killedAt : undefined;
    });
    // Each loop's slot of the queue shrinks again once its batch is committed.
    const pending = (slot: number) => countItems(testDb.db, jobId, 'pending', { slot, slots }).then(Number);
    const pendingAtKill = await Promise.all(Array.from({ length: slots }, (_, slot) => pending(slot)));
    const movedAfterMs = await Promise.all(
      pendingAtKill.map((left, slot) =>
        until(`batch loop ${slot} moving again`, 60_000, async () => ((await pending(slot)) < left ? Date.now() - killedAt : undefined)),
      ),
    );
    const result = await sync.waitForResult(jobId);
    const doneAfterMs = Date.now() - killedAt;
    second.kill('SIGTERM');
    await second.exited;

    t.diagnostic(
      `killed with ${killed.length} batches running and ${doneAtKill}/${FILES} files done; new worker polling after ${readyAfterMs} ms; ` +
        `killed batches running again after ${restartAfterMs} ms; the counter of every batch loop moving again after ` +
        `${movedAfterMs.join(' and ')} ms; sync completed ${doneAfterMs} ms after the kill`,
    );
    assert.equal(result.status, 'completed');
    const job = await sync.getStatus(jobId);
    assert.equal(job.itemsProcessed, FILES, 'every file processed exactly once');
    assert.equal(job.itemsAdded, FILES);
    assert.equal((await sync.tracks(profile.id)).length, FILES);
    assert.ok(restartAfterMs < TAKEOVER_LIMIT_MS, `the killed batches ran again only ${restartAfterMs} ms after the kill`);
    assert.ok(Math.max(...movedAfterMs) < TAKEOVER_LIMIT_MS + 5_000, `the counter moved again only ${Math.max(...movedAfterMs)} ms after the kill`);
  });
});

// The workflow's heartbeat timeout is short so that a dead worker's activities move on within seconds;
// a live worker keeps its activities alive however long a step without heartbeats of its own takes
// (here a provider listing that answers after longer than the heartbeat timeout).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readSettings } from '../../src/app/settings.ts';
import { SyncClient } from '../../src/client/sync-client.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { defaultProviders } from '../../src/providers/registry.ts';
import { ensureSearchAttributes } from '../../src/stack/search-attributes.ts';
import { startTemporal, type TemporalHandle } from '../../src/stack/temporal.ts';
import { generateLibrary } from '../../src/testing/fixtures.ts';
import { createSyncWorker } from '../../src/workers/worker.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { overLocal } from '../helpers/providers.ts';
import { quietWorkerLogs } from '../helpers/temporal.ts';

/** Longer than the workflow's heartbeat timeout of the long activities (10 s). */
const LIST_DELAY_MS = 13_000;

let tmp: string;
let testDb: TestDb;
let temporal: TemporalHandle;
let connection: Connection;

describe('a live worker', { timeout: 300_000 }, () => {
  before(async () => {
    quietWorkerLogs();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-keep-alive-'));
    testDb = await startTestDb();
    temporal = await startTemporal({ settings: readSettings().temporal, dataDir: path.join(tmp, 'temporal'), ui: false });
    connection = await Connection.connect({ address: temporal.address });
    if (!temporal.started) await ensureSearchAttributes(connection, temporal.namespace);
  });

  after(async () => {
    await connection?.close();
    await temporal?.stop();
    await testDb?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test(`keeps an activity that runs ${LIST_DELAY_MS / 1000} s without heartbeating alive: no timeout, no retry`, async () => {
    const root = path.join(tmp, 'library');
    await mkdir(root);
    await generateLibrary(root, 20, 3);
    let listCalls = 0;
    const providers = defaultProviders().with(
      overLocal('slow-listing', (profile) => {
        const local = new LocalProvider(profile.root);
        return {
          kind: 'slow-listing',
          usesNetwork: false,
          validate: () => local.validate(),
          async list(token: string | undefined, size: number) {
            listCalls += 1;
            await new Promise((resolve) => setTimeout(resolve, LIST_DELAY_MS));
            return local.list(token, size);
          },
          open: (file) => local.open(file),
        };
      }),
    );
    const taskQueue = `keep-alive-${process.pid}`;
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await createSyncWorker({
      connection: nativeConnection, namespace: temporal.namespace, taskQueue,
      db: testDb.db, providers, networkPolicy: { isMetered: async () => false },
    });
    const sync = new SyncClient({ temporal: new Client({ connection, namespace: temporal.namespace }), db: testDb.db, providers, taskQueue });
    await worker.runUntil(async () => {
      const profile = await sync.registerProfile({ name: 'keep-alive', provider: 'slow-listing', root });
      const { jobId } = await sync.startFullSync(profile.id);
      const result = await sync.waitForResult(jobId);
      assert.equal(result.status, 'completed');
      assert.equal((await sync.tracks(profile.id)).length, 20);
    });
    await nativeConnection.close();
    assert.equal(listCalls, 1, 'the listing ran once: its activity was never timed out and retried');
  });
});

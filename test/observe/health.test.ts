// The health check's parts against real services: a database that answers, one whose connections are
// all taken (a busy worker's pool must not make it sick), and a Temporal address nothing answers on
// (the SDK's pollers would still say POLLING there).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { createDb } from '../../src/db/connect.ts';
import { checkHealth } from '../../src/observe/health.ts';
import { freePort } from '../../src/stack/ports.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

const polling = { getStatus: () => ({ runState: 'RUNNING', workflowPollerState: 'POLLING', activityPollerState: 'POLLING' }) } as unknown as Parameters<typeof checkHealth>[0]['worker'];
const answers = async () => undefined;

let testDb: TestDb;
before(async () => {
  testDb = await startTestDb();
});
after(() => testDb.close());

test('healthy while the worker polls, Temporal answers and the database answers on its own connection', async () => {
  const busyPool = createDb(testDb.url, 1);
  const probeDb = createDb(testDb.url, 1);
  try {
    // The worker's pool is busy for 5 s; the probe's own connection still answers at once.
    const busy = sql`select pg_sleep(5)`.execute(busyPool);
    const health = await checkHealth({ worker: polling, db: probeDb, temporal: answers });
    assert.deepEqual(health, { ok: true, checks: { worker: 'ok', database: 'ok' } });
    await busy;
  } finally {
    await busyPool.destroy();
    await probeDb.destroy();
  }
});

test('unhealthy when nothing answers at the Temporal address, whatever the pollers say', async () => {
  const port = await freePort();
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  const probeDb = createDb(testDb.url, 1);
  try {
    const temporal = () => connection.withDeadline(Date.now() + 1_000, () => connection.workflowService.getSystemInfo({}));
    const health = await checkHealth({ worker: polling, db: probeDb, temporal });
    assert.equal(health.ok, false);
    assert.match(health.checks.worker, /^cannot reach Temporal: /);
    assert.equal(health.checks.database, 'ok');
  } finally {
    await probeDb.destroy();
    await connection.close();
  }
});

test('unhealthy when the database does not answer', async () => {
  const port = await freePort();
  const probeDb = createDb(`postgres://nobody@127.0.0.1:${port}/none`, 1);
  try {
    const health = await checkHealth({ worker: polling, db: probeDb, temporal: answers });
    assert.equal(health.ok, false);
    assert.equal(health.checks.worker, 'ok');
    assert.notEqual(health.checks.database, 'ok');
  } finally {
    await probeDb.destroy();
  }
});

// Traces of real syncs: a real OTLP/HTTP receiver (JSON, in this file), the Temporal dev server, Postgres,
// and the app with its worker built from the settings with tracing on. A few files of the sample corpus
// are synced twice through the product's client; each sync must be one trace from the client's request
// through the profile's actor and the sync workflow to its activities.
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { openApp, type App } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import type { SyncJob } from '../../src/client/types.ts';
import type { StartedJob } from '../../src/contract/actor.ts';
import { isTerminal } from '../../src/contract/sync.ts';
import { SyncClient } from '../../src/client/sync-client.ts';
import { UNTRACED_SINKS } from '../../src/observe/tracing.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { bundleWorkflows } from '../../src/workers/worker.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { quietWorkerLogs } from '../helpers/temporal.ts';

const CORPUS = path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples');
const FILES = ['04 Long Drive.flac', 'Their - They\'re - Therapy - 1sec.mp3', 'MusicBrainz - Beth Hart - Sinner\'s Prayer.ogg', 'MusicBrainz - Beth Hart - Sinner\'s Prayer.m4a'];

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
  serviceName: unknown;
  startNanos: bigint;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpAttribute { key: string; value: OtlpValue }
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[]; startTimeUnixNano: string | number }[];
    }[];
  }[];
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** An OTLP/HTTP receiver of traces in JSON, as a collector listens on 4318. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; requests: number; close(): Promise<void> }> {
  const received = { spans: [] as ReceivedSpan[], requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      received.requests += 1;
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as OtlpRequest;
      for (const rs of body.resourceSpans ?? []) {
        const serviceName = attributesOf(rs.resource?.attributes)['service.name'];
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            received.spans.push({
              traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, attributes: attributesOf(s.attributes), serviceName,
              startNanos: BigInt(s.startTimeUnixNano),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get spans() { return received.spans; },
    get requests() { return received.requests; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The names from a span up to its trace's root; a parent that never arrived shows as `?`. */
function lineage(spans: readonly ReceivedSpan[], from: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names = [from.name];
  for (let s: ReceivedSpan | undefined = from; s?.parentSpanId; ) {
    s = byId.get(s.parentSpanId);
    names.push(s ? s.name : '?');
  }
  return names;
}

/** Spans of one workflow run: those the worker made for it (workflow spans carry its info, activity
 * spans its run id). */
const ofRun = (spans: readonly ReceivedSpan[], runId: string) => spans.filter((s) => s.attributes.runId === runId || s.attributes.run_id === runId);

const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;

describe('tracing: a sync is one trace from the client to its activities', { timeout: 300_000, skip: noCorpus }, () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let testDb: TestDb;
  let tmp: string;
  let app: App;
  /** The syncs asked for with tracing, in order: how the client asked (its span's name), the sync's
   * run, and whether the actor was started with a trace (and so has spans of its own). */
  const syncs: { label: string; request: string; runId: string; tracedActor: boolean }[] = [];
  /** Every run's history, fetched before the server stops. */
  const histories: { workflowId: string; history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> }[] = [];

  before(async () => {
    quietWorkerLogs();
    receiver = await startReceiver();
    testDb = await startTestDb();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-tracing-'));
    const library = path.join(tmp, 'library');
    await fs.mkdir(library);
    for (const name of FILES) await fs.copyFile(path.join(CORPUS, name), path.join(library, name));
    // The OTLP exporter reads its endpoint from the environment itself, as it would in production.
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    const settings = readSettings({ ...process.env, DATABASE_URL: testDb.url, OTEL_SDK_DISABLED: undefined, OTEL_TRACES_EXPORTER: undefined, OTEL_SERVICE_NAME: 'music-sync-test' });
    assert.deepEqual(settings.tracing, { exporters: ['otlp'], serviceName: 'music-sync-test' });
    app = await openApp(settings, { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false });
    const profile = await app.sync.registerProfile({ name: 'traced', provider: 'local', root: library });
    const idle = async () => {
      // Asked while the actor has not yet taken in the last sync's end, the client would ask again (one more request span).
      while ((await app.sync.profileState('traced')).current) await sleep(50);
    };
    // The first sync starts the profile's actor (update-with-start); the second finds it running.
    const started: StartedJob[] = [await app.sync.startFullSync('traced')];
    assert.equal((await app.sync.waitForResult(started[0]!.jobId)).status, 'completed');
    await idle();
    started.push(await app.sync.startIncrementalSync('traced'));
    assert.equal((await app.sync.waitForResult(started[1]!.jobId)).status, 'completed');
    await idle();
    // The third is a request (a signal), as the folder watcher, schedules and push notifications ask.
    await app.sync.requestSync('traced', { mode: 'full' });
    let requested: SyncJob | undefined;
    while (!requested) {
      await sleep(100);
      requested = (await app.sync.listHistory(undefined, 10, profile.id)).find((j) => !started.some((s) => s.jobId === j.id) && isTerminal(j.status));
    }
    assert.equal(requested.status, 'completed');
    assert.deepEqual((await app.sync.tracks('traced')).map((track) => track.path).sort(), [...FILES].sort());

    // An actor started by a client without tracing (as before tracing was turned on), then asked by one with it.
    await app.sync.registerProfile({ name: 'older', provider: 'local', root: library });
    const untraced = new SyncClient({ temporal: new Client({ connection: app.client.connection, namespace: app.temporal.namespace }), db: app.db, providers: app.providers });
    const before = await untraced.startFullSync('older');
    assert.equal((await untraced.waitForResult(before.jobId)).status, 'completed');
    while ((await app.sync.profileState('older')).current) await sleep(50);
    started.push(await app.sync.startFullSync('older'));
    assert.equal((await app.sync.waitForResult(started[2]!.jobId)).status, 'completed');

    syncs.push(
      { label: 'the first sync, which starts the actor', request: 'UpdateWithStartWorkflow:startSync', runId: started[0]!.runId, tracedActor: true },
      { label: 'a sync asked of a running actor', request: 'UpdateWithStartWorkflow:startSync', runId: started[1]!.runId, tracedActor: true },
      { label: 'a sync requested with a signal', request: 'SignalWithStartWorkflow:profileWorkflow', runId: requested.runId!, tracedActor: true },
      { label: 'a sync asked of an actor started without tracing', request: 'UpdateWithStartWorkflow:startSync', runId: started[2]!.runId, tracedActor: false },
    );
    for await (const run of app.client.workflow.list()) {
      histories.push({ workflowId: run.workflowId, history: await app.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory() });
    }
    // Closing flushes the spans still batched.
    await app.close();
  });

  after(async () => {
    await app?.close();
    await receiver?.close();
    await testDb?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  for (const index of [0, 1, 2, 3]) {
    it(`sync ${index + 1}: client, actor, sync workflow and activities share the client's trace`, (t) => {
      const { spans } = receiver;
      const sync = syncs[index]!;
      t.diagnostic(sync.label);
      const sameAsked = syncs.filter((s) => s.request === sync.request);
      const requests = spans.filter((s) => s.name === sync.request).sort((a, b) => Number(a.startNanos - b.startNanos));
      assert.equal(requests.length, sameAsked.length, `one client span per sync asked so (${sync.request}), got ${requests.length}`);
      const request = requests[sameAsked.indexOf(sync)]!;
      assert.equal(request.parentSpanId, undefined, 'the client\'s request starts the trace');
      assert.equal(request.serviceName, 'music-sync-test');
      assert.equal(new Set(spans.filter((s) => s.name.startsWith('UpdateWithStart') || s.name.startsWith('SignalWithStart')).map((s) => s.traceId)).size, syncs.length, 'a trace per request');

      const run = ofRun(spans, sync.runId);
      const names = new Set(run.map((s) => s.name));
      for (const name of ['RunWorkflow:syncWorkflow', 'StartActivity:processBatch', 'RunActivity:processBatch', 'RunActivity:completeJob']) {
        assert.ok(names.has(name), `${name} among the sync's spans: ${[...names].join(', ')}`);
      }
      assert.deepEqual([...new Set(run.map((s) => s.traceId))], [request.traceId], 'every span of the sync run is in the client\'s trace');
      // What the actor did for the request is in it too.
      const inTrace = new Set(spans.filter((s) => s.traceId === request.traceId).map((s) => s.name));
      // (An actor started without a trace has no spans of its own: it passes the request's trace on.)
      for (const name of [...(sync.tracedActor ? ['StartChildWorkflow:syncWorkflow', 'StartActivity:prepareSync'] : []), 'RunActivity:prepareSync']) {
        assert.ok(inTrace.has(name), `${name} in the request's trace: ${[...inTrace].join(', ')}`);
      }
      // The path from an activity to the client's request, with no span missing.
      const processBatch = run.find((s) => s.name === 'RunActivity:processBatch')!;
      t.diagnostic(`RunActivity:processBatch up to the root: ${lineage(spans, processBatch).join(' <- ')}`);
      assert.deepEqual(lineage(spans, processBatch), [
        'RunActivity:processBatch', 'StartActivity:processBatch', 'RunWorkflow:syncWorkflow', ...(sync.tracedActor ? ['StartChildWorkflow:syncWorkflow'] : []), sync.request,
      ]);
    });
  }

  it('every run, traced or not, replays on the workflow bundle of a worker without tracing', { timeout: 180_000 }, async () => {
    const kinds = new Set(histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    assert.ok(kinds.has('profileWorkflow') && kinds.has('syncWorkflow'), `actors and syncs among the runs: ${[...kinds].join(', ')}`);
    const bundle = await bundleWorkflows();
    for (const { workflowId, history } of histories) {
      await assert.doesNotReject(Worker.runReplayHistory({ workflowBundle: bundle, sinks: UNTRACED_SINKS }, history, workflowId), `replay of ${workflowId}`);
    }
  });
});

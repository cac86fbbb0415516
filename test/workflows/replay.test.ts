// Replays saved histories (binary protobuf, as fetched from the server) against today's workflow code: a change that would break running syncs
// (non-determinism) fails here. Each generation of the workflow keeps its histories, and all of them must keep replaying:
// - v1-*: before the parallel batch loops (workflow patch 'parallel-batch-slots');
// - v2-*: before the workflow recorded every phase itself (patch 'workflow-records-phases');
// - v3-*: before stops were settled before the job's ending (patch 'settled-stops');
// - v4-*: before the short activities had a heartbeat timeout (the same commands with another
//   attribute, which replay does not compare, so no patch);
// - v5-*: before a cancelled run ended as Canceled (patch 'cancel-ends-canceled'; since then activities
//   also carry summaries, user metadata that replay does not compare);
// - v6-*: today's.
// - actor-v1-*: the profile actor (`profileWorkflow`), recorded by test/workflows/profile-actor.test.ts with
//   UPDATE_HISTORIES=1, before its syncs were named after the profile (patch 'sync-id-by-profile-name')
//   and its cancelCurrent requested cancellation (patch 'cancel-current-requests-cancellation');
// - actor-v2-*: today's actor. A change to it goes behind `patched()` and records actor-v3-* beside them. A change behind a new patch raises HISTORY_GENERATION in test/workflows/sync-workflow.test.ts and
//   records the next generation with `UPDATE_HISTORIES=1 node --test test/workflows/sync-workflow.test.ts`.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows } from '../../src/workers/worker.ts';
import { quietWorkerLogs } from '../helpers/temporal.ts';

const DIR = path.join(import.meta.dirname, '..', 'histories');
let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  quietWorkerLogs();
  bundle = await bundleWorkflows();
});

test('saved histories replay without non-determinism', { timeout: 120_000 }, async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.history.bin')).sort();
  for (const generation of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'actor-v1', 'actor-v2']) {
    assert.ok(files.filter((f) => f.startsWith(`${generation}-`)).length >= 4, `expected saved ${generation} histories in ${DIR}`);
  }
  for (const file of files) {
    const history = temporal.api.history.v1.History.decode(await readFile(path.join(DIR, file)));
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowBundle: bundle }, history, file.replace(/\.history\.bin$/, '')),
      `replay of ${file}`,
    );
  }
});

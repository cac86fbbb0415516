// Replays saved histories (binary protobuf, as fetched from the server) against today's workflow code: a change that would break running syncs
// (non-determinism) fails here. Refresh with `UPDATE_HISTORIES=1 node --test test/workflows/sync-workflow.test.ts`
// only when a change is meant to be incompatible (and then version the workflow instead, if syncs may be running).
// v1-* were recorded before the parallel batch loops (workflow patch 'parallel-batch-slots') and must keep replaying.
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
  assert.ok(files.length >= 4, `expected saved histories in ${DIR}, found ${files.length}`);
  for (const file of files) {
    const history = temporal.api.history.v1.History.decode(await readFile(path.join(DIR, file)));
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowBundle: bundle }, history, file.replace(/\.history\.bin$/, '')),
      `replay of ${file}`,
    );
  }
});

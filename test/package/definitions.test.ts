// The client's message definitions (src/contract/definitions.ts) and the ones the workflows register
// their handlers with name the same messages with the same types: a service signalling with the
// client's `cancelSignal` reaches the sync workflow's handler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from '../../src/contract/definitions.ts';
import * as workflows from '../../src/workflows/index.ts';

// Each pair must be assignable both ways: a change of arguments or result on one side does not compile.
const pairs = {
  cancelSignal: [client.cancelSignal, workflows.cancelSignal] satisfies [typeof workflows.cancelSignal, typeof client.cancelSignal],
  progressQuery: [client.progressQuery, workflows.progressQuery] satisfies [typeof workflows.progressQuery, typeof client.progressQuery],
  startSyncUpdate: [client.startSyncUpdate, workflows.startSyncUpdate] satisfies [typeof workflows.startSyncUpdate, typeof client.startSyncUpdate],
  pauseUpdate: [client.pauseUpdate, workflows.pauseUpdate] satisfies [typeof workflows.pauseUpdate, typeof client.pauseUpdate],
  resumeUpdate: [client.resumeUpdate, workflows.resumeUpdate] satisfies [typeof workflows.resumeUpdate, typeof client.resumeUpdate],
  requestSyncSignal: [client.requestSyncSignal, workflows.requestSyncSignal] satisfies [typeof workflows.requestSyncSignal, typeof client.requestSyncSignal],
  cancelCurrentSignal: [client.cancelCurrentSignal, workflows.cancelCurrentSignal] satisfies [typeof workflows.cancelCurrentSignal, typeof client.cancelCurrentSignal],
  scheduleSignal: [client.scheduleSignal, workflows.scheduleSignal] satisfies [typeof workflows.scheduleSignal, typeof client.scheduleSignal],
  stateQuery: [client.stateQuery, workflows.stateQuery] satisfies [typeof workflows.stateQuery, typeof client.stateQuery],
};

test('every message the client defines is the one the workflows handle', () => {
  assert.deepEqual(Object.keys(pairs).sort(), Object.keys(client).sort(), 'a definition of the client without a counterpart here');
  for (const [name, [ours, theirs]] of Object.entries(pairs)) {
    assert.deepEqual({ ...ours }, { ...theirs }, name);
  }
});

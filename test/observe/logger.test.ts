// The log's two formats, its level, and the Temporal SDK's lines written through it.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLog } from '../../src/observe/logger.ts';
import { temporalLogger } from '../../src/observe/temporal-log.ts';
import { profileOfWorkflowId } from '../../src/observe/log-attributes.ts';
import { SYNC_WORKFLOW_TYPE } from '../../src/contract/sync.ts';

/** A real stream that keeps the lines written to it (both formats write synchronously). */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

test('json: one object per line with level, time and message, and the fields given', () => {
  const { lines, destination } = capture();
  const log = createLog({ format: 'json', level: 'info', destination });
  log.info({ jobId: 'j-1', profile: 'p-1' }, 'batch written');
  log.debug('below the level');
  log.warn({ error: new Error('disk gone') }, 'read failed');
  assert.equal(lines.length, 2, lines.join('\n'));
  const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(first!.level, 'info');
  assert.ok(!Number.isNaN(Date.parse(first!.time as string)), `an ISO time: ${String(first!.time)}`);
  assert.equal(first!.message, 'batch written');
  assert.equal(first!.jobId, 'j-1');
  assert.equal(first!.profile, 'p-1');
  assert.equal(second!.level, 'warn');
  assert.equal((second!.error as { message: string }).message, 'disk gone', 'an error keeps its message (and stack)');
});

test('pretty: a readable single line, no colour unless asked, without the task token', () => {
  const { lines, destination } = capture();
  const log = createLog({ format: 'pretty', level: 'warn', destination, colour: false });
  log.info('hidden');
  log.warn({ jobId: 'j-2', taskToken: 'c2VjcmV0LXRva2Vu' }, 'slow provider');
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /WARN.*slow provider.*"jobId":"j-2"/);
  assert.doesNotMatch(lines[0]!, /\x1b\[/, 'no escape sequences');
  assert.doesNotMatch(lines[0]!, /taskToken|c2VjcmV0/);

  const coloured = capture();
  createLog({ format: 'pretty', level: 'warn', destination: coloured.destination, colour: true }).warn('hi');
  assert.match(coloured.lines[0]!, /\x1b\[/, 'colour when asked (a terminal)');
});

test('the Temporal SDK\'s lines: through the log at its level, a sync\'s failed workflow left to the job row', () => {
  const { lines, destination } = capture();
  const logger = temporalLogger(createLog({ format: 'json', level: 'warn', destination }));
  logger.info('Worker state changed', { state: 'RUNNING' });
  logger.log('WARN', 'Activity failed', { activityType: 'processBatch', taskToken: 'opaque', jobId: 'j-3' });
  logger.warn('Workflow failed', { workflowType: SYNC_WORKFLOW_TYPE });
  logger.warn('Workflow failed', { workflowType: 'profileActorWorkflow' });
  logger.error('core said so', { sdkComponent: 'core', target: 'temporalio_sdk_core::worker' });
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(parsed.map((p) => [p.level, p.message]), [
    ['warn', 'Activity failed'], ['warn', 'Workflow failed'], ['error', 'core said so'],
  ]);
  assert.equal(parsed[0]!.jobId, 'j-3');
  assert.equal(parsed[0]!.taskToken, undefined, 'task tokens are never logged');
  assert.equal(parsed[1]!.workflowType, 'profileActorWorkflow');
});

test('the profile a workflow id names: an actor\'s sync, the actor, a sync started before actors', () => {
  assert.equal(profileOfWorkflowId('music-sync/profile/jazz/sync'), 'jazz');
  assert.equal(profileOfWorkflowId('music-sync/profile/jazz'), 'jazz');
  assert.equal(profileOfWorkflowId('music-sync/0610bfb3-37a4-4a27-8241-cdcf221bc51b'), '0610bfb3-37a4-4a27-8241-cdcf221bc51b');
  assert.equal(profileOfWorkflowId('someone-else/42'), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZERO_COUNTERS } from '../../src/contract/counters.ts';
import { describeSync, formatBytes, formatCount, summaries } from '../../src/workflows/sync-details.ts';

test('counts and sizes read as a person reads them', () => {
  assert.deepEqual([0, 999, 1_234, 6_900_000].map(formatCount), ['0', '999', '1,234', '6,900,000']);
  assert.deepEqual(
    [0, 1023, 1024, 1536, 10 * 1024, 812 * 1024 ** 2, 1.5 * 1024 ** 3, 2 * 1024 ** 5 * 1024].map(formatBytes),
    ['0 B', '1,023 B', '1 KiB', '1.5 KiB', '10 KiB', '812 MiB', '1.5 GiB', '2,048 PiB'],
  );
});

test('current details say the phase and how far the sync got', () => {
  const counters = { ...ZERO_COUNTERS };
  assert.equal(describeSync({ phase: 'validate', status: 'running', counters }), '**validate**');
  assert.equal(describeSync({ phase: 'filter', status: 'running', counters: { ...counters, itemsDiscovered: 7_001 } }), '**filter** — 7,001 files listed');
  const processing = { ...counters, itemsDiscovered: 7_001, itemsQueued: 6_900, itemsProcessed: 1_234, itemsAdded: 1_200, itemsFailed: 34, bytesRead: 812 * 1024 ** 2 };
  assert.equal(
    describeSync({ phase: 'process', status: 'running', counters: processing }),
    '**process** — 1,234 of 6,900 files, 812 MiB read\n\n1,200 added, 34 failed',
  );
  assert.equal(describeSync({ phase: 'process', status: 'running', counters: { ...counters, itemsQueued: 1 } }), '**process** — 0 of 1 file, 0 B read');
});

test('the final details name the ending, and who cancelled and why', () => {
  const counters = { ...ZERO_COUNTERS, itemsQueued: 10, itemsProcessed: 4, itemsUnchanged: 4, bytesRead: 2048 };
  assert.equal(
    describeSync({ phase: 'complete', status: 'cancelled', counters, cancel: { by: 'cli', reason: 'wrong folder' } }),
    '**cancelled** — 4 of 10 files, 2 KiB read\n\ncancelled by cli: wrong folder\n\n4 unchanged',
  );
  assert.match(describeSync({ phase: 'complete', status: 'timed_out', counters }), /^\*\*timed out\*\* — 4 of 10 files/);
  assert.match(describeSync({ phase: 'complete', status: 'needs_review', counters }), /^\*\*needs review\*\*/);
});

test('activity summaries say what each call covers', () => {
  assert.equal(summaries.discover('incremental'), 'discover (incremental)');
  assert.equal(summaries.filter('full', 1), 'filter (full): 1 file listed');
  assert.equal(summaries.batch(3, 0, 2, 200), 'batch 3 (slot 1 of 2), up to 200 files');
  assert.equal(summaries.batch(12, 0, 1, 1), 'batch 12, up to 1 file');
  assert.equal(summaries.resolve(true), 'resolve: deletions (confirmed) and duplicate groups');
  assert.equal(summaries.complete('cancelled', { by: 'cli' }), 'complete: cancelled by cli');
  assert.equal(summaries.complete('needs_review'), 'complete: needs review');
});

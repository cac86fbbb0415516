// The per-key debouncer with real, short timings: a burst fires once when its key goes quiet, or at
// the latest `maxWaitMs` after its first event; keys do not share bursts; stop() leaves no timer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDebouncer, type Burst } from '../../src/watch/debounce.ts';
import { sleep, waitFor } from './wait.ts';

interface Fired {
  key: string;
  burst: Burst;
  at: number;
}

function recording(quietMs: number, maxWaitMs: number) {
  const fired: Fired[] = [];
  const debouncer = createDebouncer<string>({ quietMs, maxWaitMs, onBurst: (key, burst) => fired.push({ key, burst, at: performance.now() }) });
  return { fired, debouncer };
}

// Node's timers run on a millisecond clock: one may come due a fraction of a millisecond before
// performance.now() says the full delay has passed.
const TIMER_ROUNDING_MS = 2;

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('debouncer', () => {
  test('one event fires once, after the quiet period', async () => {
    const { fired, debouncer } = recording(100, 5_000);
    const at = performance.now();
    debouncer.record('a');
    await waitFor('the burst', () => fired.length === 1, 2_000);
    assert.ok(fired[0]!.at - at >= 100 - TIMER_ROUNDING_MS, `fired ${fired[0]!.at - at} ms after the event`);
    assert.equal(fired[0]!.key, 'a');
    assert.equal(fired[0]!.burst.events, 1);
    assert.equal(fired[0]!.burst.error, undefined);
    assert.equal(debouncer.pending(), 0);
    await sleep(200);
    assert.equal(fired.length, 1);
  });

  test('events closer than the quiet period are one burst, fired after the last of them', async () => {
    const { fired, debouncer } = recording(200, 5_000);
    let last = 0;
    for (let i = 0; i < 8; i++) {
      debouncer.record('a');
      last = performance.now();
      await sleep(20);
    }
    assert.equal(fired.length, 0, 'nothing fires while the events keep coming');
    await waitFor('the burst', () => fired.length === 1, 2_000);
    assert.equal(fired[0]!.burst.events, 8);
    assert.ok(fired[0]!.at - last >= 200 - TIMER_ROUNDING_MS, `fired ${fired[0]!.at - last} ms after the last event`);
    await sleep(200);
    assert.equal(fired.length, 1);
  });

  test('a thousand events at once are one burst', async () => {
    const { fired, debouncer } = recording(50, 5_000);
    for (let i = 0; i < 1_000; i++) debouncer.record('a');
    await waitFor('the burst', () => fired.length === 1, 2_000);
    assert.equal(fired[0]!.burst.events, 1_000);
  });

  test('events that never stop fire by maxWaitMs, and again for what follows', async () => {
    const { fired, debouncer } = recording(200, 400);
    const start = performance.now();
    let recorded = 0;
    while (performance.now() - start < 1_000) {
      debouncer.record('a');
      recorded += 1;
      await sleep(20);
    }
    const end = performance.now();
    assert.ok(fired.length >= 2, `${fired.length} bursts while the events kept coming`);
    assert.ok(fired[0]!.at - fired[0]!.burst.startedAt >= 400 - TIMER_ROUNDING_MS);
    assert.ok(fired[0]!.at < end, 'the first burst fired while the events still came');
    await waitFor('the last burst', () => debouncer.pending() === 0, 2_000);
    assert.equal(fired.reduce((sum, f) => sum + f.burst.events, 0), recorded, 'every event is in exactly one burst');
  });

  test('keys have their own bursts', async () => {
    const { fired, debouncer } = recording(80, 5_000);
    debouncer.record('a');
    debouncer.record('b');
    debouncer.record('a');
    await waitFor('two bursts', () => fired.length === 2, 2_000);
    const byKey = Object.fromEntries(fired.map((f) => [f.key, f.burst.events]));
    assert.deepEqual(byKey, { a: 2, b: 1 });
  });

  test('the first error recorded in a burst is carried by it', async () => {
    const { fired, debouncer } = recording(50, 5_000);
    debouncer.record('a');
    debouncer.record('a', 'ENOSPC: System limit for number of file watchers reached');
    debouncer.record('a', 'watching again');
    debouncer.record('a');
    await waitFor('the burst', () => fired.length === 1, 2_000);
    assert.equal(fired[0]!.burst.events, 4);
    assert.equal(fired[0]!.burst.error, 'ENOSPC: System limit for number of file watchers reached');
  });

  test('flush() fires every burst under way at once', () => {
    const { fired, debouncer } = recording(10_000, 60_000);
    debouncer.record('a');
    debouncer.record('b');
    debouncer.flush();
    assert.deepEqual(fired.map((f) => f.key).sort(), ['a', 'b']);
    assert.equal(debouncer.pending(), 0);
    debouncer.stop();
  });

  test('stop() drops the bursts under way, clears every timer and ignores later events', async () => {
    const before = timers();
    const { fired, debouncer } = recording(60, 200);
    debouncer.record('a');
    debouncer.record('b');
    assert.equal(timers(), before + 4, 'a quiet and a max-wait timer per burst');
    debouncer.stop();
    assert.equal(timers(), before);
    debouncer.record('a');
    assert.equal(debouncer.pending(), 0);
    await sleep(300);
    assert.equal(fired.length, 0);
  });

  test('delays that are not milliseconds are refused', () => {
    assert.throws(() => createDebouncer({ quietMs: -1, maxWaitMs: 100, onBurst: () => {} }), /quietMs must be a number of milliseconds/);
    assert.throws(() => createDebouncer({ quietMs: 100, maxWaitMs: Number.NaN, onBurst: () => {} }), /maxWaitMs must be a number of milliseconds/);
  });
});

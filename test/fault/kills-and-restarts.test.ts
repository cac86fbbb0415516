// A full sync of a few thousand files that survives what production throws at it: worker processes
// SIGKILLed at random moments (new ones take over), the Temporal server restarted once and Postgres
// restarted once, each brought back on the same port with the same state. The sync must complete
// with a library equal to a clean full sync, and each recovery is timed.
//
// FAULT_SEED replays the fault moments of a run (each run logs its seed); FAULT_FILES and FAULT_KILLS
// change the size of the run.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { generateLibrary, prng } from '../../src/testing/fixtures.ts';
import {
  assertJobConsistent, assertNoDuplicateRows, assertNoJobRunning, assertSameLibrary, libraryState,
} from '../helpers/fault-library.ts';
import { Checks } from '../helpers/fault-checks.ts';
import { fileHashes, hasEnded, processedNow, readJob, sleep, waitForJob, within } from '../helpers/fault-progress.ts';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack.ts';
import { spawnWorker, workflowBundleFile, type WorkerProcess } from '../helpers/worker-process.ts';

const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000_007);
const FILES = Number(process.env.FAULT_FILES ?? 2500);
const KILLS = Number(process.env.FAULT_KILLS ?? 4);
/** A crashed worker's work must be running again within this: room for a new worker to start and for
 * the server to give the dead worker's activities and workflow task to it. */
const RECOVERY_LIMIT_S = 30;
/** No single wait of the harness may take longer than this (a hung sync fails, it does not hang CI). */
const WAIT_LIMIT_MS = 150_000;

type FaultKind = 'kill' | 'temporal' | 'postgres';
interface Fault {
  kind: FaultKind;
  /** Fire once this share of the files is processed (-1: as soon as the job runs, after `delayMs`). */
  at: number;
  delayMs: number;
}
interface Injected {
  kind: FaultKind;
  phase: string;
  processed: number;
  /** Kill: the old worker's death to progress. Restart: the service's return to progress. */
  recoveryMs: number;
  downMs?: number;
}

let stack: FaultStack | undefined;
const workers = new Set<WorkerProcess>();

after(async () => {
  for (const w of workers) {
    w.kill('SIGTERM');
    await within(w.exited, 10_000, 'a worker stopping').catch(async () => {
      w.kill('SIGKILL');
      await w.exited;
    });
  }
  await stack?.close();
});

/** The fault plan, all from the seed: KILLS kills (the first early, before processing) and one restart
 * of each service, at random shares of the processing, with random jitter so they land mid-batch. */
function planFaults(rnd: () => number): Fault[] {
  const kinds: FaultKind[] = [...Array.from({ length: Math.max(0, KILLS - 1) }, () => 'kill' as const), 'temporal', 'postgres'];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const shares = kinds.map(() => 0.05 + rnd() * 0.8).sort((a, b) => a - b);
  const early: Fault[] = KILLS > 0 ? [{ kind: 'kill', at: -1, delayMs: Math.floor(rnd() * 1500) }] : [];
  return [...early, ...kinds.map((kind, i) => ({ kind, at: shares[i]!, delayMs: Math.floor(rnd() * 400) }))];
}

test('a sync survives killed workers and restarted Temporal and Postgres, and equals a clean full sync', { timeout: 900_000 }, async (t) => {
  const t0 = performance.now();
  const rnd = prng(SEED);
  t.diagnostic(`seed ${SEED} (FAULT_SEED=${SEED} replays these fault moments), ${FILES} files, ${KILLS} kills`);
  const s = await startFaultStack('music-sync-kills-');
  stack = s;
  const root = path.join(s.dir, 'music');
  const lib = await generateLibrary(root, FILES, 2718);
  // Duplicates, a file that is not music and one that fails: the parts of a library beside plain tracks.
  await mkdir(path.join(root, 'Copies'), { recursive: true });
  const copies = lib.slice(0, 12).map((f, i) => `Copies/copy ${i}.${f.format}`);
  for (const [i, c] of copies.entries()) await copyFile(lib[i]!.absPath, path.join(root, ...c.split('/')));
  await writeFile(path.join(root, 'notes.txt'), 'not music');
  await writeFile(path.join(root, 'broken.mp3'), 'not really an mp3');
  const audio = [...lib.map((f) => f.path), ...copies];
  const hashes = await fileHashes(root, audio);
  const setupMs = performance.now() - t0;

  const faulted = await s.sync.registerProfile({ name: 'faulted', provider: 'local', root });
  const reference = await s.sync.registerProfile({ name: 'reference', provider: 'local', root });
  const bundle = await workflowBundleFile();
  const newWorker = async () => {
    const w = await spawnWorker({ temporalAddress: s.temporalAddress, databaseUrl: s.databaseUrl, workflowBundlePath: bundle });
    workers.add(w);
    void w.exited.then(() => workers.delete(w));
    return w;
  };
  let worker = await newWorker();

  const syncStart = performance.now();
  const started = await s.sync.startFullSync(faulted.id);
  const plan = planFaults(rnd);
  t.diagnostic(`plan: ${plan.map((f) => `${f.kind}@${f.at < 0 ? 'start' : f.at.toFixed(2)}+${f.delayMs}ms`).join(', ')}`);
  const injected: Injected[] = [];
  let next: Promise<WorkerProcess> | undefined;
  for (const fault of plan) {
    const target = Math.ceil(Math.max(0, fault.at) * FILES);
    const { job: before } = await waitForJob(
      s.db, started.jobId, (j) => hasEnded(j) || (fault.at < 0 ? true : j.items_processed >= target),
      `${target} items processed before a ${fault.kind}`, WAIT_LIMIT_MS,
    );
    assert.ok(!hasEnded(before), `the sync ended (${before.status}) before the harness injected all faults (${injected.length} of ${plan.length}); give it more files`);
    await sleep(fault.delayMs);
    const at = (await readJob(s.db, started.jobId)) ?? before;
    let downMs: number | undefined;
    let since: number;
    if (fault.kind === 'kill') {
      since = performance.now();
      worker.kill('SIGKILL');
      await worker.exited;
      // The recovery clock runs while the new worker starts, as it would after a crash.
      next = newWorker();
    } else {
      downMs = fault.kind === 'temporal' ? await s.restartTemporal() : await s.restartPostgres();
      since = performance.now();
    }
    // Progress past what was committed once the fault hit (a dead worker commits nothing more).
    const baseline = await processedNow(s.db, started.jobId);
    const { job } = await waitForJob(
      s.db, started.jobId, (j) => hasEnded(j) || j.items_processed > baseline,
      `progress after a ${fault.kind} at ${at.phase}/${at.items_processed}`, WAIT_LIMIT_MS,
    );
    const recoveryMs = performance.now() - since;
    if (next) worker = await next;
    next = undefined;
    injected.push({ kind: fault.kind, phase: at.phase, processed: at.items_processed, recoveryMs, ...(downMs !== undefined ? { downMs } : {}) });
    t.diagnostic(
      `${fault.kind} at ${at.phase} (${at.items_processed} processed): ${downMs !== undefined ? `down ${(downMs / 1000).toFixed(1)} s, ` : ''}` +
        `progress again after ${(recoveryMs / 1000).toFixed(1)} s (now ${job.status}/${job.phase}, ${job.items_processed})`,
    );
  }

  const result = await within(s.sync.waitForResult(started.jobId), WAIT_LIMIT_MS, 'the end of the sync after the last fault');
  const syncMs = performance.now() - syncStart;
  const refStart = performance.now();
  const clean = await s.sync.startFullSync(reference.id);
  const cleanResult = await within(s.sync.waitForResult(clean.jobId), WAIT_LIMIT_MS, 'the end of the clean full sync');
  const refMs = performance.now() - refStart;

  // The figures first, so a failing run still reports them.
  const secs = (ms: number) => Number((ms / 1000).toFixed(1));
  const kills = injected.filter((f) => f.kind === 'kill');
  const temporal = injected.find((f) => f.kind === 'temporal');
  const postgres = injected.find((f) => f.kind === 'postgres');
  t.diagnostic(
    `fault-suite: seed=${SEED} files=${audio.length} kills=${kills.length} recovery_s=${JSON.stringify(kills.map((k) => secs(k.recoveryMs)))} ` +
      `temporal_restart_s=${secs(temporal?.downMs ?? 0)} temporal_recovery_s=${secs(temporal?.recoveryMs ?? 0)} ` +
      `postgres_restart_s=${secs(postgres?.downMs ?? 0)} postgres_recovery_s=${secs(postgres?.recoveryMs ?? 0)} ` +
      `faulted_sync_s=${secs(syncMs)} clean_sync_s=${secs(refMs)} setup_s=${secs(setupMs)} total_s=${secs(performance.now() - t0)}`,
  );

  const checks = new Checks();
  await checks.run('the endings', () => {
    assert.equal(result.status, 'completed');
    assert.equal(cleanResult.status, 'completed');
  });
  await checks.run('the library', async () => {
    assertSameLibrary(await libraryState(s.db, s.sync, faulted.id), await libraryState(s.db, s.sync, reference.id), 'after kills and restarts');
  });
  await checks.run('rows', () => assertNoDuplicateRows(s.db, faulted.id));
  await checks.run('the faulted job', async () => {
    const counters = await assertJobConsistent(s.db, started.jobId, { fileHashes: hashes });
    assert.equal(counters.itemsAdded, audio.length, 'every audio file is a track');
    assert.equal(counters.itemsFailed, 1, 'broken.mp3 failed');
    assert.equal(counters.itemsFiltered, 1, 'notes.txt filtered');
    assert.deepEqual(await s.sync.failedItems(started.jobId), [{ path: 'broken.mp3', reason: 'no audio stream found' }]);
    const groups = await s.sync.duplicates(faulted.id);
    assert.equal(counters.duplicateGroups, groups.length, 'the duplicate count is the groups the library has');
    for (const [i, copy] of copies.entries()) {
      assert.ok(groups.some((g) => g.paths.includes(copy) && g.paths.includes(lib[i]!.path)), `${copy} is grouped with its original`);
    }
  });
  await checks.run('the clean job', () => assertJobConsistent(s.db, clean.jobId, { fileHashes: hashes }));
  await checks.run('jobs', () => assertNoJobRunning(s.db));
  await checks.run('faults', () => assert.equal(injected.length, plan.length, 'every planned fault was injected'));
  await checks.run('recovery', () => {
    const slow = injected.filter((f) => f.recoveryMs > RECOVERY_LIMIT_S * 1000);
    assert.deepEqual(slow.map((f) => `${f.kind} at ${f.phase}: ${secs(f.recoveryMs)} s`), [], `every fault is recovered from within ${RECOVERY_LIMIT_S} s`);
  });
  checks.assertAll('after kills and restarts');
});

// Profile actors end to end: the real Temporal dev server, embedded Postgres, an in-process worker and
// the folder watcher (one stack for the file, a 300 ms quiet window), driven the ways a library
// changes: files dropped into watched folders, a burst of a thousand file events, a schedule fired and
// backfilled, push notifications (forged and genuine) through the real endpoint from the Drive fake,
// and a profile paused and resumed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { openApp, secretBoxOf, type App } from '../../src/app/open.ts';
import { readSettings, type Settings } from '../../src/app/settings.ts';
import { actorRequests } from '../../src/client/actor-requests.ts';
import type { SyncJob } from '../../src/client/types.ts';
import { scheduleIdForProfile, type ProfileState } from '../../src/contract/actor.ts';
import { isTerminal } from '../../src/contract/sync.ts';
import { listPushChannels } from '../../src/db/push-channels.ts';
import { keepSubscribed, startPushServer, type PushServer, type Subscriptions } from '../../src/push/index.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startGdriveFake, type GdriveFake } from '../../src/testing/fakes/gdrive.ts';
import { writeTrackFile } from '../../src/testing/fixtures.ts';

const QUIET_MS = 300;
/** How long a change may take to become a track on a loaded machine: generous, never a timing assert. */
const DEADLINE_MS = 30_000;
/** Nothing happening for this long (many quiet windows) is taken as settled. */
const CALM_MS = 2_000;
const BURST_FILES = 1_000;

/** The local profiles, registered before the watcher starts (it reads the profiles at start, then
 * only every 30 s). */
const LOCAL = ['drop', 'burst', 'pause', 'schedule'] as const;
type Local = (typeof LOCAL)[number];

let tmp: string;
let settings: Settings;
let stack: App;
const roots = {} as Record<Local, string>;
/** The roots as the profiles store them. */
const storedRoots: string[] = [];
const names = {} as Record<Local, string>;

/** Polls `check` until it returns something other than undefined; fails with `what` after `withinMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, withinMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const jobsOf = (profile: string): Promise<SyncJob[]> =>
  stack.sync.getProfile(profile).then((p) => stack.sync.listHistory(undefined, 500, p.id));

/** Jobs of the profile not in `before`, oldest first. */
async function newJobs(profile: string, before: readonly SyncJob[]): Promise<SyncJob[]> {
  const known = new Set(before.map((j) => j.id));
  return (await jobsOf(profile)).filter((j) => !known.has(j.id)).reverse();
}

const quiet = (state: ProfileState, jobs: readonly SyncJob[]) =>
  !state.current && !state.pending && jobs.every((j) => isTerminal(j.status));

/** Waits until the profile's actor has nothing running nor pending and every job has ended, and it
 * stays so for CALM_MS; its jobs then. */
async function settle(profile: string, withinMs = 90_000): Promise<SyncJob[]> {
  let calmSince: number | undefined;
  return until(`profile ${profile} to settle`, async () => {
    const [state, jobs] = await Promise.all([stack.sync.profileState(profile), jobsOf(profile)]);
    if (!quiet(state, jobs)) {
      calmSince = undefined;
      return undefined;
    }
    calmSince ??= Date.now();
    return Date.now() - calmSince >= CALM_MS ? jobs : undefined;
  }, withinMs);
}

async function fullSync(profile: string): Promise<SyncJob> {
  const started = await stack.sync.startFullSync(profile);
  await stack.sync.waitForResult(started.jobId);
  return stack.sync.getStatus(started.jobId);
}

const hasTrack = async (profile: string, at: string) => (await stack.sync.tracks(profile)).some((t) => t.path === at);

/** A small real MP3 at `rel` under `root`. */
const dropTrack = (root: string, rel: string, seed: number) =>
  writeTrackFile(root, rel, { title: `Dropped ${seed}`, artists: ['Watcher'], album: 'Arrivals', trackNo: 1 }, { format: 'mp3', seed });

describe('profile actors end to end (dev server, Postgres, folder watcher, schedules, push)', { timeout: 300_000 }, () => {
  before(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-actors-'));
    // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
    await fs.chmod(tmp, 0o755);
    settings = readSettings({
      ...process.env, MUSIC_SYNC_WATCH: '1', MUSIC_SYNC_WATCH_QUIET_MS: String(QUIET_MS), MUSIC_SYNC_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    const dataDir = path.join(tmp, 'data');
    // The watched profiles exist before the watcher starts: it would see later ones only at its next
    // refresh. A database-only app registers them (a lazy Temporal connection is never opened).
    const setup = await openApp(settings, { temporal: 'lazy', dataDir });
    try {
      for (const label of LOCAL) {
        roots[label] = path.join(tmp, 'libraries', label);
        await fs.mkdir(roots[label], { recursive: true });
        const profile = await setup.sync.registerProfile({ name: `actors-${label}`, provider: 'local', root: roots[label] });
        names[label] = profile.name;
        storedRoots.push(profile.root);
      }
    } finally {
      await setup.close();
    }
    stack = await openApp(settings, { temporal: 'start', dataDir, worker: true, watch: true, ui: false });
    assert.ok(stack.watcher, 'the folder watcher runs');
    await stack.watcher.ready();
    assert.deepEqual(stack.watcher.roots(), storedRoots.sort(), 'every local profile is watched');
  });

  after(async () => {
    await stack?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a file dropped into a watched folder becomes a track, synced at the watcher\'s request', async (t) => {
    const name = names.drop;
    await dropTrack(roots.drop, 'First.mp3', 1);
    assert.equal((await fullSync(name)).itemsAdded, 1);
    const before = await settle(name);

    const droppedAt = Date.now();
    await dropTrack(roots.drop, 'Arrivals/Dropped.mp3', 2);
    await until('the dropped file to be a track', async () => ((await hasTrack(name, 'Arrivals/Dropped.mp3')) ? true : undefined));
    t.diagnostic(`track after ${Date.now() - droppedAt} ms (quiet window ${QUIET_MS} ms)`);

    await settle(name);
    const jobs = await newJobs(name, before);
    const adding = jobs.filter((j) => j.itemsAdded > 0);
    assert.equal(adding.length, 1, `one sync added it: ${JSON.stringify(jobs.map((j) => [j.requestedBy, j.itemsAdded]))}`);
    assert.equal(adding[0]!.requestedBy, 'watch');
    assert.equal(adding[0]!.mode, 'incremental');
    assert.equal(adding[0]!.status, 'completed');
    assert.ok(jobs.every((j) => j.requestedBy === 'watch'), 'nothing but the watcher asked');
    assert.equal(jobs.length, 1, 'the sync did not set off another (reading the folder is not a change)');
  });

  it(`a burst of ${BURST_FILES * 2} file events gives at most two syncs, and loses no file`, async (t) => {
    const name = names.burst;
    assert.equal((await fullSync(name)).status, 'completed');
    const before = await settle(name);
    const sample = path.join(tmp, 'sample.mp3');
    await dropTrack(tmp, 'sample.mp3', 3);

    const startedAt = performance.now();
    const files = Array.from({ length: BURST_FILES }, (_, i) => path.join(roots.burst, `b${Math.floor(i / 100)}`, `copy-${i}.mp3`));
    await Promise.all(Array.from({ length: 10 }, (_, d) => fs.mkdir(path.join(roots.burst, `b${d}`))));
    await Promise.all(files.map((f) => fs.copyFile(sample, f)));
    const copiedMs = performance.now() - startedAt;
    const later = new Date(Date.now() + 60_000);
    await Promise.all(files.map((f) => fs.utimes(f, later, later)));
    const burstMs = performance.now() - startedAt;

    await settle(name);
    const jobs = await newJobs(name, before);
    t.diagnostic(`burst: ${BURST_FILES} copies in ${copiedMs.toFixed(0)} ms, then touched: ${burstMs.toFixed(0)} ms in all; ${jobs.length} syncs: ${JSON.stringify(jobs.map((j) => ({ by: j.requestedBy, added: j.itemsAdded, updated: j.itemsUpdated, unchanged: j.itemsUnchanged })))}`);
    assert.ok(jobs.length >= 1 && jobs.length <= 2, `one or two syncs, got ${jobs.length}`);
    assert.ok(jobs.every((j) => j.requestedBy === 'watch' && j.status === 'completed'), 'watch syncs, completed');
    const tracks = await stack.sync.tracks(name);
    assert.equal(tracks.length, BURST_FILES, 'every copy is a track');
    const added = jobs.reduce((n, j) => n + j.itemsAdded, 0);
    assert.equal(added, BURST_FILES, 'each copy added once');
  });

  it('a paused profile shows why, lets a dropped file wait, and syncs it once resumed', async () => {
    const name = names.pause;
    await dropTrack(roots.pause, 'Before.mp3', 4);
    assert.equal((await fullSync(name)).status, 'completed');
    const before = await settle(name);

    const paused = await stack.sync.pause(name, { reason: 'moving the collection' });
    assert.equal(paused.status, 'paused');
    assert.equal(paused.paused?.reason, 'moving the collection');
    assert.equal(paused.paused?.by, 'client');
    const shown = await stack.sync.profileState(name);
    assert.equal(shown.status, 'paused');
    assert.equal(shown.paused?.reason, 'moving the collection');

    await dropTrack(roots.pause, 'While Paused.mp3', 5);
    const waiting = await until('the watcher\'s request to reach the paused actor', async () => {
      const state = await stack.sync.profileState(name);
      return state.pending?.sources.includes('watch') ? state : undefined;
    });
    assert.equal(waiting.status, 'paused');
    // Many quiet windows later, still nothing ran.
    await sleep(CALM_MS);
    assert.deepEqual(await newJobs(name, before), [], 'no sync while paused');
    assert.equal(await hasTrack(name, 'While Paused.mp3'), false);
    assert.equal((await stack.sync.profileState(name)).status, 'paused');

    const resumed = await stack.sync.resume(name);
    assert.equal(resumed.paused, undefined);
    await until('the file dropped while paused to be a track', async () => ((await hasTrack(name, 'While Paused.mp3')) ? true : undefined));
    await settle(name);
    const jobs = await newJobs(name, before);
    assert.deepEqual(jobs.map((j) => [j.requestedBy, j.status, j.itemsAdded]), [['watch', 'completed', 1]]);
    assert.equal((await stack.sync.profileState(name)).status, 'idle');
  });

  it('a schedule fired now syncs the profile; a backfill of ten hours of missed firings adds at most one sync', async (t) => {
    const name = names.schedule;
    await dropTrack(roots.schedule, 'Scheduled.mp3', 6);
    assert.equal((await fullSync(name)).status, 'completed');
    const before = await settle(name);

    const info = await stack.sync.schedule(name, { every: '1h' });
    const scheduleId = scheduleIdForProfile(name);
    assert.equal(info?.scheduleId, scheduleId);
    assert.equal(info?.description, 'every 1h');
    const handle = stack.client.schedule.getHandle(scheduleId);
    try {
      assert.equal((await stack.sync.profileState(name)).schedule?.scheduleId, scheduleId, 'the actor shows its schedule');
      // Its own hourly firing (at an offset of the profile's) stays out of the counts below; a paused
      // schedule is still triggered and backfilled.
      await handle.pause('the test fires it by hand');

      await handle.trigger();
      const scheduled = await until('the triggered sync to end', async () => {
        const jobs = await newJobs(name, before);
        return jobs.find((j) => j.requestedBy === 'schedule' && isTerminal(j.status));
      });
      assert.equal(scheduled.status, 'completed');
      assert.equal(scheduled.mode, 'incremental');
      const afterTrigger = await settle(name);
      assert.deepEqual((await newJobs(name, before)).map((j) => j.requestedBy), ['schedule'], 'the trigger gave one sync');

      // Ten hours of firings missed, all as of before the triggered sync started.
      const actionsBefore = (await handle.describe()).info.numActionsTaken;
      const now = Date.now();
      await handle.backfill([{ start: new Date(now - 10 * 3_600_000), end: new Date(now), overlap: ScheduleOverlapPolicy.ALLOW_ALL }]);
      // Nine or ten firings: a firing's time is its hour plus the schedule's jitter, so the last
      // hour's may fall after the end of the backfill.
      let seen = 0;
      await until('the backfill\'s firings', async () => {
        seen = (await handle.describe()).info.numActionsTaken - actionsBefore;
        return seen >= 9 ? true : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}; the schedule took ${seen} actions since the backfill`);
      });
      await sleep(1_000);
      const taken = await handle.describe();
      // Each firing's workflow hands its request to the actor and ends: wait for all of them.
      const fired = taken.info.recentActions.filter((a) => a.takenAt.getTime() >= now - 1_000);
      await Promise.all(fired.map((a) => stack.client.workflow.getHandle(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId).result()));
      await settle(name);
      const jobs = await newJobs(name, afterTrigger);
      t.diagnostic(`backfill: ${taken.info.numActionsTaken - actionsBefore} firings (scheduled ${fired.map((a) => a.scheduledAt.toISOString().slice(11, 19)).join(', ')}), ${jobs.length} more syncs`);
      assert.ok(jobs.length <= 1, `at most one more sync, got ${jobs.length}`);
      assert.ok(jobs.every((j) => j.requestedBy === 'schedule' && j.status === 'completed'));
    } finally {
      await stack.sync.schedule(name, null);
    }
    assert.equal((await stack.sync.profileState(name)).schedule, undefined, 'the removed schedule is gone from the actor');
  });

  describe('push notifications through the real endpoint, from the Drive fake', () => {
    let authority: FakeAuthority;
    let drive: GdriveFake;
    let server: PushServer;
    let keeper: Subscriptions;
    let served: string;

    before(async () => {
      served = path.join(tmp, 'drive');
      await fs.mkdir(path.join(served, 'Music'), { recursive: true });
      authority = await startFakeAuthority();
      drive = await startGdriveFake({ root: served, authority });
      server = await startPushServer({ db: stack.db, sink: actorRequests(stack.client), host: '127.0.0.1', port: 0 });
      keeper = keepSubscribed({ db: stack.db, secretBox: secretBoxOf(settings), publicUrl: `${server.url}/`, intervalMs: 3_600_000 });
    });

    after(async () => {
      await keeper?.stop();
      await server?.stop();
      await drive?.stop();
      await authority?.stop();
    });

    it('a notification with a wrong token changes nothing; the genuine one syncs the profile', async () => {
      await dropTrack(path.join(served, 'Music'), 'In The Cloud.mp3', 7);
      const profile = await stack.sync.registerProfile({
        name: 'actors-drive', provider: 'gdrive', root: 'Music',
        settings: { clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl, apiUrl: drive.apiUrl },
        secrets: { refreshToken: authority.grant() },
      });
      assert.equal((await fullSync(profile.name)).itemsAdded, 1);
      await keeper.once();
      const [channel] = await listPushChannels(stack.db, profile.id);
      assert.ok(channel, 'a Drive channel was opened');
      assert.equal(drive.channels().length, 1);
      const before = await settle(profile.name);
      const stateBefore = await stack.sync.profileState(profile.name);

      await dropTrack(path.join(served, 'Music'), 'Pushed.mp3', 8);
      const forged = await fetch(`${server.url}/push/gdrive`, {
        method: 'POST',
        headers: {
          'x-goog-channel-id': channel.id, 'x-goog-resource-id': channel.resourceId!, 'x-goog-resource-state': 'change',
          'x-goog-channel-token': 'not-the-channel-token', 'x-goog-message-number': '99',
        },
      });
      assert.equal(forged.status, 403);
      await sleep(CALM_MS);
      assert.deepEqual(await newJobs(profile.name, before), [], 'no sync for a forged notification');
      assert.deepEqual(await stack.sync.profileState(profile.name), stateBefore, 'the actor did not hear of it');
      assert.equal(await hasTrack(profile.name, 'Pushed.mp3'), false);

      const deliveries = await drive.notify();
      assert.deepEqual(deliveries.map((d) => d.status), [200]);
      await until('the pushed file to be a track', async () => ((await hasTrack(profile.name, 'Pushed.mp3')) ? true : undefined));
      await settle(profile.name);
      const jobs = await newJobs(profile.name, before);
      assert.deepEqual(jobs.map((j) => [j.requestedBy, j.mode, j.status, j.itemsAdded]), [['push', 'incremental', 'completed', 1]]);
    });
  });
});

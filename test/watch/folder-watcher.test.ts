// The folder watcher on real folders and a real Postgres: each burst of changes in a local profile's
// folder becomes one sync request; a broken watch becomes a request and heals; profiles come and go
// with the refresh; other providers are not watched; stop() leaves nothing running.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { SyncRequest, SyncRequestSink } from '../../src/contract/actor.ts';
import type { Db } from '../../src/db/connect.ts';
import { insertJob } from '../../src/db/jobs.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { commitSnapshot } from '../../src/db/snapshots.ts';
import { startFolderWatcher, type FolderWatcher } from '../../src/watch/folder-watcher.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { sleep, waitFor } from './wait.ts';

const QUIET_MS = 300;
/** Room for chokidar to see an event and for a loaded machine, on top of the quiet period. */
const SLACK_MS = 3_000;

let testDb: TestDb;
let db: Db;
let dir: string;
let running: FolderWatcher | undefined;

before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
});
after(() => testDb?.close());
beforeEach(async () => {
  await db.deleteFrom('profiles').execute();
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-watch-'));
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

interface Call {
  profile: { id: string; name: string };
  request: SyncRequest;
  at: number;
}

function recorder() {
  const calls: Call[] = [];
  const sink: SyncRequestSink = async (profile, request) => {
    calls.push({ profile, request, at: performance.now() });
  };
  return { calls, sink };
}

async function localProfile(name: string, root: string, provider = 'local') {
  await mkdir(root, { recursive: true });
  return insertProfile(db, { id: randomUUID(), name, provider, root });
}

async function start(sink: SyncRequestSink, options: { quietMs?: number; maxWaitMs?: number; refreshMs?: number; log?: (line: string) => void } = {}) {
  running = await startFolderWatcher({ db, sink, quietMs: QUIET_MS, maxWaitMs: 60_000, ...options });
  await running.ready();
  return running;
}

/** Waits for the `n`th request, then for a quiet period more to be sure no other follows. */
async function expectRequests(calls: Call[], n: number, what: string): Promise<Call[]> {
  await waitFor(what, () => calls.length >= n, QUIET_MS + SLACK_MS);
  await sleep(QUIET_MS * 2);
  assert.equal(calls.length, n, `${what}: ${calls.map((c) => c.request.reason).join('; ')}`);
  return calls;
}

/** Waits until no request has come for two quiet periods (a watch that broke is set up again by then). */
async function settle(calls: Call[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const seen = calls.length;
    await sleep(QUIET_MS * 2);
    if (calls.length === seen) return;
    assert.ok(performance.now() < deadline, 'the requests settle');
  }
}

function changes(call: Call): number {
  const match = /^(\d+) changes? in the folder$/.exec(call.request.reason ?? '');
  assert.ok(match, `a count of changes: ${call.request.reason}`);
  return Number(match[1]);
}

describe('folder watcher', () => {
  test('one file dropped in the folder: exactly one incremental request from the watch', async () => {
    const root = path.join(dir, 'music');
    const profile = await localProfile('home', root);
    const { calls, sink } = recorder();
    const watcher = await start(sink);
    assert.deepEqual(watcher.roots(), [root]);

    await writeFile(path.join(root, 'song.mp3'), 'audio');
    await expectRequests(calls, 1, 'the request for one file');
    assert.deepEqual(calls[0]!.profile, { id: profile.id, name: 'home' });
    assert.deepEqual(calls[0]!.request, { mode: 'incremental', source: 'watch', reason: '1 change in the folder' });
  });

  test('a profile synced before is asked for one sync when its watch starts: what changed meanwhile was unseen', async () => {
    const synced = await localProfile('synced', path.join(dir, 'synced'));
    await localProfile('never-synced', path.join(dir, 'never'));
    const jobId = randomUUID();
    await insertJob(db, { id: jobId, profileId: synced.id, provider: 'local', mode: 'full', workflowId: 'w', status: 'completed' });
    await commitSnapshot(db, synced.id, jobId);
    const { calls, sink } = recorder();
    await start(sink);
    await expectRequests(calls, 1, 'the catch-up request');
    assert.deepEqual(calls[0]!.profile, { id: synced.id, name: 'synced' });
    assert.equal(calls[0]!.request.reason, 'the folder watch was interrupted (it was not running)');
  });

  test('a burst of 1,000 files is one request', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    const { calls, sink } = recorder();
    await start(sink);

    const album = path.join(root, 'album');
    await mkdir(album);
    // Written in one go: a pause of the quiet period between writes (a loaded machine) would rightly
    // end the burst there.
    for (let i = 0; i < 1_000; i++) writeFileSync(path.join(album, `track-${i}.mp3`), 'audio');
    await expectRequests(calls, 1, 'one request for the burst');
    assert.ok(changes(calls[0]!) >= 1_001, `the folder and its 1,000 files: ${calls[0]!.request.reason}`);
  });

  test('changes that never stop are requested by maxWaitMs, while they go on', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    const { calls, sink } = recorder();
    await start(sink, { maxWaitMs: 1_000 });

    const startedAt = performance.now();
    let i = 0;
    while (performance.now() - startedAt < 2_600) {
      await writeFile(path.join(root, `copy-${i++}.mp3`), 'audio');
      await sleep(100);
    }
    const endedAt = performance.now();
    assert.ok(calls.length >= 2, `${calls.length} requests while the changes went on`);
    assert.ok(calls[0]!.at < endedAt);
    await waitFor('the last burst', () => calls.reduce((sum, c) => sum + changes(c), 0) >= i, QUIET_MS + SLACK_MS);
  });

  test('a change, a rename, a delete, a folder moved in and out: a request each; a symlinked folder is not followed', async () => {
    const root = path.join(dir, 'music');
    const outside = path.join(dir, 'elsewhere');
    await localProfile('home', root);
    await mkdir(outside);
    await writeFile(path.join(root, 'a.mp3'), 'audio');
    const { calls, sink } = recorder();
    await start(sink);

    const steps: [string, () => Promise<void>][] = [
      ['a change', () => appendFile(path.join(root, 'a.mp3'), 'more')],
      ['a rename', () => rename(path.join(root, 'a.mp3'), path.join(root, 'b.mp3'))],
      ['a delete', () => rm(path.join(root, 'b.mp3'))],
      ['a folder moved in', async () => {
        await mkdir(path.join(outside, 'album', 'disc 1'), { recursive: true });
        await writeFile(path.join(outside, 'album', 'disc 1', 't.mp3'), 'audio');
        await rename(path.join(outside, 'album'), path.join(root, 'album'));
      }],
      ['a change in the moved folder', () => writeFile(path.join(root, 'album', 'disc 1', 'u.mp3'), 'audio')],
      ['the folder moved out', () => rename(path.join(root, 'album'), path.join(outside, 'album'))],
      ['a symlink to a folder outside', () => symlink(path.join(outside, 'album'), path.join(root, 'link'))],
    ];
    for (const [what, step] of steps) {
      const before = calls.length;
      await step();
      await expectRequests(calls, before + 1, what);
    }
    // Neither the folder that left nor the one behind the symlink is watched.
    await writeFile(path.join(outside, 'album', 'disc 1', 'v.mp3'), 'audio');
    await sleep(QUIET_MS + 700);
    assert.equal(calls.length, steps.length, 'changes outside the folder are not requested');
  });

  test('the folder removed: a request, and watching resumes once it is back', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    await writeFile(path.join(dir, 'placeholder'), '');
    const { calls, sink } = recorder();
    const lines: string[] = [];
    await start(sink, { log: (line) => lines.push(line) });

    await rm(root, { recursive: true });
    await expectRequests(calls, 1, 'the request for the removed folder');
    assert.equal(calls[0]!.request.reason, 'the folder watch was interrupted (the folder was removed)');
    assert.equal(calls[0]!.request.mode, 'incremental');

    await mkdir(root);
    await waitFor('the request for the gap', () => calls.length === 2, 5_000 + SLACK_MS);
    assert.equal(calls[1]!.request.reason, 'the folder watch was interrupted (watching again)');

    await writeFile(path.join(root, 'back.mp3'), 'audio');
    await expectRequests(calls, 3, 'the request for a change after the folder came back');
    assert.equal(calls[2]!.request.reason, '1 change in the folder');
    assert.ok(lines.some((l) => l.includes('the folder was removed')), lines.join('\n'));
  });

  test('the folder replaced by another with the same names: a request, and the new folder is the one watched', async () => {
    // Events alone need not show it (the names are the same); the check of the folder's identity at
    // each refresh does.
    const root = path.join(dir, 'music');
    const other = path.join(dir, 'other');
    await localProfile('home', root);
    await mkdir(other);
    await writeFile(path.join(root, 'a.mp3'), 'old audio');
    await writeFile(path.join(other, 'a.mp3'), 'new audio');
    const { calls, sink } = recorder();
    await start(sink, { refreshMs: 500 });

    await rename(root, path.join(dir, 'old'));
    await rename(other, root);
    await waitFor('the request for the replaced folder', () => calls.some((c) => c.request.reason === 'the folder watch was interrupted (the folder was replaced)'), 1_000 + QUIET_MS + SLACK_MS);
    await settle(calls);
    assert.ok(calls.every((c) => c.request.reason?.startsWith('the folder watch was interrupted')), calls.map((c) => c.request.reason).join('; '));
    const before = calls.length;

    await writeFile(path.join(dir, 'old', 'gone.mp3'), 'audio');
    await writeFile(path.join(root, 'new.mp3'), 'audio');
    await expectRequests(calls, before + 1, 'one request, for the folder now at the root');
    assert.equal(calls.at(-1)!.request.reason, '1 change in the folder');
  });

  test('a watcher error: a request, and the watch is set up again once it can be', async () => {
    // A real error: a path longer than the system allows (PATH_MAX) inside the folder.
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    const holder = path.join(root, 'h'.repeat(250));
    await mkdir(holder);
    const chain = path.join(dir, 'chain');
    let deepest = chain;
    while (deepest.length + 201 < 4_090) deepest = path.join(deepest, 'd'.repeat(200));
    await mkdir(deepest, { recursive: true });
    const PATH_MAX = 4_096;
    assert.ok(holder.length + 1 + deepest.length - dir.length - 1 > PATH_MAX, 'the chain moved into the folder is too long a path');
    const { calls, sink } = recorder();
    const lines: string[] = [];
    await start(sink, { log: (line) => lines.push(line) });

    await rename(chain, path.join(holder, 'chain'));
    try {
      await waitFor('the request for the error', () => calls.some((c) => c.request.reason?.includes('ENAMETOOLONG')), QUIET_MS + SLACK_MS);
      assert.ok(lines.some((l) => l.includes('ENAMETOOLONG')), lines.join('\n'));
    } finally {
      await rename(path.join(holder, 'chain'), chain);
    }
    await waitFor('the watch set up again', () => calls.some((c) => c.request.reason?.includes('watching again')), 5_000 + SLACK_MS);
    await settle(calls);
    const before = calls.length;
    await writeFile(path.join(root, 'after.mp3'), 'audio');
    await expectRequests(calls, before + 1, 'a change once watched again');
    assert.equal(calls.at(-1)!.request.reason, '1 change in the folder');
  });

  test('profiles added and removed after start are picked up by the refresh; other providers are not watched', async () => {
    const { calls, sink } = recorder();
    const remoteLike = path.join(dir, 'webdav-cache');
    await localProfile('dav', remoteLike, 'webdav');
    const watcher = await start(sink, { refreshMs: 200 });
    assert.deepEqual(watcher.roots(), []);

    const root = path.join(dir, 'music');
    const profile = await localProfile('late', root);
    await waitFor('the new profile watched', () => watcher.roots().includes(root), 3_000);
    await watcher.ready();
    await writeFile(path.join(root, 'song.mp3'), 'audio');
    await expectRequests(calls, 1, 'the request for the new profile');
    assert.equal(calls[0]!.profile.id, profile.id);

    await writeFile(path.join(remoteLike, 'song.mp3'), 'audio');
    await sleep(QUIET_MS + 700);
    assert.equal(calls.length, 1, 'a webdav profile is not watched');

    await db.deleteFrom('profiles').where('id', '=', profile.id).execute();
    await waitFor('the removed profile unwatched', () => watcher.roots().length === 0, 3_000);
    await writeFile(path.join(root, 'after.mp3'), 'audio');
    await sleep(QUIET_MS + 700);
    assert.equal(calls.length, 1, 'a removed profile is not watched');
  });

  test('a sink that fails: one line logged, the request delivered later, nothing unhandled', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    const delivered: SyncRequest[] = [];
    let attempts = 0;
    const sink: SyncRequestSink = async (_profile, request) => {
      attempts += 1;
      if (attempts === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:7233\n    at more detail');
      delivered.push(request);
    };
    const lines: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await start(sink, { log: (line) => lines.push(line) });
      await writeFile(path.join(root, 'one.mp3'), 'audio');
      await waitFor('the failed try', () => attempts === 1, QUIET_MS + SLACK_MS);
      await writeFile(path.join(root, 'two.mp3'), 'audio');
      await waitFor('the delivery', () => delivered.length === 1, 2_000 + SLACK_MS);
      assert.equal(delivered[0]!.reason, '2 changes in the folder', 'the failed request and the next burst are one');
      assert.equal(lines.filter((l) => l.includes('could not request a sync')).length, 1, lines.join('\n'));
      assert.ok(lines.every((l) => !l.includes('\n')));
      assert.ok(lines.some((l) => l.includes('ECONNREFUSED')));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  test('stop() closes every watch and timer: the process then ends by itself', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    // A folder that is not there yet: its watch waits on a retry timer.
    await insertProfile(db, { id: randomUUID(), name: 'missing', provider: 'local', root: path.join(dir, 'not-yet') });
    const child = spawn(process.execPath, [fileURLToPath(new URL('./stop-child.ts', import.meta.url)), testDb.url, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, `the process ended by itself (stderr: ${stderr})`);
    const { requests, roots } = JSON.parse(stdout) as { requests: SyncRequest[]; roots: string[] };
    assert.deepEqual(requests, [{ mode: 'incremental', source: 'watch', reason: '1 change in the folder' }], 'the burst under way is requested at stop');
    assert.deepEqual(roots, []);
  });

  test('stop() closes the watches: later changes are not requested', async () => {
    const root = path.join(dir, 'music');
    await localProfile('home', root);
    const watches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const baseline = watches();
    const { calls, sink } = recorder();
    const watcher = await start(sink);
    assert.ok(watches() > baseline, 'the folder is watched');
    await watcher.stop();
    // A closed fs.watch handle leaves the list on the next turn of the event loop.
    await waitFor('the watches closed', () => watches() === baseline, 1_000);
    await writeFile(path.join(root, 'after.mp3'), 'audio');
    await sleep(QUIET_MS + 700);
    assert.equal(calls.length, 0);
  });
});

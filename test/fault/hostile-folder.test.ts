// A folder built to break a music scanner (see test/helpers/fault-files.ts), synced by the product's own
// worker command. The full sync must end within its per-file deadlines; every audio-named entry must be
// a track or a failed item with a reason; each track's path must lead back to the very bytes it was
// read from; nothing outside the folder may be read. Then an incremental sync must end too, equal to a
// clean full sync.
//
// As root every folder can be listed, so the worker then runs as the unprivileged `nobody` user; without
// such a user the unlistable-folder case is skipped (and says so).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SyncConfig } from '../../src/contract/config.ts';
import { textToBytes } from '../../src/providers/path-bytes.ts';
import { Checks } from '../helpers/fault-checks.ts';
import { writeHostileFolder, type HostileFolder } from '../helpers/fault-files.ts';
import { assertJobConsistent, assertNoDuplicateRows, assertNoJobRunning, assertSameLibrary, libraryState } from '../helpers/fault-library.ts';
import { within } from '../helpers/fault-progress.ts';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack.ts';
import { spawnCliWorker, type CliWorker } from '../helpers/fault-worker.ts';

/** Per-file deadlines kept short: no single file may hold a sync for long. */
const DEADLINES: Partial<SyncConfig> = { parseTimeoutMs: 2_000, readStallTimeoutMs: 2_000 };
/** The whole folder, with every file at its deadline four at a time, stays well inside this. */
const SYNC_LIMIT_MS = 60_000;
const A_LONG_TIME_AGO = new Date('2001-01-01T00:00:00Z');

let s: FaultStack;
let worker: CliWorker | undefined;
let root: string;
let folder: HostileFolder;
let atimeWorks = false;
let outsideHash: string;
let profileId: string;
let fullJobId: string;
const timings: string[] = [];

/** The unprivileged user a root test runs the worker as; undefined if there is none. */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const absolute = (relText: string) => Buffer.concat([Buffer.from(root), Buffer.from('/'), textToBytes(relText)]);

async function runSync(start: Promise<{ jobId: string }>, what: string): Promise<{ jobId: string; ms: number }> {
  const t0 = performance.now();
  const { jobId } = await start;
  const result = await within(s.sync.waitForResult(jobId), SYNC_LIMIT_MS, `the end of the ${what}`);
  assert.equal(result.status, 'completed', `the ${what} completed`);
  return { jobId, ms: performance.now() - t0 };
}

describe('a hostile folder', { timeout: 300_000 }, () => {
  before(async () => {
    const t0 = performance.now();
    s = await startFaultStack('music-sync-hostile-');
    root = path.join(s.dir, 'music');
    await mkdir(root, { mode: 0o755 });
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? unprivilegedUser() : undefined;
    folder = await writeHostileFolder(root, path.join(s.dir, 'outside'), !asRoot || user !== undefined);
    // Reading a file whose access time is older than its change time updates it (even under relatime):
    // proven here on a probe, then the outside file must keep its old access time.
    const probe = path.join(s.dir, 'probe');
    await writeFile(probe, 'probe');
    await utimes(probe, A_LONG_TIME_AGO, new Date());
    await readFile(probe);
    atimeWorks = (await stat(probe)).atimeMs > A_LONG_TIME_AGO.getTime();
    outsideHash = sha256(await readFile(folder.outsideFile));
    await utimes(folder.outsideFile, A_LONG_TIME_AGO, new Date());
    worker = spawnCliWorker({
      temporalAddress: s.temporalAddress, databaseUrl: s.databaseUrl, dataDir: path.join(s.dir, 'worker-data'),
      ...(user ? { user } : {}),
    });
    await worker.ready;
    profileId = (await s.sync.registerProfile({ name: 'hostile', provider: 'local', root })).id;
    timings.push(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s (worker as ${user ? `uid ${user.uid}` : asRoot ? 'root' : 'this user'})`);
  });

  after(async () => {
    if (worker) {
      worker.kill('SIGTERM');
      await within(worker.exited, 15_000, 'the worker stopping').catch(async () => {
        worker!.kill('SIGKILL');
        await worker!.exited;
      });
    }
    await folder?.locked?.restore();
    await s?.close();
    console.log(`hostile-folder: ${timings.join(', ')}`);
  });

  test('the full sync ends within its deadlines: every audio-named entry a track or a failed item with a reason', async (t) => {
    if (!folder.locked) t.diagnostic('SKIPPED the unlistable folder: running as root with no unprivileged user to run the worker as');
    const { jobId, ms } = await runSync(s.sync.startFullSync(profileId, DEADLINES), 'full sync');
    fullJobId = jobId;
    timings.push(`full sync ${(ms / 1000).toFixed(1)} s`);
    t.diagnostic(`full sync of ${folder.entries.length} hostile entries in ${(ms / 1000).toFixed(1)} s`);

    const tracks = await s.sync.tracks(profileId);
    const failed = await s.sync.failedItems(jobId);
    const trackAt = new Map(tracks.map((tr) => [tr.path, tr]));
    const failedAt = new Map(failed.map((f) => [f.path, f.reason]));
    assert.equal(trackAt.size, tracks.length, 'one track per path');
    assert.equal(failedAt.size, failed.length, 'one failed item per path');
    for (const f of failed) t.diagnostic(`failed ${JSON.stringify(f.path).slice(0, 80)}: ${f.reason}`);

    const problems: string[] = [];
    for (const e of folder.entries) {
      const where = `${e.why} (${JSON.stringify(e.path).slice(0, 80)})`;
      const isTrack = trackAt.has(e.path);
      const reason = failedAt.get(e.path);
      if (isTrack && reason !== undefined) problems.push(`${where} is both a track and failed`);
      else if (e.verdict === 'track' && !isTrack) problems.push(`${where} is not a track${reason ? ` (failed: ${reason})` : ''}`);
      else if (e.verdict === 'failed' && reason === undefined) problems.push(`${where} is not a failed item${isTrack ? ' (it is a track)' : ''}`);
      else if (!isTrack && reason === undefined) problems.push(`${where} is neither a track nor a failed item`);
      if (reason !== undefined && (reason.trim() === '' || reason === 'unknown')) problems.push(`${where} failed without a reason`);
    }
    const known = new Set(folder.entries.map((e) => e.path));
    for (const p of trackAt.keys()) if (!known.has(p)) problems.push(`unexpected track ${JSON.stringify(p).slice(0, 120)}`);
    for (const p of failedAt.keys()) {
      if (!known.has(p) && p !== folder.locked?.path) problems.push(`unexpected failed item ${JSON.stringify(p).slice(0, 120)}`);
    }
    if (folder.locked) {
      const reason = failedAt.get(folder.locked.path);
      if (!reason?.trim()) problems.push(`the folder that cannot be listed (${folder.locked.path}) is not a failed item with a reason`);
      for (const p of [...trackAt.keys(), ...failedAt.keys()]) {
        if (p.startsWith(`${folder.locked.path}/`)) problems.push(`${p} was seen inside the folder that cannot be listed`);
      }
    }
    const checks = new Checks();
    await checks.run('entries', () => assert.deepEqual(problems, [], 'every audio-named entry is a track or a failed item with a reason'));

    // A track's path leads back to the exact bytes it was read from.
    const roundTrip: string[] = [];
    for (const tr of tracks) {
      const entry = folder.entries.find((e) => e.path === tr.path);
      if (entry && !textToBytes(tr.path).equals(entry.bytes)) roundTrip.push(`${JSON.stringify(tr.path).slice(0, 80)}: its bytes are not the name's`);
      const bytes = await readFile(absolute(tr.path)).catch((err: Error) => err);
      if (bytes instanceof Error) roundTrip.push(`${JSON.stringify(tr.path).slice(0, 80)}: ${bytes.message.slice(0, 120)}`);
      else if (sha256(bytes) !== tr.contentHash) roundTrip.push(`${JSON.stringify(tr.path).slice(0, 80)}: content ${tr.contentHash} is not the file's`);
      if (tr.title.includes('\0') || tr.artists.some((a) => a.includes('\0'))) roundTrip.push(`${JSON.stringify(tr.path)}: a NUL in its tags`);
    }
    await checks.run('paths', () => assert.deepEqual(roundTrip, [], 'every track path round-trips to its file'));
    await checks.run('the job', () => assertJobConsistent(s.db, jobId));
    await checks.run('rows', () => assertNoDuplicateRows(s.db, profileId));
    checks.assertAll('the full sync of a hostile folder');
  });

  test('nothing outside the root is read', async (t) => {
    assert.ok(fullJobId, 'the full sync ran');
    const tracks = await s.sync.tracks(profileId);
    assert.ok(!tracks.some((tr) => tr.contentHash === outsideHash), 'the outside file is no track');
    assert.ok(!tracks.some((tr) => tr.path.includes('outside-folder/') || tr.path.includes('folder-loop/')), 'linked folders are not followed');
    if (!atimeWorks) {
      t.diagnostic('access times are not updated on this filesystem: the outside file could only be checked by its hash');
      return;
    }
    const { atimeMs } = await stat(folder.outsideFile);
    assert.equal(atimeMs, A_LONG_TIME_AGO.getTime(), `the outside file was not read (access time ${new Date(atimeMs).toISOString()})`);
  });

  test('an incremental sync ends too, equal to a clean full sync', async (t) => {
    assert.ok(fullJobId, 'the full sync ran');
    const inc = await runSync(s.sync.startIncrementalSync(profileId, undefined, DEADLINES), 'incremental sync');
    const ref = await s.sync.registerProfile({ name: 'hostile-reference', provider: 'local', root });
    const clean = await runSync(s.sync.startFullSync(ref.id, DEADLINES), 'clean full sync');
    timings.push(`incremental ${(inc.ms / 1000).toFixed(1)} s`, `clean full ${(clean.ms / 1000).toFixed(1)} s`);
    t.diagnostic(`incremental ${(inc.ms / 1000).toFixed(1)} s, clean full sync ${(clean.ms / 1000).toFixed(1)} s`);
    const checks = new Checks();
    await checks.run('the library', async () => {
      assertSameLibrary(await libraryState(s.db, s.sync, profileId), await libraryState(s.db, s.sync, ref.id), 'after the incremental sync');
    });
    const failedPaths = async (jobId: string) => (await s.sync.failedItems(jobId)).map((f) => f.path);
    await checks.run('failed items', async () => {
      assert.deepEqual(await failedPaths(inc.jobId), await failedPaths(clean.jobId), 'the same failed items as a clean full sync');
    });
    await checks.run('jobs', () => assertNoJobRunning(s.db));
    if (atimeWorks) {
      await checks.run('outside', async () => {
        assert.equal((await stat(folder.outsideFile)).atimeMs, A_LONG_TIME_AGO.getTime(), 'the outside file is still unread');
      });
    }
    await checks.run('the incremental job', () => assertJobConsistent(s.db, inc.jobId));
    await checks.run('the clean job', () => assertJobConsistent(s.db, clean.jobId));
    checks.assertAll('the incremental sync of a hostile folder');
  });
});

// End to end: the real Temporal dev server, embedded Postgres and an in-process worker (one stack for
// the whole file), syncing real folders: the shared sample corpus and generated tagged libraries.
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SyncCancelledError, SyncInProgressError, SyncProviderError } from '../../src/client/errors.ts';
import type { SyncEvent, Track } from '../../src/client/types.ts';
import { listEvents } from '../../src/db/events.ts';
import { openApp, type App } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { DEFAULT_SYNC_CONFIG, type SyncConfig } from '../../src/contract/config.ts';
import { filterFile } from '../../src/media/audio-formats.ts';
import type { SyncPhase } from '../../src/contract/sync.ts';
import { generateLibrary, writeTrackFile, type GeneratedTrack } from '../../src/testing/fixtures.ts';

// Read in place, never copied. MUSIC_SYNC_CORPUS points elsewhere; without the folder scenario a is skipped.
const CORPUS = path.resolve(process.env.MUSIC_SYNC_CORPUS ?? path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples'));
const PHASES: SyncPhase[] = ['queued', 'validate', 'discover', 'filter', 'process', 'resolve', 'complete'];

let stack: App;
let tmp: string;
let profileCounter = 0;

/** A fresh folder and a profile on it with a unique name. */
async function newProfile(label: string): Promise<{ name: string; root: string }> {
  const name = `e2e-${label}-${++profileCounter}-${process.pid}`;
  const root = path.join(tmp, 'libraries', name);
  await fs.mkdir(root, { recursive: true });
  await stack.sync.registerProfile({ name, provider: 'local', root });
  return { name, root };
}

async function fullSync(profile: string, config?: Partial<SyncConfig>) {
  const started = await stack.sync.startFullSync(profile, config);
  const result = await stack.sync.waitForResult(started.jobId);
  const job = await stack.sync.getStatus(started.jobId);
  return { started, result, job };
}

function byPath(tracks: Track[]): Map<string, Track> {
  return new Map(tracks.map((t) => [t.path, t]));
}

/** Files the local provider lists: recursive, dot-entries skipped, symlinked folders skipped. */
async function walk(root: string, rel: string[] = []): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const entries = await fs.readdir(path.join(root, ...rel), { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const segs = [...rel, e.name];
    const abs = path.join(root, ...segs);
    if (e.isDirectory()) out.push(...(await walk(root, segs)));
    else if (e.isFile() || (e.isSymbolicLink() && (await fs.stat(abs).catch(() => undefined))?.isFile())) {
      out.push({ path: segs.join('/'), size: (await fs.stat(abs)).size });
    }
  }
  return out;
}

describe('music-sync end to end (Temporal dev server + embedded Postgres)', { timeout: 600_000 }, () => {
  before(async () => {
    // Several scenarios fail or cancel syncs on purpose; the worker's WARN logs of those are noise here.
    Runtime.install({ logger: new DefaultLogger(process.env.E2E_LOG_LEVEL === 'WARN' ? 'WARN' : 'ERROR') });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-e2e-'));
    // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
    await fs.chmod(tmp, 0o755);
    stack = await openApp(readSettings(), { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false });
  });

  after(async () => {
    await stack?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;
  it('a. syncs the sample corpus: every audio file is a track or a failed item with a reason', { skip: noCorpus }, async (t) => {
    const name = `e2e-corpus-${process.pid}`;
    await stack.sync.registerProfile({ name, provider: 'local', root: CORPUS });
    const { result, job, started } = await fullSync(name);
    assert.equal(result.status, 'completed');
    assert.equal(job.status, 'completed');
    assert.equal(job.phase, 'complete');

    const walked = await walk(CORPUS);
    const audio = new Set<string>();
    const other = new Set<string>();
    for (const f of walked) {
      const verdict = filterFile({ path: f.path, size: f.size, mimeType: null }, DEFAULT_SYNC_CONFIG.maxFileSize);
      (verdict.keep ? audio : other).add(f.path);
    }
    assert.ok(audio.size > 150, `the corpus has audio files (${audio.size})`);
    assert.ok(other.size > 0, 'the corpus has non-audio files');

    const tracks = await stack.sync.tracks(name);
    const failed = await stack.sync.failedItems(started.jobId);
    const trackPaths = new Set(tracks.map((t) => t.path));
    const failedPaths = new Set(failed.map((f) => f.path));
    assert.equal(trackPaths.size, tracks.length, 'one live track per path');
    assert.equal(failedPaths.size, failed.length, 'one failed item per path');
    for (const p of trackPaths) assert.ok(!failedPaths.has(p), `${p} is both a track and failed`);
    for (const f of failed) assert.ok(f.reason.trim().length > 0 && f.reason !== 'unknown', `${f.path} has a reason`);
    assert.deepEqual([...new Set([...trackPaths, ...failedPaths])].sort(), [...audio].sort(), 'tracks + failed = audio files');
    for (const p of other) assert.ok(!trackPaths.has(p) && !failedPaths.has(p), `${p} (not audio) is neither`);

    assert.equal(job.itemsDiscovered, walked.length);
    assert.equal(job.itemsFiltered, other.size);
    assert.equal(job.itemsQueued, tracks.length + failed.length);
    assert.equal(job.itemsProcessed, job.itemsQueued);
    assert.equal(job.itemsFailed, failed.length);
    assert.equal(job.itemsAdded, tracks.length);
    assert.equal(job.itemsDeleted, 0);
    assert.deepEqual(result.counters, {
      itemsDiscovered: job.itemsDiscovered, itemsFiltered: job.itemsFiltered, itemsQueued: job.itemsQueued,
      itemsProcessed: job.itemsProcessed, itemsAdded: job.itemsAdded, itemsUpdated: job.itemsUpdated,
      itemsRenamed: job.itemsRenamed, itemsUnchanged: job.itemsUnchanged, itemsFailed: job.itemsFailed,
      itemsDeleted: job.itemsDeleted, duplicateGroups: job.duplicateGroups, bytesRead: job.bytesRead,
    });
    for (const track of tracks) {
      assert.match(track.contentHash, /^sha256:[0-9a-f]{64}$/);
      assert.ok(track.title.length > 0, `${track.path} has a title`);
    }
    t.diagnostic(`corpus: ${walked.length} files, ${tracks.length} tracks, ${failed.length} failed, ${other.size} filtered`);
    for (const f of failed) t.diagnostic(`failed ${f.path}: ${f.reason}`);
  });

  it('b. generated files: tags in the library equal the tags written', async () => {
    const { name, root } = await newProfile('tags');
    const lib = await generateLibrary(root, 28, 2024, { pictureShare: 0.4 });
    const untitled = [
      await writeTrackFile(root, 'Loose/No Title Here.mp3', { artists: ['Someone'], album: 'Loose Ends', trackNo: 1 }, { seed: 11 }),
      await writeTrackFile(root, 'Loose/Also Untitled.flac', { artists: ['Someone'], picture: true }, { seed: 12 }),
    ];
    assert.ok(lib.some((t) => t.format === 'flac') && lib.some((t) => t.format === 'mp3'));
    assert.ok(lib.some((t) => t.tags.picture) && lib.some((t) => !t.tags.picture));
    assert.ok(lib.some((t) => (t.tags.artists?.length ?? 0) > 1), 'some tracks have several artists');

    const { result } = await fullSync(name);
    assert.equal(result.status, 'completed');
    assert.equal(result.counters.itemsAdded, 30);
    assert.equal(result.counters.itemsFailed, 0);
    const tracks = byPath(await stack.sync.tracks(name));
    assert.equal(tracks.size, 30);

    for (const w of lib) {
      const t = tracks.get(w.path);
      assert.ok(t, `${w.path} is a track`);
      const expected = {
        title: w.tags.title, artists: w.tags.artists, album: w.tags.album, albumArtist: w.tags.albumArtist,
        trackNo: w.tags.trackNo, trackTotal: w.tags.trackTotal, discNo: w.tags.discNo, year: w.tags.year,
        genres: [w.tags.genre], hasArtwork: Boolean(w.tags.picture),
      };
      const actual = {
        title: t.title, artists: t.artists, album: t.album, albumArtist: t.albumArtist, trackNo: t.trackNo,
        trackTotal: t.trackTotal, discNo: t.discNo, year: t.year, genres: t.genres, hasArtwork: t.hasArtwork,
      };
      assert.deepEqual(actual, expected, w.path);
      assert.ok(t.durationMs !== null && Math.abs(t.durationMs - w.durationSec * 1000) <= 30, `${w.path} duration ${t.durationMs}`);
      assert.equal(t.codec, w.format === 'flac' ? 'FLAC' : 'MPEG 1 Layer 3');
      assert.equal(t.lossless, w.format === 'flac');
      assert.equal(t.sampleRate, 44100);
      assert.equal(t.size, w.size);
    }
    const noTitle = tracks.get('Loose/No Title Here.mp3');
    assert.equal(noTitle?.title, 'No Title Here');
    assert.deepEqual(noTitle?.artists, ['Someone']);
    assert.equal(noTitle?.album, 'Loose Ends');
    assert.equal(noTitle?.hasArtwork, false);
    const noTitleFlac = tracks.get('Loose/Also Untitled.flac');
    assert.equal(noTitleFlac?.title, 'Also Untitled');
    assert.equal(noTitleFlac?.hasArtwork, true);
    assert.equal(untitled.length, 2);
  });

  it('c. a file copied to two other paths is one duplicate group of three paths', async () => {
    const { name, root } = await newProfile('dupes');
    const lib = await generateLibrary(root, 6, 7);
    const original = lib[2]!;
    const copies = ['Copies/copy one.mp3', 'Elsewhere/Deep/copy two.mp3'];
    for (const c of copies) {
      await fs.mkdir(path.dirname(path.join(root, c)), { recursive: true });
      await fs.copyFile(original.absPath, path.join(root, c));
    }
    const { result, job } = await fullSync(name);
    assert.equal(result.status, 'completed');
    assert.equal(result.counters.itemsAdded, 8);
    assert.equal(job.duplicateGroups, 1);
    const groups = await stack.sync.duplicates(name);
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0]!.paths, [original.path, ...copies].sort());
    const tracks = byPath(await stack.sync.tracks(name));
    assert.equal(groups[0]!.kind, 'identical');
    assert.equal(groups[0]!.hash, tracks.get(original.path)!.contentHash);
  });

  it('d. a rename and a move between two full syncs keep the track ids', async () => {
    const { name, root } = await newProfile('rename');
    const lib = await generateLibrary(root, 10, 99);
    const first = await fullSync(name);
    assert.equal(first.result.counters.itemsAdded, 10);
    const before = byPath(await stack.sync.tracks(name));

    const renamed = lib[1]!;
    const moved = lib[6]!;
    const renamedTo = `${path.posix.dirname(renamed.path)}/Renamed Song.${renamed.format}`;
    const movedTo = `Moved Here/Sub/${path.posix.basename(moved.path)}`;
    await fs.rename(renamed.absPath, path.join(root, renamedTo));
    await fs.mkdir(path.join(root, 'Moved Here', 'Sub'), { recursive: true });
    await fs.rename(moved.absPath, path.join(root, movedTo));

    const second = await fullSync(name);
    assert.equal(second.result.status, 'completed');
    assert.equal(second.job.itemsRenamed, 2);
    assert.equal(second.job.itemsAdded, 0);
    assert.equal(second.job.itemsDeleted, 0);
    assert.equal(second.job.itemsUnchanged, 8);
    const after = byPath(await stack.sync.tracks(name));
    assert.equal(after.size, 10);
    assert.equal(after.get(renamedTo)?.id, before.get(renamed.path)!.id);
    assert.equal(after.get(movedTo)?.id, before.get(moved.path)!.id);
    assert.ok(!after.has(renamed.path) && !after.has(moved.path));
    // Same ids overall; no tombstones were made.
    assert.deepEqual([...after.values()].map((t) => t.id).sort(), [...before.values()].map((t) => t.id).sort());
    const rows = await stack.db.selectFrom('tracks').select(['id', 'deleted_at']).where('profile_id', '=', (await stack.sync.getProfile(name)).id).execute();
    assert.equal(rows.length, 10);
    assert.ok(rows.every((r) => r.deleted_at === null));
  });

  it('e. a deleted file is soft-deleted by the next full sync', async () => {
    const { name, root } = await newProfile('delete');
    const lib = await generateLibrary(root, 10, 5);
    await fullSync(name);
    const gone = lib[4]!;
    const goneId = byPath(await stack.sync.tracks(name)).get(gone.path)!.id;
    await fs.rm(gone.absPath);

    const second = await fullSync(name);
    assert.equal(second.result.status, 'completed');
    assert.equal(second.job.itemsDeleted, 1);
    assert.equal(second.result.counters.itemsDeleted, 1);
    assert.equal(second.job.needsReview, null);
    const tracks = byPath(await stack.sync.tracks(name));
    assert.equal(tracks.size, 9);
    assert.ok(!tracks.has(gone.path));
    const row = await stack.db.selectFrom('tracks').selectAll().where('id', '=', goneId).executeTakeFirstOrThrow();
    assert.ok(row.deleted_at instanceof Date, 'the row is kept with deleted_at set');
    assert.equal(row.path, gone.path);
    assert.equal(row.last_job_id, second.started.jobId);
  });

  it('f. an emptied folder deletes nothing (needs review); a missing root fails the sync', async () => {
    const { name, root } = await newProfile('guard');
    await generateLibrary(root, 26, 31);
    const first = await fullSync(name);
    assert.equal(first.result.counters.itemsAdded, 26);
    const ids = (await stack.sync.tracks(name)).map((t) => t.id).sort();

    // Move everything out of the root: the folder exists but is empty.
    const away = path.join(tmp, 'moved-away', name);
    await fs.mkdir(away, { recursive: true });
    for (const entry of await fs.readdir(root)) await fs.rename(path.join(root, entry), path.join(away, entry));
    assert.deepEqual(await fs.readdir(root), []);

    const emptied = await fullSync(name);
    assert.equal(emptied.result.status, 'needs_review', 'a held sync is a result, not an error');
    assert.equal(emptied.job.status, 'needs_review');
    assert.equal(emptied.job.itemsDeleted, 0);
    assert.match(emptied.job.needsReview ?? '', /no longer has 26 of the 26 tracks.*music-sync sync e2e-guard-\S+ --confirm-deletions/);
    assert.equal(emptied.result.needsReview, emptied.job.needsReview);
    assert.deepEqual((await stack.sync.tracks(name)).map((t) => t.id).sort(), ids, 'all tracks still live');

    // Now the root itself is gone (an unmounted drive).
    await fs.rm(root, { recursive: true });
    const started = await stack.sync.startFullSync(name, { retryAttempts: 2 });
    await assert.rejects(stack.sync.waitForResult(started.jobId), (err: unknown) => {
      assert.ok(err instanceof SyncProviderError, `SyncProviderError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /not reachable/);
      return true;
    });
    const job = await stack.sync.getStatus(started.jobId);
    assert.equal(job.status, 'failed');
    assert.ok(job.error && /not reachable/.test(job.error), `error message: ${job.error}`);
    assert.equal(job.errorKind, 'Provider.unavailable');
    assert.equal(job.itemsDeleted, 0);
    const events = await listEvents(stack.db, started.jobId);
    assert.equal(events.at(-1)?.type, 'failed');
    assert.deepEqual((await stack.sync.tracks(name)).map((t) => t.id).sort(), ids, 'no track was deleted');
  });

  it('g. a second sync of the same profile is SyncInProgress; another profile syncs at the same time', async () => {
    const big = await newProfile('busy');
    const other = await newProfile('other');
    await generateLibrary(big.root, 300, 300);
    await generateLibrary(other.root, 20, 301);

    const first = await stack.sync.startFullSync(big.name);
    await assert.rejects(stack.sync.startFullSync(big.name), (err: unknown) => {
      assert.ok(err instanceof SyncInProgressError, `SyncInProgressError, got ${(err as Error)?.name}`);
      assert.equal(err.runningJobId, first.jobId);
      return true;
    });
    const second = await stack.sync.startFullSync(other.name);
    const [a, b] = await Promise.all([stack.sync.waitForResult(first.jobId), stack.sync.waitForResult(second.jobId)]);
    assert.equal(a.status, 'completed');
    assert.equal(a.counters.itemsAdded, 300);
    assert.equal(b.status, 'completed');
    assert.equal(b.counters.itemsAdded, 20);
    assert.equal((await stack.sync.tracks(big.name)).length, 300);
    assert.equal((await stack.sync.tracks(other.name)).length, 20);
    // Only the two started jobs exist for the busy profile's workflow: the refused start left no job row.
    const jobs = await stack.sync.listHistory(undefined, 10, (await stack.sync.getProfile(big.name)).id);
    assert.deepEqual(jobs.map((j) => j.id), [first.jobId]);
    // Once it has finished the profile can sync again.
    const again = await fullSync(big.name);
    assert.equal(again.result.counters.itemsUnchanged, 300);
  });

  it('h. watch yields started, progress…, completed in order', async () => {
    const { name, root } = await newProfile('events');
    await generateLibrary(root, 30, 8);
    const started = await stack.sync.startFullSync(name, { batchSize: 10, progressEvery: 10 });
    const collected = (async () => {
      const events: SyncEvent[] = [];
      for await (const e of stack.sync.watch(started.jobId)) events.push(e);
      return events;
    })();
    const result = await stack.sync.waitForResult(started.jobId);
    const events = await collected;

    assert.equal(events[0]?.type, 'started');
    assert.equal(events.at(-1)?.type, 'completed');
    const middle = events.slice(1, -1);
    assert.ok(middle.length > 0 && middle.every((e) => e.type === 'progress'), 'only progress between');
    const ids = events.map((e) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, 'ids ascend');
    const phases = middle.map((e) => (e.type === 'progress' ? PHASES.indexOf(e.phase) : -1));
    for (let i = 1; i < phases.length; i++) assert.ok(phases[i]! >= phases[i - 1]!, `phases in order: ${phases.join(',')}`);
    for (const p of ['validate', 'discover', 'filter', 'process', 'resolve', 'complete'] as const) {
      assert.ok(middle.some((e) => e.type === 'progress' && e.phase === p), `a ${p} progress event`);
    }
    const processMarks = middle.filter((e) => e.type === 'progress' && e.phase === 'process' && e.counters?.itemsProcessed);
    assert.ok(processMarks.length >= 3, `progress every 10 items (${processMarks.length})`);
    const last = events.at(-1)!;
    assert.ok(last.type === 'completed');
    assert.deepEqual(last.counters, result.counters);
    assert.equal(result.counters.itemsAdded, 30);
    // The stored events are exactly what watch yielded.
    assert.deepEqual((await listEvents(stack.db, started.jobId)).map((r) => String(r.id)), events.map((e) => e.id));
  });

  it('i. cancel mid-process: SyncCancelledError, job cancelled, library rows whole', async () => {
    const { name, root } = await newProfile('cancel');
    const lib: GeneratedTrack[] = await generateLibrary(root, 400, 400);
    assert.equal(lib.length, 400);
    const started = await stack.sync.startFullSync(name, { batchSize: 10, maxConcurrentDownloads: 1 });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const job = await stack.sync.getStatus(started.jobId);
      if (job.itemsProcessed > 0) break;
      assert.ok(['queued', 'running'].includes(job.status), `still running (${job.status})`);
      assert.ok(Date.now() < deadline, 'processing started');
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(await stack.sync.cancelSync(started.jobId, { by: 'e2e', reason: 'testing cancel' }), true);
    await assert.rejects(stack.sync.waitForResult(started.jobId), (err: unknown) => {
      assert.ok(err instanceof SyncCancelledError, `SyncCancelledError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
      assert.equal(err.jobId, started.jobId);
      return true;
    });
    const job = await stack.sync.getStatus(started.jobId);
    assert.equal(job.status, 'cancelled');
    assert.deepEqual([job.cancelledBy, job.cancelReason], ['e2e', 'testing cancel']);
    assert.ok(job.finishedAt instanceof Date);
    assert.ok(job.itemsProcessed > 0 && job.itemsProcessed < 400, `processed ${job.itemsProcessed}`);
    const events = await listEvents(stack.db, started.jobId);
    assert.ok(events.some((e) => e.type === 'cancelled'), 'a Cancelled event');
    assert.equal(events.at(-1)?.type, 'cancelled');
    assert.equal(await stack.sync.cancelSync(started.jobId), false, 'cancelling an ended job is a no-op');

    const profileId = (await stack.sync.getProfile(name)).id;
    const rows = await stack.db.selectFrom('tracks').selectAll().where('profile_id', '=', profileId).where('deleted_at', 'is', null).execute();
    assert.equal(rows.length, job.itemsAdded, 'one row per added item');
    const done = await stack.db.selectFrom('scan_items').select(['path', 'track_id']).where('job_id', '=', started.jobId).where('status', '=', 'done').execute();
    assert.equal(done.length, job.itemsProcessed - job.itemsFailed, 'finished items match the counters');
    assert.deepEqual(new Set(done.map((d) => d.track_id)), new Set(rows.map((r) => r.id)));
    const expected = new Map(lib.map((t) => [t.path, t]));
    for (const r of rows) {
      assert.match(r.content_hash ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.ok(r.title && r.title.length > 0);
      assert.equal(r.title, expected.get(r.path)?.tags.title, `${r.path} is whole`);
    }
    // A later sync finishes the job: the library ends up complete.
    const resumed = await fullSync(name);
    assert.equal(resumed.result.status, 'completed');
    assert.equal(resumed.job.itemsAdded + resumed.job.itemsUnchanged, 400);
    assert.equal((await stack.sync.tracks(name)).length, 400);
  });
});

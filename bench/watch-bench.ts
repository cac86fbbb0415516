// Watch benchmark: how soon a file dropped into a watched folder is a track, and how many syncs a
// burst of file events costs.
//
//   node bench/watch-bench.ts                                  # the product's quiet window (2000 ms)
//   MUSIC_SYNC_WATCH_QUIET_MS=300 node bench/watch-bench.ts    # another quiet window
//   node bench/watch-bench.ts --files 200 --drops 20 --burst 1000 [--sample <audio file>] [--keep]
//
// 1. generates a library (src/testing/fixtures.ts), registers it as a local profile, starts the real
//    stack with the folder watcher (embedded Postgres + Temporal dev server + in-process worker) and
//    syncs the profile once;
// 2. `--drops` times, with the profile's actor idle: copies an audio file (a corpus sample) into the
//    folder under a new name and polls the database every 20 ms until its track exists; the latency
//    is split at the moment the sync's job was recorded;
// 3. the burst: `--burst` copies of the sample as fast as they can be written, then each touched (two
//    events a file); the time until all are tracks, and how many syncs the watcher asked for.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { openApp, type App } from '../src/app/open.ts';
import { readSettings } from '../src/app/settings.ts';
import type { SyncJob } from '../src/client/types.ts';
import { isTerminal } from '../src/contract/sync.ts';
import { countLiveTracks } from '../src/db/tracks.ts';
import { REPO_ROOT } from '../src/stack/temporal.ts';
import { generateLibrary, writeTrackFile } from '../src/testing/fixtures.ts';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '200' },
    drops: { type: 'string', default: '20' },
    burst: { type: 'string', default: '1000' },
    sample: { type: 'string', default: path.join(REPO_ROOT, '../shared/corpus/music-metadata-samples/issue_56.mp3') },
    keep: { type: 'boolean', default: false },
  },
});
const positive = (name: string, text: string) => {
  const n = Number.parseInt(text, 10);
  if (!Number.isInteger(n) || n < 1 || String(n) !== text.trim()) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
};
const FILES = positive('files', args.files);
const DROPS = positive('drops', args.drops);
const BURST = positive('burst', args.burst);
const POLL_MS = 20;
const DEADLINE_MS = 120_000;

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

const settings = readSettings();
const { quietMs, maxWaitMs } = settings.watch;
if (!settings.watch.enabled) throw new Error('the folder watcher is off (MUSIC_SYNC_WATCH): nothing to measure');
process.stderr.write(`quiet window ${quietMs} ms (MUSIC_SYNC_WATCH_QUIET_MS), longest wait ${maxWaitMs} ms (MUSIC_SYNC_WATCH_MAX_WAIT_MS)\n`);

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function until<T>(what: string, check: () => Promise<T | undefined>, pollMs: number): Promise<T> {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-watch-bench-'));
// Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
await fs.chmod(tmp, 0o755);
const libDir = path.join(tmp, 'library');
const dataDir = path.join(tmp, 'data');
let stack: App | undefined;
try {
  // The sample: a corpus file, or a generated one where there is no corpus.
  let sample = args.sample;
  let sampleNote = path.basename(sample);
  if (!(await fs.stat(sample).catch(() => undefined))?.isFile()) {
    sample = (await writeTrackFile(tmp, 'sample.mp3', { title: 'Sample', artists: ['Bench'], album: 'Watch' }, { format: 'mp3', seed: 1 })).absPath;
    sampleNote = `generated (no file at ${args.sample})`;
  }
  const sampleBytes = (await fs.stat(sample)).size;

  process.stderr.write(`generating ${FILES} files … `);
  await generateLibrary(libDir, FILES, 1);
  process.stderr.write('done\n');

  // The profile exists before the watcher starts, which reads the profiles at start (then every 30 s).
  const setup = await openApp(settings, { temporal: 'lazy', dataDir });
  let profileId: string;
  try {
    profileId = (await setup.sync.registerProfile({ name: 'watch-bench', provider: 'local', root: libDir })).id;
  } finally {
    await setup.close();
  }

  process.stderr.write('starting the stack (embedded Postgres + Temporal dev server + worker + folder watcher) …\n');
  const open = performance.now();
  stack = await openApp(settings, { temporal: 'start', dataDir, worker: true, watch: true, ui: false });
  await stack.watcher!.ready();
  const startupMs = performance.now() - open;
  const app = stack;

  const jobs = () => app.sync.listHistory(undefined, 1000, profileId);
  const newJobs = async (before: readonly SyncJob[]) => {
    const known = new Set(before.map((j) => j.id));
    return (await jobs()).filter((j) => !known.has(j.id)).reverse();
  };
  /** The actor has nothing running nor pending and every job has ended, for a few quiet windows. */
  const settle = async (): Promise<SyncJob[]> => {
    const calmMs = quietMs + 1_000;
    let calmSince: number | undefined;
    return until('the profile to settle', async () => {
      const [state, list] = await Promise.all([app.sync.profileState(profileId), jobs()]);
      if (state.current || state.pending || !list.every((j) => isTerminal(j.status))) {
        calmSince = undefined;
        return undefined;
      }
      calmSince ??= performance.now();
      return performance.now() - calmSince >= calmMs ? list : undefined;
    }, 100);
  };
  const tracksAt = (n: number) => until(`${n} tracks`, async () => ((await countLiveTracks(app.db, profileId)) >= n ? true : undefined), POLL_MS);

  process.stderr.write('full sync … ');
  const full = await app.sync.startFullSync(profileId);
  await app.sync.waitForResult(full.jobId);
  process.stderr.write('done\n');
  await settle();

  // ---- drops: one file at a time, from an idle actor
  await fs.mkdir(path.join(libDir, 'Drops'));
  const dropMs: number[] = [];
  const toJobMs: number[] = [];
  const jobToTrackMs: number[] = [];
  for (let i = 0; i < DROPS; i++) {
    const before = await settle();
    const count = await countLiveTracks(app.db, profileId);
    const wall = Date.now();
    const t0 = performance.now();
    await fs.copyFile(sample, path.join(libDir, 'Drops', `drop-${i}.mp3`));
    await tracksAt(count + 1);
    const ms = performance.now() - t0;
    dropMs.push(ms);
    const job = (await newJobs(before)).find((j) => j.requestedBy === 'watch');
    if (job) {
      toJobMs.push(job.createdAt.getTime() - wall);
      jobToTrackMs.push(ms - (job.createdAt.getTime() - wall));
    }
    process.stderr.write(`drop ${i + 1}/${DROPS}: ${ms.toFixed(0)} ms\n`);
  }

  // ---- the burst: BURST copies, then each touched
  const beforeBurst = await settle();
  const count = await countLiveTracks(app.db, profileId);
  await fs.mkdir(path.join(libDir, 'Burst'));
  const files = Array.from({ length: BURST }, (_, i) => path.join(libDir, 'Burst', `copy-${i}.mp3`));
  const b0 = performance.now();
  await Promise.all(files.map((f) => fs.copyFile(sample, f)));
  const later = new Date(Date.now() + 60_000);
  await Promise.all(files.map((f) => fs.utimes(f, later, later)));
  const writeMs = performance.now() - b0;
  await tracksAt(count + BURST);
  const burstTracksMs = performance.now() - b0;
  await settle();
  const burstJobs = await newJobs(beforeBurst);
  const sources = [...new Set(burstJobs.map((j) => j.requestedBy ?? '-'))].join(', ');

  // ---- report
  const rows: [string, string, string][] = [
    ['quiet window / longest wait', `${quietMs} ms`, `${maxWaitMs} ms`],
    ['library', `${FILES} files`, `sample: ${sampleNote}, ${(sampleBytes / 1024).toFixed(0)} KiB`],
    ['stack startup (pg + temporal + worker + watcher)', `${seconds(startupMs)} s`, ''],
    [`drop → track, median of ${DROPS}`, `${median(dropMs).toFixed(0)} ms`, `worst ${Math.max(...dropMs).toFixed(0)} ms, best ${Math.min(...dropMs).toFixed(0)} ms`],
    ['  of which drop → sync job recorded, median', toJobMs.length ? `${median(toJobMs).toFixed(0)} ms` : '-', 'watch event + quiet window + request + actor'],
    ['  of which job recorded → track, median', jobToTrackMs.length ? `${median(jobToTrackMs).toFixed(0)} ms` : '-', 'the incremental sync'],
    [`burst: ${BURST} files written + touched`, `${writeMs.toFixed(0)} ms`, `${BURST * 2} file events`],
    ['burst: until every file is a track', `${seconds(burstTracksMs)} s`, ''],
    ['burst: syncs it gave', String(burstJobs.length), `asked by: ${sources}`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log();
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd());
  console.log();
  console.log(
    JSON.stringify({
      bench: 'watch',
      quietMs,
      maxWaitMs,
      files: FILES,
      drops: DROPS,
      dropToTrackMs: dropMs.map(Math.round),
      dropToTrackMedianMs: Math.round(median(dropMs)),
      dropToTrackWorstMs: Math.round(Math.max(...dropMs)),
      dropToJobMedianMs: toJobMs.length ? Math.round(median(toJobMs)) : undefined,
      jobToTrackMedianMs: jobToTrackMs.length ? Math.round(median(jobToTrackMs)) : undefined,
      burstFiles: BURST,
      burstWriteMs: Math.round(writeMs),
      burstToTracksMs: Math.round(burstTracksMs),
      burstSyncs: burstJobs.length,
      stackStartupMs: Math.round(startupMs),
      node: process.version,
      cpus: os.cpus().length,
    }),
  );
} finally {
  await stack?.close();
  if (args.keep) console.error(`kept ${tmp}`);
  else await fs.rm(tmp, { recursive: true, force: true });
}

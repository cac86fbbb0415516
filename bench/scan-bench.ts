// Scan benchmark: how close a full sync gets to the bare "parse + hash every file" ceiling.
//
//   npm run bench                 # 2,000 generated files
//   node bench/scan-bench.ts --files 500 [--changes 10] [--seed 1] [--keep]
//
// 1. generates a library of tagged MP3/FLAC files (src/testing/fixtures.ts) in a temp folder;
// 2. ceiling: music-metadata parseFile(path, { duration: false }) + sha256 of the whole file, in a bare
//    loop, sequential and 4 at a time (best of 3 passes each, after a warm-up); then the same files
//    through readTrack, the sync's own reader (tags over ranged reads, then one pass that hashes the
//    file and its audio stream), so the audio hash's cost shows against the bare ceiling in one run;
// 3. a real full sync: embedded Postgres + Temporal dev server + in-process worker (startup timed apart),
//    startFullSync → waitForResult, wall time;
// 4. the Temporal history length of that sync's workflow run;
// 5. peak RSS of this process (client + worker + activities; Postgres and Temporal run in their own processes).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseFile } from 'music-metadata';
import { listEvents } from '../src/db/events.ts';
import { openApp, type App } from '../src/app/open.ts';
import { readSettings } from '../src/app/settings.ts';
import { mapLimit } from '../src/activities/map-limit.ts';
import { readTrack } from '../src/media/read-track.ts';
import { LocalProvider } from '../src/providers/local/index.ts';
import { generateLibrary, writeTrackFile } from '../src/testing/fixtures.ts';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    changes: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const FILES = Number.parseInt(args.files, 10);
const CHANGES = Number.parseInt(args.changes, 10);
const SEED = Number.parseInt(args.seed, 10);
if (!Number.isInteger(FILES) || FILES < 1) throw new Error(`--files must be a positive integer, got ${args.files}`);

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

// ---- peak RSS, sampled
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 25);
sampler.unref();

const seconds = (ms: number) => ms / 1000;
const rate = (n: number, ms: number) => (ms > 0 ? n / seconds(ms) : Infinity);
const mb = (bytes: number) => bytes / (1024 * 1024);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

async function parseAndHash(file: string): Promise<void> {
  const meta = await parseFile(file, { duration: false });
  if (!meta.format.container) throw new Error(`${file}: no container`);
  const hash = createHash('sha256');
  hash.update(await fs.readFile(file));
  hash.digest('hex');
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-bench-'));
// Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
await fs.chmod(tmp, 0o755);
const libDir = path.join(tmp, 'library');
let stack: App | undefined;
try {
  process.stderr.write(`generating ${FILES} files in ${libDir} … `);
  const [lib, generateMs] = await timed(() => generateLibrary(libDir, FILES, SEED));
  const totalBytes = lib.reduce((s, t) => s + t.size, 0);
  const flac = lib.filter((t) => t.format === 'flac').length;
  process.stderr.write(`${seconds(generateMs).toFixed(2)} s\n`);
  const files = lib.map((t) => t.absPath);

  // ---- (a) ceiling (after a short warm-up: JIT and the files' pages in cache, as for the sync later)
  for (const f of files.slice(0, Math.min(200, files.length))) await parseAndHash(f);
  // Best of 3: the machine may be shared, so the fastest pass is the ceiling.
  const best = async (fn: () => Promise<unknown>) => Math.min(...[await timed(fn), await timed(fn), await timed(fn)].map(([, ms]) => ms));
  process.stderr.write('ceiling: parse + sha256, sequential (best of 3) … ');
  const seqMs = await best(async () => {
    for (const f of files) await parseAndHash(f);
  });
  process.stderr.write(`${seconds(seqMs).toFixed(2)} s; 4 in parallel … `);
  const parMs = await best(() => mapLimit(files, 4, parseAndHash));
  process.stderr.write(`${seconds(parMs).toFixed(2)} s\n`);
  const local = new LocalProvider(libDir);
  const read = async (t: (typeof lib)[number]) => {
    await readTrack(local, { fileId: '', path: t.path, mimeType: null }, { parseTimeoutMs: 30_000 });
  };
  process.stderr.write('readTrack: tags + sha256 + audio hash, sequential (best of 3) … ');
  const readSeqMs = await best(async () => {
    for (const t of lib) await read(t);
  });
  process.stderr.write(`${seconds(readSeqMs).toFixed(2)} s; 4 in parallel … `);
  const readParMs = await best(() => mapLimit(lib, 4, read));
  process.stderr.write(`${seconds(readParMs).toFixed(2)} s\n`);

  // ---- (b) full sync through Temporal
  process.stderr.write('starting the stack (embedded Postgres + Temporal dev server + worker) …\n');
  const [opened, startupMs] = await timed(() => openApp(readSettings(), { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false }));
  stack = opened;
  process.stderr.write(`stack up in ${seconds(startupMs).toFixed(2)} s\n`);
  const profile = await stack.sync.registerProfile({ name: 'bench', provider: 'local', root: libDir });
  process.stderr.write('full sync … ');
  const t0 = performance.now();
  const started = await stack.sync.startFullSync(profile.id);
  const result = await stack.sync.waitForResult(started.jobId);
  const syncMs = performance.now() - t0;
  process.stderr.write(`${seconds(syncMs).toFixed(2)} s\n`);
  if (result.status !== 'completed') throw new Error(`sync ended ${result.status}`);
  const tracks = result.counters.itemsAdded + result.counters.itemsUpdated + result.counters.itemsUnchanged + result.counters.itemsRenamed;
  if (tracks !== FILES || result.counters.itemsFailed !== 0) {
    throw new Error(`expected ${FILES} tracks and no failures, got ${JSON.stringify(result.counters)}`);
  }

  // ---- (c) history length (the run that returned; a continued-as-new sync has earlier runs too)
  const handle = stack.client.workflow.getHandle(started.workflowId);
  const history = await handle.fetchHistory();
  const historyEvents = history.events?.length ?? 0;
  const description = await handle.describe();
  const runs = description.runId === started.runId ? 1 : '>1 (continued as new)';

  // ---- (d) incremental syncs: one with nothing changed, one after CHANGES files were edited
  const incremental = async () => {
    const t = performance.now();
    const s = await stack!.sync.startIncrementalSync(profile.id);
    const r = await stack!.sync.waitForResult(s.jobId);
    const c = r.counters;
    return { ms: performance.now() - t, jobId: s.jobId, read: c.itemsProcessed - c.itemsUnchanged - c.itemsRenamed, counters: c };
  };
  process.stderr.write('incremental sync, nothing changed … ');
  const noop = await incremental();
  process.stderr.write(`${seconds(noop.ms).toFixed(2)} s; after editing ${CHANGES} files … `);
  const step = Math.max(1, Math.floor(FILES / Math.max(1, CHANGES)));
  for (let i = 0; i < Math.min(CHANGES, FILES); i++) {
    const t = lib[i * step]!;
    // A tag edit: new tags over the same audio.
    await writeTrackFile(libDir, t.path, { ...t.tags, title: `${t.tags.title ?? ''} (edited)` }, { format: t.format, seed: t.seed });
  }
  const edited = await incremental();
  process.stderr.write(`${seconds(edited.ms).toFixed(2)} s\n`);
  if (edited.counters.itemsUpdated !== Math.min(CHANGES, FILES) || noop.read !== 0) {
    throw new Error(`incremental counters off: no-op ${JSON.stringify(noop.counters)}, edited ${JSON.stringify(edited.counters)}`);
  }

  // ---- where the sync's time went: from the job's phase events (Postgres timestamps)
  const phasesOf = async (jobId: string): Promise<Record<string, number>> => {
    const marks = (await listEvents(stack!.db, jobId))
      .filter((e) => e.type === 'started' || e.key.startsWith('phase:') || e.type === 'completed')
      .map((e) => ({ name: e.type === 'started' ? 'start' : e.type === 'completed' ? 'end' : e.key.slice('phase:'.length), at: e.created_at.getTime() }));
    const ms: Record<string, number> = {};
    for (let i = 0; i + 1 < marks.length; i++) ms[marks[i]!.name] = marks[i + 1]!.at - marks[i]!.at;
    return ms;
  };
  const events = await listEvents(stack.db, started.jobId);
  const phaseMs = await phasesOf(started.jobId);
  const editedPhaseMs = await phasesOf(edited.jobId);
  const startedEvent = events.find((e) => e.type === 'started');
  const queueMs = startedEvent ? startedEvent.created_at.getTime() - (Date.now() - (performance.now() - t0)) : undefined;

  // ---- report
  const rows: [string, string, string][] = [
    ['files (mp3 / flac)', `${FILES} (${FILES - flac} / ${flac})`, `${mb(totalBytes).toFixed(1)} MiB`],
    ['generate', `${seconds(generateMs).toFixed(2)} s`, `${rate(FILES, generateMs).toFixed(0)} files/s`],
    ['ceiling: parse+sha256, sequential*', `${seconds(seqMs).toFixed(2)} s`, `${rate(FILES, seqMs).toFixed(0)} tracks/s`],
    ['ceiling: parse+sha256, 4 parallel*', `${seconds(parMs).toFixed(2)} s`, `${rate(FILES, parMs).toFixed(0)} tracks/s`],
    ['readTrack (+ audio hash), sequential*', `${seconds(readSeqMs).toFixed(2)} s`, `${rate(FILES, readSeqMs).toFixed(0)} tracks/s`],
    ['readTrack (+ audio hash), 4 parallel*', `${seconds(readParMs).toFixed(2)} s`, `${rate(FILES, readParMs).toFixed(0)} tracks/s`],
    ['stack startup (pg + temporal + worker)', `${seconds(startupMs).toFixed(2)} s`, ''],
    ['full sync (start → result)', `${seconds(syncMs).toFixed(2)} s`, `${rate(tracks, syncMs).toFixed(0)} tracks/s`],
    ['sync / ceiling (4 parallel)', `${(syncMs / parMs).toFixed(1)}x slower`, ''],
    ['incremental, nothing changed', `${seconds(noop.ms).toFixed(2)} s`, `${noop.read} files read, ${noop.counters.bytesRead} bytes`],
    [`incremental, ${CHANGES} files edited`, `${seconds(edited.ms).toFixed(2)} s`, `${edited.read} files read, ${(edited.counters.bytesRead / 1024).toFixed(0)} KiB; full sync / this: ${(syncMs / edited.ms).toFixed(1)}x`],
    ['temporal history events', String(historyEvents), `runs: ${runs}`],
    ['peak RSS (this process)', `${mb(peakRss).toFixed(0)} MiB`, ''],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log();
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd());
  console.log('* best of 3 passes');
  console.log(`sync phases (job events): ${Object.entries(phaseMs).map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
  console.log(`incremental (${CHANGES} edited) phases: ${Object.entries(editedPhaseMs).map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
  console.log();
  console.log(
    JSON.stringify({
      bench: 'scan',
      files: FILES,
      flac,
      bytes: totalBytes,
      generateMs: Math.round(generateMs),
      ceilingSequentialMs: Math.round(seqMs),
      ceilingSequentialTracksPerSec: Math.round(rate(FILES, seqMs)),
      ceilingParallel4Ms: Math.round(parMs),
      ceilingParallel4TracksPerSec: Math.round(rate(FILES, parMs)),
      readTrackSequentialTracksPerSec: Math.round(rate(FILES, readSeqMs)),
      readTrackParallel4TracksPerSec: Math.round(rate(FILES, readParMs)),
      stackStartupMs: Math.round(startupMs),
      syncMs: Math.round(syncMs),
      syncTracksPerSec: Math.round(rate(tracks, syncMs)),
      phaseMs,
      incrementalEditedPhaseMs: editedPhaseMs,
      startToFirstEventMs: queueMs === undefined ? undefined : Math.round(queueMs),
      incrementalNoopMs: Math.round(noop.ms),
      incrementalNoopFilesRead: noop.read,
      incrementalEditedMs: Math.round(edited.ms),
      incrementalEditedFilesRead: edited.read,
      incrementalEditedBytesRead: edited.counters.bytesRead,
      historyEvents,
      historyLengthDescribe: description.historyLength,
      peakRssMiB: Math.round(mb(peakRss)),
      counters: result.counters,
      node: process.version,
      cpus: os.cpus().length,
    }),
  );
} finally {
  clearInterval(sampler);
  await stack?.close();
  if (args.keep) console.error(`kept ${tmp}`);
  else await fs.rm(tmp, { recursive: true, force: true });
}

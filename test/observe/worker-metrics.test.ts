// `music-sync worker` as an operator runs it: a child process with its metrics address, a sync of a
// real audio folder through it, then its /metrics (our figures and the Temporal SDK's), /healthz
// before and after its database goes away, its JSON log on stderr and its stdout left to --json.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BIN, REPO, runCli } from '../helpers/cli.ts';
import { startTestDb } from '../helpers/db.ts';
import { freePort } from '../../src/stack/ports.ts';

const CORPUS = '/work/shared/corpus/music-metadata-samples';
const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
});

/** Polls `url` until `accept` takes its answer, or fails after `timeoutMs` with the last one. */
async function waitFor(url: string, accept: (status: number) => boolean, timeoutMs: number): Promise<{ status: number; body: string }> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (accept(response.status)) return { status: response.status, body };
      last = `${response.status} ${body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`${url} did not answer as expected within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A sample's value in a Prometheus page (the first line with exactly this name and labels). */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('worker: metrics of a real sync, the SDK\'s metrics, health with and without its database, logs on stderr', { timeout: 300_000 }, async (t) => {
  const database = await startTestDb();
  let databaseClosed = false;
  t.after(async () => {
    if (!databaseClosed) await database.close();
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-observe-data-'));
  const library = await mkdtemp(path.join(os.tmpdir(), 'music-sync-observe-library-'));
  temps.push(dataDir, library);
  const files = ['04 Long Drive.flac', 'id3v2.3.mp3', 'a kind of magic.flac'];
  for (const f of files) await copyFile(path.join(CORPUS, f), path.join(library, f));
  await writeFile(path.join(library, 'notes.txt'), 'not audio');
  // Audio by its name, not by its bytes: it fails alone.
  await writeFile(path.join(library, 'broken.flac'), 'fLaC but nothing after it');

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: database.url, MUSIC_SYNC_METRICS_LISTEN: `127.0.0.1:${port}`,
    MUSIC_SYNC_LOG: 'json', MUSIC_SYNC_LOG_LEVEL: 'debug', MUSIC_SYNC_WATCH: '0',
  };
  // The worker starts its own Temporal dev server; the other commands use it and the worker's database
  // through the data dir, as they would an `up`'s.
  delete env.TEMPORAL_ADDRESS;
  delete env.MUSIC_SYNC_METRICS;
  const cliEnv = { ...env };
  delete cliEnv.DATABASE_URL;

  const worker = spawn(process.execPath, [BIN, 'worker', '--json', '--data-dir', dataDir], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  worker.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
  t.after(async () => {
    if (worker.exitCode === null) worker.kill('SIGINT');
    const timer = setTimeout(() => worker.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  });

  const healthy = await waitFor(`${base}/healthz`, (s) => s === 200, 120_000);
  assert.deepEqual(JSON.parse(healthy.body), { status: 'ok', worker: 'ok', database: 'ok' });

  const added = await runCli(['profile', 'add', 'music', '--root', library, '--data-dir', dataDir, '--json'], { env: cliEnv, timeoutMs: 120_000 });
  assert.equal(added.code, 0, added.stderr);
  const synced = await runCli(['sync', 'music', '--wait', '--json', '--data-dir', dataDir], { env: cliEnv, timeoutMs: 180_000 });
  assert.equal(synced.code, 0, synced.stderr);
  const { job } = JSON.parse(synced.stdout) as { job: { id: string; status: string; itemsAdded: number; itemsFailed: number; bytesRead: number } };
  assert.equal(job.status, 'completed');
  assert.equal(job.itemsAdded, files.length);
  assert.equal(job.itemsFailed, 1);

  const page = (await waitFor(`${base}/metrics`, (s) => s === 200, 10_000)).body;
  assert.equal(sample(page, 'music_sync_syncs_total{outcome="completed",provider="local",mode="full"}'), 1, page);
  assert.equal(sample(page, 'music_sync_tracks_total{change="added",provider="local"}'), files.length);
  assert.equal(sample(page, 'music_sync_read_bytes_total{provider="local"}'), job.bytesRead);
  assert.ok(job.bytesRead > 0);
  assert.equal(sample(page, 'music_sync_sync_duration_seconds_count{outcome="completed",provider="local",mode="full"}'), 1);
  assert.equal(sample(page, 'music_sync_queue_items'), 0);
  assert.match(page, /^# TYPE music_sync_syncs_total counter$/m);
  // The Temporal SDK's own worker metrics, from its exporter, on the same page.
  assert.match(page, /^temporal_\w+(\{[^}]*\})? \d/m, 'an SDK metric');
  assert.match(page, /^temporal_workflow_completed_total\{.*workflow_type="syncWorkflow".*\} 1$/m);
  assert.equal(sample(page, 'music_sync_files_failed_total{reason="unreadable",provider="local"}'), 1);

  // A sync whose folder is gone fails, with the SDK's warnings in the log meanwhile; --json's stdout
  // is still the one result.
  await rm(library, { recursive: true, force: true });
  const failed = await runCli(['sync', 'music', '--wait', '--json', '--data-dir', dataDir], { env: cliEnv, timeoutMs: 180_000 });
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal((JSON.parse(failed.stdout) as { job: { status: string } }).job.status, 'failed');
  const after = (await waitFor(`${base}/metrics`, (s) => s === 200, 10_000)).body;
  assert.equal(sample(after, 'music_sync_syncs_total{outcome="failed",provider="local",mode="full"}'), 1, after);
  assert.equal(sample(after, 'music_sync_syncs_total{outcome="completed",provider="local",mode="full"}'), 1);

  // The database gone: the worker still runs, and says it is of no use.
  await database.close();
  databaseClosed = true;
  const sick = await waitFor(`${base}/healthz`, (s) => s === 503, 30_000);
  const body = JSON.parse(sick.body) as { status: string; worker: string; database: string };
  assert.equal(body.status, 'unhealthy');
  assert.equal(body.worker, 'ok');
  assert.notEqual(body.database, 'ok');
  assert.equal((await fetch(`${base}/nothing-here`)).status, 404);

  worker.kill('SIGINT');
  await exited;
  // stdout: the one JSON value of --json, whatever was logged meanwhile.
  const described = JSON.parse(stdout) as { taskQueue: string };
  assert.equal(described.taskQueue, 'music-sync');
  // stderr: every line a JSON object with its level and time; the activities' lines name their job.
  const lines = stderr.split('\n').filter(Boolean).map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      assert.fail(`a log line that is not JSON: ${line}`);
    }
  });
  for (const line of lines) {
    assert.ok(typeof line.level === 'string' && typeof line.time === 'string' && typeof line.message === 'string', JSON.stringify(line));
  }
  assert.ok(lines.some((l) => l.message === 'Worker state changed'), 'the SDK\'s lines are in the log');
  assert.ok(lines.some((l) => l.sdkComponent === 'core'), 'and the core\'s, forwarded');
  assert.ok(lines.some((l) => l.jobId === job.id && l.profile === 'music'), 'activity lines carry the job and profile');
  assert.ok(lines.some((l) => l.level === 'warn' && l.message === 'Activity failed' && l.profile === 'music'), 'the failed sync\'s warnings are there');
  assert.ok(lines.some((l) => /^metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(l.message as string)), 'the address is told once at start');
});

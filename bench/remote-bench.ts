// Remote benchmark: what a sync of a library on a server costs in bytes and in time.
//
//   npm run bench                                   # runs scan-bench.ts, then this
//   node bench/remote-bench.ts [--files 200] [--frames 2400] [--latency 50] [--seed 3]
//
// 1. generates a library of tagged MP3/FLAC files (a share with cover art; 2,400 MPEG frames make an
//    MP3 of about 1 MB, a minute of audio) and serves its folder with
//    rclone's S3 server (MD5 ETags: provider hashes, so only tag ranges are read) and its WebDAV server
//    (no content hash: each file is copied once);
// 2. a full sync over each, straight to the server: bytes read against the library's bytes, and the
//    requests made;
// 3. the same syncs through a proxy that adds --latency ms to every request, one sync per concurrency
//    (1, 4 and 16 files in flight, one batch loop), beside the N·L/C bound: files × latency ÷
//    concurrency, what one round trip per file would cost.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { openApp, type App } from '../src/app/open.ts';
import { readSettings } from '../src/app/settings.ts';
import type { SyncConfig } from '../src/contract/config.ts';
import { startFaultProxy, type FaultProxy } from '../src/testing/fault-proxy.ts';
import { generateLibrary } from '../src/testing/fixtures.ts';
import { startS3Server, startWebdavServer, type S3Server, type WebdavServer } from '../src/testing/remote-servers.ts';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '200' },
    frames: { type: 'string', default: '2400' },
    latency: { type: 'string', default: '50' },
    seed: { type: 'string', default: '3' },
  },
});
const FILES = Number.parseInt(args.files, 10);
const LATENCY_MS = Number.parseInt(args.latency, 10);
const SEED = Number.parseInt(args.seed, 10);
const FRAMES = Number.parseInt(args.frames, 10);
if (!Number.isInteger(FRAMES) || FRAMES < 1) throw new Error(`--frames must be a positive integer, got ${args.frames}`);
if (!Number.isInteger(FILES) || FILES < 1) throw new Error(`--files must be a positive integer, got ${args.files}`);
if (!Number.isInteger(LATENCY_MS) || LATENCY_MS < 0) throw new Error(`--latency must be a whole number of ms, got ${args.latency}`);
const CONCURRENCIES = [1, 4, 16];

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-remote-bench-'));
await fs.chmod(tmp, 0o755);
const served = path.join(tmp, 'served');
let stack: App | undefined;
let webdav: WebdavServer | undefined;
let s3: S3Server | undefined;
const proxies: FaultProxy[] = [];
try {
  process.stderr.write(`generating ${FILES} files … `);
  const lib = await generateLibrary(path.join(served, 'library'), FILES, SEED, { pictureShare: 0.5, frames: FRAMES });
  const libraryBytes = lib.reduce((n, t) => n + t.size, 0);
  process.stderr.write(`${mib(libraryBytes)}\nstarting rclone (WebDAV, S3), Postgres, Temporal and a worker …\n`);
  const settings = { ...readSettings(), secretKey: randomBytes(32).toString('base64') };
  [stack, webdav, s3] = await Promise.all([
    openApp(settings, { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false, tempDir: path.join(tmp, 'spool') }),
    startWebdavServer({ root: served }),
    startS3Server({ root: served }),
  ]);
  const app = stack;
  const servers = { s3: s3.endpoint, webdav: webdav.url };
  let profileNo = 0;
  const register = (kind: 's3' | 'webdav', base: string) =>
    app.sync.registerProfile(kind === 's3'
      ? { name: `s3-${++profileNo}`, provider: 's3', root: 's3://library', settings: { endpoint: base, region: s3!.region },
        secrets: { accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey } }
      : { name: `webdav-${++profileNo}`, provider: 'webdav', root: new URL('library/', base).href,
        secrets: { username: webdav!.username, password: webdav!.password } });
  const fullSync = async (profileId: string, config?: Partial<SyncConfig>) => {
    const t0 = performance.now();
    const started = await app.sync.startFullSync(profileId, config);
    const result = await app.sync.waitForResult(started.jobId);
    const ms = performance.now() - t0;
    if (result.status !== 'completed' || result.counters.itemsAdded !== FILES) throw new Error(`sync ended ${result.status}: ${JSON.stringify(result.counters)}`);
    return { ms, bytesRead: result.counters.bytesRead };
  };

  // ---- bytes: straight to each server, through a proxy without latency that counts the requests
  const bytesRows: string[][] = [];
  const bytes: Record<string, { bytesRead: number; requests: number }> = {};
  for (const kind of ['s3', 'webdav'] as const) {
    const counter = await startFaultProxy({ target: servers[kind] });
    proxies.push(counter);
    process.stderr.write(`full sync over ${kind} … `);
    const { bytesRead, ms } = await fullSync((await register(kind, counter.url)).id);
    process.stderr.write(`${(ms / 1000).toFixed(2)} s\n`);
    bytes[kind] = { bytesRead, requests: counter.stats.requests };
    bytesRows.push([
      kind === 's3' ? 'S3 (MD5 ETags: tag ranges only)' : 'WebDAV (no hash: each file once)',
      mib(bytesRead), `${((bytesRead / libraryBytes) * 100).toFixed(1)}% of ${mib(libraryBytes)}`,
      `${counter.stats.requests} requests, ${(counter.stats.requests / FILES).toFixed(2)} per file`,
    ]);
  }

  // ---- time under latency
  const timeRows: string[][] = [];
  const timings: { kind: string; concurrency: number; ms: number; tracksPerSec: number; boundMs: number }[] = [];
  for (const kind of ['s3', 'webdav'] as const) {
    const slow = await startFaultProxy({ target: servers[kind], latencyMs: LATENCY_MS });
    proxies.push(slow);
    for (const concurrency of CONCURRENCIES) {
      process.stderr.write(`${kind}, ${LATENCY_MS} ms latency, concurrency ${concurrency} … `);
      const profile = await register(kind, slow.url);
      const { ms } = await fullSync(profile.id, { maxConcurrentDownloads: concurrency, parallelBatches: 1 });
      const boundMs = (FILES * LATENCY_MS) / concurrency;
      process.stderr.write(`${(ms / 1000).toFixed(2)} s\n`);
      timings.push({ kind, concurrency, ms: Math.round(ms), tracksPerSec: Math.round(FILES / (ms / 1000)), boundMs });
      timeRows.push([
        `${kind}, concurrency ${concurrency}`, `${(ms / 1000).toFixed(2)} s`, `${(FILES / (ms / 1000)).toFixed(1)} tracks/s`,
        `N·L/C ${(boundMs / 1000).toFixed(2)} s (${(ms / boundMs).toFixed(2)}x)`,
      ]);
    }
  }

  const print = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(i === r.length - 1 ? 0 : widths[i]!))).join('  ').trimEnd());
  };
  console.log(`\nremote full syncs of ${FILES} files (${mib(libraryBytes)}), bytes read:`);
  print(bytesRows);
  console.log(`\nwith ${LATENCY_MS} ms added to every request:`);
  print(timeRows);
  console.log();
  console.log(JSON.stringify({ bench: 'remote', files: FILES, libraryBytes, latencyMs: LATENCY_MS, bytes, timings }));
} finally {
  for (const p of proxies) await p.stop().catch(() => undefined);
  await stack?.close();
  await webdav?.stop();
  await s3?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
}

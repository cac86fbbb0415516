// Cloud benchmark: what syncing a library in Google Drive, OneDrive and Dropbox costs in API requests
// and in bytes, against the providers' contract fakes (src/testing/fakes) serving a generated library.
//
//   npm run bench                                   # runs scan-bench.ts, remote-bench.ts, then this
//   node bench/cloud-bench.ts [--files 1000] [--frames 600] [--seed 5]
//
// Per provider: requests per 1,000 files for a full sync and the requests of a no-op incremental sync
// (by the fake's own count, by endpoint), and bytes read against the library's bytes. The fakes answer as
// the documented APIs do (page sizes, hashes listed), so request counts are the product's; times are
// not measured here (a fake on loopback says nothing about a cloud's latency).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { openApp, type App } from '../src/app/open.ts';
import { readSettings } from '../src/app/settings.ts';
import type { CloudKind } from '../src/providers/oauth/types.ts';
import { startFakeAuthority, type FakeAuthority } from '../src/testing/fakes/authority.ts';
import { startDropboxFake } from '../src/testing/fakes/dropbox.ts';
import { startGdriveFake } from '../src/testing/fakes/gdrive.ts';
import { startOnedriveFake } from '../src/testing/fakes/onedrive.ts';
import { generateLibrary } from '../src/testing/fixtures.ts';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    frames: { type: 'string', default: '600' },
    seed: { type: 'string', default: '5' },
  },
});
const FILES = Number.parseInt(args.files, 10);
const FRAMES = Number.parseInt(args.frames, 10);
const SEED = Number.parseInt(args.seed, 10);
if (!Number.isInteger(FILES) || FILES < 1) throw new Error(`--files must be a positive integer, got ${args.files}`);
if (!Number.isInteger(FRAMES) || FRAMES < 1) throw new Error(`--frames must be a positive integer, got ${args.frames}`);

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

interface Fake {
  apiUrl: string;
  contentUrl?: string;
  requests: Map<string, number>;
  stop(): Promise<void>;
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-cloud-bench-'));
const served = path.join(tmp, 'served');
let stack: App | undefined;
let authority: FakeAuthority | undefined;
const fakes: Partial<Record<CloudKind, Fake>> = {};
try {
  process.stderr.write(`generating ${FILES} files … `);
  const lib = await generateLibrary(path.join(served, 'library'), FILES, SEED, { pictureShare: 0.5, frames: FRAMES });
  const libraryBytes = lib.reduce((n, t) => n + t.size, 0);
  process.stderr.write(`${mib(libraryBytes)}\nstarting the fakes, Postgres, Temporal and a worker …\n`);
  authority = await startFakeAuthority();
  const settings = { ...readSettings(), secretKey: randomBytes(32).toString('base64') };
  const options = { root: served, authority };
  [stack, fakes.gdrive, fakes.onedrive, fakes.dropbox] = await Promise.all([
    openApp(settings, { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false, tempDir: path.join(tmp, 'spool') }),
    startGdriveFake(options),
    startOnedriveFake(options),
    startDropboxFake(options),
  ]);
  const snapshot = (fake: Fake) => new Map(fake.requests);
  const since = (fake: Fake, before: Map<string, number>) =>
    new Map([...fake.requests].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const per1000 = (n: number) => ((n * 1000) / FILES).toFixed(0);
  const rows: string[] = [];
  for (const kind of ['gdrive', 'onedrive', 'dropbox'] as const) {
    const fake = fakes[kind]!;
    const profile = await stack.sync.registerProfile({
      name: `bench-${kind}`, provider: kind, root: 'library',
      settings: { clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl, apiUrl: fake.apiUrl, ...(fake.contentUrl ? { contentUrl: fake.contentUrl } : {}) },
      secrets: { refreshToken: authority.grant() },
    });
    let before = snapshot(fake);
    const full = await stack.sync.startFullSync(profile.id);
    await stack.sync.waitForResult(full.jobId);
    const fullRequests = since(fake, before);
    const cost = await stack.sync.readCost(full.jobId);
    before = snapshot(fake);
    const noop = await stack.sync.startIncrementalSync(profile.id);
    await stack.sync.waitForResult(noop.jobId);
    const noopRequests = since(fake, before);
    const detail = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(', ');
    rows.push(
      `| ${kind} | ${per1000(sum(fullRequests))} (${detail(fullRequests)}) | ${sum(noopRequests)} (${detail(noopRequests)}) | ` +
        `${mib(cost.bytesRead)} of ${mib(libraryBytes)} (${((100 * cost.bytesRead) / libraryBytes).toFixed(1)}%) |`,
    );
  }
  process.stdout.write(`\n${FILES} files, ${mib(libraryBytes)}\n\n`);
  process.stdout.write('| provider | requests per 1,000 files, full sync | requests of a no-op incremental sync | bytes read, full sync |\n|---|---|---|---|\n');
  process.stdout.write(`${rows.join('\n')}\n`);
} finally {
  await stack?.close();
  for (const fake of Object.values(fakes)) await fake?.stop().catch(() => undefined);
  await authority?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
}

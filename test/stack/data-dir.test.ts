// The data dir, through the real binary: one that cannot be created or written is one line and exit
// code 1 within seconds (never a hang); run as root, a data dir the `postgres` user cannot enter
// (under a fresh `mktemp -d` folder, under /root) works.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { SHARED_DATABASES_DIR } from '../../src/stack/postgres.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'MUSIC_SYNC_DEBUG'].includes(name)));
const asRoot = process.getuid?.() === 0;

function migrate(dataDir: string, timeoutMs = 120_000): Promise<CliRun> {
  return runCli(['migrate', '--data-dir', dataDir], { timeoutMs, env: ENV });
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

/** A data dir, removed after the tests with the database it may link to. */
function dataDirToRemove(dataDir: string, remove = dataDir): string {
  cleanups.push(async () => {
    const entry = path.join(dataDir, 'postgres');
    if (existsSync(entry) && lstatSync(entry).isSymbolicLink()) await rm(realpathSync(entry), { recursive: true, force: true });
    await rm(remove, { recursive: true, force: true });
  });
  return dataDir;
}

describe('the data dir', { timeout: 300_000 }, () => {
  test('one that cannot be created or written is one line and exit code 1, at once', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'music-sync-data-dir-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'not a folder');
    const cases: [string, RegExp][] = [
      [path.join(file, 'data'), /^music-sync: the data dir .*\/a-file\/data cannot be created: .*\/a-file is a file, not a folder; choose another with --data-dir\n$/],
      [file, /^music-sync: the data dir .*\/a-file is a file, not a folder; choose another with --data-dir\n$/],
      [`/proc/music-sync-${process.pid}/data`, /^music-sync: the data dir \/proc\/music-sync-\d+\/data cannot be created: \/proc does not take new folders; choose another with --data-dir\n$/],
      ['/proc', /^music-sync: the data dir \/proc is not writable: \/proc does not take new files; choose another with --data-dir\n$/],
    ];
    for (const [dataDir, message] of cases) {
      const result = await migrate(dataDir, 30_000);
      assert.equal(result.code, 1, `${dataDir}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.ok(result.ms < 20_000, `${dataDir}: ${result.ms} ms`);
    }
  });

  for (const where of ['a fresh mktemp -d folder (mode 0700)', '/root'] as const) {
    const skip = !asRoot ? 'needs root' : where === '/root' && !existsSync('/root') ? 'no /root' : false;
    test(`as root, under ${where}: the database goes where the postgres user can reach it, linked from the data dir`, { skip }, async () => {
      const parent = where === '/root' ? path.join('/root', `.music-sync-test-${process.pid}`) : await mkdtemp(path.join(os.tmpdir(), 'music-sync-closed-'));
      const dataDir = dataDirToRemove(path.join(parent, 'data'), parent);
      // The folder the postgres user cannot enter; it stays closed.
      const closed = where === '/root' ? '/root' : parent;
      const closedMode = (await stat(closed)).mode;
      if (where !== '/root') assert.equal(closedMode & 0o777, 0o700);

      const first = await migrate(dataDir);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^applied /m);
      assert.match(first.stderr, /the system user postgres, which runs the embedded PostgreSQL for root, cannot enter .*; its database goes to /);
      const entry = path.join(dataDir, 'postgres');
      assert.ok(lstatSync(entry).isSymbolicLink());
      assert.ok(realpathSync(entry).startsWith(`${SHARED_DATABASES_DIR}/`));
      assert.equal((await stat(closed)).mode, closedMode, `${closed} keeps its mode`);

      const second = await migrate(dataDir);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /^schema up to date/);
    });
  }
});

// `music-sync up` or `scan` killed with SIGKILL leaves its embedded PostgreSQL and Temporal dev server
// running, holding the data dir and its ports. The next command on that data dir stops them and goes
// on; once it is done, nothing of the data dir runs any more. The real binary, in child processes.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { generateLibrary } from '../../src/testing/fixtures.ts';
import { BIN, REPO, runCli } from '../helpers/cli.ts';


/** The environment without the variables that would point the CLI at services of the user's. */
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'TEMPORAL_ADDRESS', 'MUSIC_SYNC_DEBUG'].includes(name)),
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

function run(args: string[], timeoutMs = 180_000): Promise<Run> {
  return runCli(args, { timeoutMs, env: ENV });
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Processes whose command line names the data dir: the postmaster (`-D <dir>/postgres`) and the dev
 * server (`--db-filename <dir>/temporal.db`). */
function servicesOf(dataDir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((line) => line.includes(`${dataDir}/`) && /postgres -D|temporal server start-dev/.test(line))
    .map((line) => line.trim());
}

async function killed(proc: { child: ChildProcess }): Promise<void> {
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGKILL');
  await exited;
}

const temps: string[] = [];
/** A folder the `postgres` user can enter when we run as root (so the database stays in the data dir
 * and its postmaster's command line names it). */
async function dataDirs(prefix: string): Promise<{ dataDir: string; root: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  temps.push(dir);
  return { dataDir: path.join(dir, 'data'), root: path.join(dir, 'music') };
}

after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
});

describe('services left running by a killed music-sync', { timeout: 600_000 }, () => {
  test('`up` killed: the next scan stops its Postgres and dev server, syncs, and leaves nothing running', async (t) => {
    const { dataDir, root } = await dataDirs('music-sync-orphans-up-');
    await generateLibrary(root, 20, 5);
    const up = start(['up', '--data-dir', dataDir]);
    await waitFor('`up` ready', 120_000, () => up.output().includes('music-sync is up'));
    await killed(up);
    const orphans = servicesOf(dataDir);
    t.diagnostic(`left running after SIGKILL of up: ${orphans.join(' | ')}`);
    assert.equal(orphans.length, 2, 'the killed `up` left its Postgres and dev server running');

    const scan = await run(['scan', root, '--data-dir', dataDir]);
    assert.equal(scan.code, 0, scan.stderr);
    assert.match(scan.stderr, /stopped the embedded PostgreSQL \(pid \d+\) and the Temporal dev server \(pid \d+\), left running in .* by music-sync pid \d+, which is gone/);
    assert.match(scan.stdout, /20 added/);
    assert.deepEqual(servicesOf(dataDir), [], 'nothing of the data dir runs after the scan');
  });

  test('`scan` killed mid-sync: the next scan takes the data dir over, finishes the interrupted sync, then its own', async (t) => {
    const { dataDir, root } = await dataDirs('music-sync-orphans-scan-');
    await generateLibrary(root, 1500, 6);
    const scan = start(['scan', root, '--data-dir', dataDir]);
    await waitFor('the scan reading tags', 120_000, () => scan.output().includes('reading tags'));
    await killed(scan);
    const orphans = servicesOf(dataDir);
    t.diagnostic(`left running after SIGKILL of scan: ${orphans.join(' | ')}`);
    assert.equal(orphans.length, 2, 'the killed scan left its Postgres and dev server running');

    const again = await run(['scan', root, '--data-dir', dataDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /stopped the embedded PostgreSQL .* which is gone/);
    assert.match(again.stdout, /: completed in /);
    assert.match(again.stdout, /\(1500 tracks in the library\)/);
    assert.deepEqual(servicesOf(dataDir), [], 'nothing of the data dir runs after the scan');
  });
});

// The owner record of a data dir, with real processes standing in for the services: a live owner
// keeps the data dir; a dead owner's services are stopped, and only they (a pid now used by another
// process is left alone).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DataDirError } from '../../src/stack/data-dir.ts';
import { OWNER_FILE, claimDataDir, recordService, releaseService } from '../../src/stack/owner.ts';
import { isRunning, processStart } from '../../src/stack/processes.ts';

const children: number[] = [];
const temps: string[] = [];
after(async () => {
  for (const pid of children) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-owner-'));
  temps.push(dir);
  return dir;
}

/** A process that runs until stopped, leading its own group like the dev server. */
function sleeper(): number {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  child.unref();
  children.push(child.pid!);
  return child.pid!;
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function writeOwner(dir: string, owner: object): Promise<void> {
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner));
}

describe('the owner record of a data dir', () => {
  test('a live other owner keeps it: DataDirError, and its service is left running', async () => {
    const dir = await dataDir();
    const owner = sleeper();
    const service = sleeper();
    await writeOwner(dir, { pid: owner, start: processStart(owner), since: 'earlier', services: { temporal: { pid: service, start: processStart(service) } } });
    await assert.rejects(claimDataDir(dir), (err: Error) => {
      assert.ok(err instanceof DataDirError);
      assert.match(err.message, new RegExp(`^the data dir .* is in use by another music-sync \\(pid ${owner}, since earlier\\): wait for it to end or stop it, or choose another with --data-dir$`));
      return true;
    });
    assert.ok(isRunning(service));
  });

  test("a dead owner's service is stopped, its record replaced by ours, and removed with our last service", async () => {
    const dir = await dataDir();
    const service = sleeper();
    const owner = await deadPid();
    await writeOwner(dir, { pid: owner, since: 'earlier', services: { temporal: { pid: service, start: processStart(service), port: 7233 } } });
    const lines: string[] = [];
    await claimDataDir(dir, (line) => lines.push(line));
    assert.equal(isRunning(service), false);
    assert.deepEqual(lines, [`stopped the Temporal dev server (pid ${service}), left running in ${dir} by music-sync pid ${owner}, which is gone`]);

    recordService(dir, 'temporal', { pid: 1, port: 1 });
    await claimDataDir(dir); // ours: nothing to do
    releaseService(dir, 'temporal');
    assert.equal(existsSync(path.join(dir, OWNER_FILE)), false);
  });

  test("a dead owner's recorded pid that now belongs to another process is left alone", async () => {
    const dir = await dataDir();
    const other = sleeper();
    await writeOwner(dir, { pid: await deadPid(), since: 'earlier', services: { temporal: { pid: other, start: 'a process that ended long ago' } } });
    const lines: string[] = [];
    await claimDataDir(dir, (line) => lines.push(line));
    assert.ok(isRunning(other));
    assert.deepEqual(lines, []);
  });
});

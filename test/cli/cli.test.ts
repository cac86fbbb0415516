// The `music-sync` command as a user runs it: a child process, its exit code, stdout and stderr.
// The scan tests start a real embedded Postgres and Temporal dev server per run (a few seconds each).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { EXIT_NOT_FOUND } from '../../src/cli/args.ts';
import { generateLibrary } from '../../src/testing/fixtures.ts';
import { runCli as runBinary } from '../helpers/cli.ts';

const CORPUS = '/work/shared/corpus/music-metadata-samples';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], timeoutMs = 240_000, env: Record<string, string> = {}): Promise<Run> {
  return runBinary(args, { timeoutMs, env: { ...process.env, ...env } });
}

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
});

/** No line of a Node stack trace, no logger INFO line. */
function assertCleanStderr(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, `stack trace on stderr:\n${stderr}`);
  assert.doesNotMatch(stderr, /\[INFO\]|Worker state changed/, `worker INFO logs on stderr:\n${stderr}`);
}

describe('music-sync command line', () => {
  test('--help, an unknown command, a job that does not exist', { timeout: 300_000 }, async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: music-sync <command>/);
    assert.match(help.stdout, /scan <dir\|url>/);
    assert.match(help.stdout, /3 a sync that needs review/);

    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    const lines = unknown.stderr.trim().split('\n');
    assert.equal(lines.length, 1, unknown.stderr);
    assert.match(lines[0]!, /^music-sync: unknown command "frobnicate".*--help/);

    const badOption = await runCli(['scan', '/tmp', '--frob']);
    assert.equal(badOption.code, 2);
    assert.equal(badOption.stderr.trim().split('\n').length, 1, badOption.stderr);

    const badSetting = await runCli(['history'], 60_000, { MUSIC_SYNC_METERED: 'sometimes' });
    assert.equal(badSetting.code, 2);
    assert.equal(badSetting.stdout, '');
    assert.match(badSetting.stderr, /^music-sync: MUSIC_SYNC_METERED must be 1 or 0 .*"sometimes"\n$/);

    const dataDir = await tempDir('music-sync-cli-data-');
    const jobId = randomUUID();
    const status = await runCli(['status', jobId, '--data-dir', dataDir]);
    assert.equal(status.code, EXIT_NOT_FOUND, status.stderr);
    assert.equal(status.stdout, '');
    assert.equal(status.stderr.trim(), `music-sync: no sync job ${jobId}`);
  });

  test('scan --json: one JSON object, relative paths, duplicates, stable ids on a rescan', { timeout: 300_000 }, async () => {
    const library = await tempDir('music-sync-cli-library-');
    const dataDir = await tempDir('music-sync-cli-data-');
    await mkdir(path.join(library, 'sub'));
    await copyFile(path.join(CORPUS, '04 Long Drive.flac'), path.join(library, '04 Long Drive.flac'));
    await copyFile(path.join(CORPUS, 'id3v2.3.mp3'), path.join(library, 'id3v2.3.mp3'));
    await copyFile(path.join(CORPUS, 'not-an-audio-file.txt'), path.join(library, 'not-an-audio-file.txt'));
    await copyFile(path.join(CORPUS, 'a kind of magic.flac'), path.join(library, 'copy-a.flac'));
    await copyFile(path.join(CORPUS, 'a kind of magic.flac'), path.join(library, 'sub', 'copy-b.flac'));
    // An existing library: files older than the racy-timestamp window, so a rescan trusts their mtimes.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const f of ['04 Long Drive.flac', 'id3v2.3.mp3', 'not-an-audio-file.txt', 'copy-a.flac', 'sub/copy-b.flac']) {
      await utimes(path.join(library, f), hourAgo, hourAgo);
    }

    const first = await runCli(['scan', library, '--json', '--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    assertCleanStderr(first.stderr);
    const one = JSON.parse(first.stdout) as ScanJson; // all of stdout is the one object
    assert.equal(one.job.status, 'completed');
    assert.equal(one.job.mode, 'full');
    assert.equal(one.job.itemsDiscovered, 5);
    assert.ok(one.job.itemsFiltered >= 1, 'the .txt is filtered out');
    assert.deepEqual(
      one.tracks.map((t) => t.path).sort(),
      ['04 Long Drive.flac', 'copy-a.flac', 'id3v2.3.mp3', 'sub/copy-b.flac'],
    );
    for (const t of one.tracks) {
      assert.ok(!path.isAbsolute(t.path), t.path);
      assert.ok(t.contentHash && typeof t.size === 'number' && Array.isArray(t.artists), JSON.stringify(t));
    }
    assert.deepEqual(one.failed, []);
    assert.equal(one.duplicates.length, 1);
    assert.deepEqual([...one.duplicates[0]!].sort(), ['copy-a.flac', 'sub/copy-b.flac']);

    const second = await runCli(['scan', library, '--json', '--data-dir', dataDir]);
    assert.equal(second.code, 0, second.stderr);
    const two = JSON.parse(second.stdout) as ScanJson;
    assert.equal(two.job.status, 'completed');
    assert.notEqual(two.job.id, one.job.id);
    assert.equal(two.job.mode, 'incremental', 'the second scan is incremental');
    assert.deepEqual([two.job.itemsAdded, two.job.itemsUpdated, two.job.itemsDeleted, two.job.bytesRead], [0, 0, 0, 0], 'and reads no file');
    assert.equal(two.job.itemsUnchanged, 4);
    const ids = (s: ScanJson) => Object.fromEntries(s.tracks.map((t) => [t.path, t.id]));
    assert.deepEqual(ids(two), ids(one));

    // Edits: one file replaced by other audio, one renamed, one deleted: reported exactly.
    await copyFile(path.join(CORPUS, 'id3v2.4.mp3'), path.join(library, 'id3v2.3.mp3'));
    await rename(path.join(library, '04 Long Drive.flac'), path.join(library, 'sub', 'Long Drive.flac'));
    await rm(path.join(library, 'copy-a.flac'));
    const third = JSON.parse((await runCli(['scan', library, '--json', '--data-dir', dataDir])).stdout) as ScanJson;
    assert.equal(third.job.mode, 'incremental');
    assert.deepEqual(
      [third.job.itemsAdded, third.job.itemsUpdated, third.job.itemsRenamed, third.job.itemsDeleted, third.job.itemsUnchanged],
      [0, 1, 1, 1, 1],
    );
    assert.equal(ids(third)['sub/Long Drive.flac'], ids(one)['04 Long Drive.flac'], 'the renamed track keeps its id');
    assert.deepEqual(third.duplicates, []);

    const fourth = JSON.parse((await runCli(['scan', library, '--full', '--json', '--data-dir', dataDir])).stdout) as ScanJson;
    assert.equal(fourth.job.mode, 'full');
    assert.deepEqual(ids(fourth), ids(third), '--full changes nothing in a library that is right');
  });

  test('scan without --json: a readable summary on stdout', { timeout: 300_000 }, async () => {
    const library = await tempDir('music-sync-cli-library-');
    const dataDir = await tempDir('music-sync-cli-data-');
    await copyFile(path.join(CORPUS, 'id3v2.3.mp3'), path.join(library, 'a.mp3'));
    await copyFile(path.join(CORPUS, 'id3v2.3.mp3'), path.join(library, 'b.mp3'));

    const run = await runCli(['scan', library, '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    assertCleanStderr(run.stderr);
    assert.match(run.stdout, /: completed in /);
    assert.match(run.stdout, /2 discovered, 2 audio, 0 filtered out/);
    assert.match(run.stdout, /2 added, 0 updated, 0 renamed, 0 unchanged, 0 failed, 0 deleted/);
    assert.match(run.stdout, /Duplicate groups \(1\)/);

    const missing = await runCli(['scan', path.join(library, 'nope'), '--data-dir', dataDir]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);

    // The provider checks a profile's root, for the API and the command line alike.
    const notFolder = await runCli(['profile', 'add', 'x', '--root', path.join(library, 'a.mp3'), '--data-dir', dataDir]);
    assert.equal(notFolder.code, 2, notFolder.stderr);
    assert.match(notFolder.stderr, /^music-sync: \/.*\/a\.mp3 is not a folder\n$/);
  });
  test('scan: a folder missing most of its library needs review (exit 3) until --confirm-deletions', { timeout: 300_000 }, async () => {
    const library = await tempDir('music-sync-cli-library-');
    const dataDir = await tempDir('music-sync-cli-data-');
    await generateLibrary(path.join(library, 'music'), 20, 7);
    const first = await runCli(['scan', library, '--json', '--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as ScanJson).tracks.length, 20);

    // The files are gone (an unmounted drive looks the same): nothing is deleted.
    await rm(path.join(library, 'music'), { recursive: true });
    const held = await runCli(['scan', library, '--data-dir', dataDir]);
    assert.equal(held.code, 3, held.stderr);
    assertCleanStderr(held.stderr);
    assert.match(held.stdout, /: needs review in /);
    assert.match(held.stdout, /Needs review: the listing no longer has 20 of the 20 tracks/);
    assert.ok(held.stdout.includes(`To delete the tracks of the missing files: music-sync scan ${library} --confirm-deletions --data-dir ${dataDir}`), held.stdout);

    const confirmed = await runCli(['scan', library, '--confirm-deletions', '--json', '--data-dir', dataDir]);
    assert.equal(confirmed.code, 0, confirmed.stderr);
    const json = JSON.parse(confirmed.stdout) as ScanJson;
    assert.deepEqual([json.job.status, json.job.itemsDeleted, json.tracks.length], ['completed', 20, 0]);
  });
});

interface ScanJson {
  job: {
    id: string; status: string; mode: string; itemsDiscovered: number; itemsFiltered: number; itemsAdded: number;
    itemsUpdated: number; itemsRenamed: number; itemsDeleted: number; itemsUnchanged: number; bytesRead: number;
  };
  tracks: { id: string; path: string; contentHash: string; size: number; artists: string[] }[];
  failed: { path: string; reason: string }[];
  duplicates: string[][];
}

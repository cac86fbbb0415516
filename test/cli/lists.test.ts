// The list commands (tracks, duplicates, failed, history) against a real database: pages and the
// "N more" line, filters, JSON and JSON lines of a whole list, and one exit code for "not found".
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT_NOT_FOUND } from '../../src/cli/args.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

const TRACKS = 120;
let testDb: TestDb;
let dataDir: string;
let failedJob: string;
let profileId: string;

/** The CLI on the test database. */
function cli(...args: string[]): Promise<CliRun> {
  return runCli([...args, '--data-dir', dataDir], { timeoutMs: 120_000, env: { ...process.env, DATABASE_URL: testDb.url } });
}

function jsonLines(stdout: string): unknown[] {
  return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
}

/** Columns a track row must be given (the database has defaults the row type does not know of). */
const NO_LISTS = { genres: [], has_artwork: false, mb_artist_ids: [], mb_album_artist_ids: [] };

before(async () => {
  testDb = await startTestDb();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-lists-'));
  const { db } = testDb;
  const profile = await insertProfile(db, { id: randomUUID(), name: 'big', provider: 'local', root: '/music/big', settings: {} });
  profileId = profile.id;
  await insertProfile(db, { id: randomUUID(), name: 'other', provider: 'local', root: '/music/other', settings: {} });
  const rows = Array.from({ length: TRACKS }, (_, i) => ({
    id: randomUUID(), profile_id: profile.id, file_id: `f${i}`, size: 1000 + i,
    path: `${i < 100 ? 'Jazz' : 'Rock'}/Artist ${i % 10}/${String(i).padStart(3, '0')}.flac`,
    // Tracks 0 and 1 have the same bytes: one duplicate group.
    content_hash: `sha256:${i === 1 ? 0 : i}`,
    title: i === 7 ? '100% Pure' : i === 8 ? '1000 Pure' : i === 9 ? 'a_b' : i === 10 ? 'axb' : `Song ${i}`,
    artists: [i === 11 ? 'Ella Fitzgerald' : `Artist ${i % 10}`],
    album: `Album ${i % 12}`,
    ...NO_LISTS,
  }));
  await db.insertInto('tracks').values(rows).execute();
  await db.insertInto('tracks').values({
    id: randomUUID(), profile_id: profile.id, file_id: 'gone', size: 1, path: 'Jazz/gone.flac', content_hash: 'sha256:gone',
    title: 'Gone', artists: [], deleted_at: new Date(), ...NO_LISTS,
  }).execute();
  type Counts = Partial<Record<'items_discovered' | 'items_queued' | 'items_filtered' | 'items_added' | 'items_unchanged' | 'items_failed', number>>;
  const job = (status: 'completed' | 'failed', minutesAgo: number, counts: Counts) => {
    const at = new Date(Date.now() - minutesAgo * 60_000);
    return {
      id: randomUUID(), profile_id: profile.id, provider: 'local', mode: 'incremental' as const, status, phase: 'complete' as const,
      workflow_id: `music-sync/${profile.id}`, started_at: at, finished_at: new Date(at.getTime() + 5000), ...counts,
    };
  };
  // Oldest first, one statement each: each gets a later created_at.
  const jobs = [
    job('completed', 30, { items_discovered: 130, items_queued: 121, items_filtered: 9, items_added: 121, items_failed: 60 }),
    job('completed', 20, { items_discovered: 6950, items_queued: 6900, items_filtered: 50, items_unchanged: 6900 }),
    job('failed', 10, { items_discovered: 6000 }),
  ];
  for (const j of jobs) await db.insertInto('sync_jobs').values(j).execute();
  failedJob = jobs[0]!.id;
  await db.insertInto('scan_items').values(Array.from({ length: 60 }, (_, k) => ({
    job_id: failedJob, file_id: `x${k}`, path: `${k < 40 ? 'Broken' : 'Odd dir'}/${String(k).padStart(2, '0')}.mp3`, size: 10,
    status: 'failed' as const, outcome: 'failed', reason: k % 2 ? 'no audio stream found' : 'truncated frame',
  }))).execute();
});

after(async () => {
  await testDb?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('list commands', () => {
  test('tracks: a page by default, the number of more and the option that shows them', { timeout: 120_000 }, async () => {
    const first = await cli('tracks', 'big');
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1 + 50 + 1, first.stdout);
    assert.equal(lines.at(-1), '50 of 120 tracks … 70 more: --offset 50');
    assert.match(lines[1]!, /Jazz\/Artist 0\/000\.flac$/);

    const last = await cli('tracks', 'big', '--offset', '100');
    assert.equal(last.stdout.trimEnd().split('\n').at(-1), '20 of 120 tracks (the last page)');
    assert.match(last.stdout, /Rock\/Artist 9\/119\.flac/);

    // Keyset pages: --after the last id of a page goes on where it ended, and says so.
    const page = JSON.parse((await cli('tracks', 'big', '--limit', '30', '--json')).stdout) as { id: string; path: string }[];
    assert.equal(page.length, 30);
    const next = await cli('tracks', 'big', '--limit', '30', '--after', page.at(-1)!.id);
    assert.equal(next.code, 0, next.stderr);
    const nextLines = next.stdout.trimEnd().split('\n');
    // Paths sort by folder: Artist 0 to 2 fill the first 30 rows.
    assert.match(nextLines[1]!, /Jazz\/Artist 3\/003\.flac$/);
    assert.match(nextLines.at(-1)!, /^30 of 120 tracks … 60 more: --after [0-9a-f-]{36}$/);

    const both = await cli('tracks', 'big', '--offset', '5', '--after', page[0]!.id);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--offset or --after, not both/);
  });

  test('tracks: filters by text (any case, % and _ as plain characters), path prefix and status', { timeout: 120_000 }, async () => {
    const titles = async (...args: string[]) => {
      const run = await cli('tracks', 'big', '--ndjson', ...args);
      assert.equal(run.code, 0, run.stderr);
      return (jsonLines(run.stdout) as { title: string }[]).map((t) => t.title).sort();
    };
    assert.deepEqual(await titles('--search', '100%'), ['100% Pure']);
    assert.deepEqual(await titles('--search', 'A_B'), ['a_b']);
    assert.deepEqual(await titles('--search', 'fitzGERALD'), ['Song 11'], 'artists are searched too');
    assert.equal((await titles('--path', 'Rock/')).length, 20);
    assert.deepEqual(await titles('--path', 'Rock/Artist 3/'), ['Song 103', 'Song 113']);
    assert.deepEqual(await titles('--status', 'deleted'), ['Gone']);
    const [tombstone] = jsonLines((await cli('tracks', 'big', '--status', 'deleted', '--ndjson')).stdout) as { deletedAt?: string }[];
    assert.ok(tombstone?.deletedAt && !Number.isNaN(Date.parse(tombstone.deletedAt)), 'a tombstone says when');
    assert.equal((await titles('--status', 'all')).length, TRACKS + 1);

    const table = await cli('tracks', 'big', '--search', 'song 1', '--path', 'Jazz/', '--limit', '5');
    // Song 1 and Song 11 to 19 (track 10 is "axb"; Song 100 and up are under Rock/).
    assert.equal(table.stdout.trimEnd().split('\n').at(-1), '5 of 10 tracks … 5 more: --offset 5');
    const none = await cli('tracks', 'big', '--search', 'no such text');
    assert.equal(none.stdout, 'no tracks\n');
    const bad = await cli('tracks', 'big', '--status', 'dead');
    assert.equal(bad.code, 2);
  });

  test('--ndjson: one object a line, as many as match; --json: one array of them', { timeout: 120_000 }, async () => {
    const ndjson = await cli('tracks', 'big', '--ndjson');
    assert.equal(ndjson.code, 0, ndjson.stderr);
    assert.equal(ndjson.stderr, '');
    const items = jsonLines(ndjson.stdout) as { id: string; path: string; fileId?: string }[];
    assert.equal(items.length, TRACKS);
    assert.equal(new Set(items.map((t) => t.id)).size, TRACKS);
    assert.equal(items[0]!.fileId, undefined, 'the same track shape as --json');

    const json = await cli('tracks', 'big', '--json');
    const array = JSON.parse(json.stdout) as { id: string }[];
    assert.deepEqual(array.map((t) => t.id), items.map((t) => t.id));
    assert.equal(json.stdout.split('\n').length, TRACKS + 3, 'one element a line, between [ and ]');

    assert.equal(JSON.parse((await cli('tracks', 'big', '--json', '--limit', '7', '--offset', '3')).stdout).length, 7);
    assert.equal((await cli('tracks', 'big', '--json', '--search', 'nothing like it')).stdout, '[]\n');
    const both = await cli('tracks', 'big', '--json', '--ndjson');
    assert.equal(both.code, 2);
  });

  test('failed: pages, path prefix and text in the reason', { timeout: 120_000 }, async () => {
    const first = await cli('failed', failedJob, '--limit', '10');
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'Broken/00.mp3: truncated frame');
    assert.equal(lines.at(-1), '10 of 60 failed files … 50 more: --offset 10');
    const odd = await cli('failed', failedJob, '--path', 'Odd dir/', '--search', 'STREAM', '--limit', '3', '--after', 'Odd dir/40.mp3');
    assert.deepEqual(odd.stdout.trimEnd().split('\n'), [
      'Odd dir/41.mp3: no audio stream found', 'Odd dir/43.mp3: no audio stream found', 'Odd dir/45.mp3: no audio stream found',
      "3 of 10 failed files … 7 more: --after 'Odd dir/45.mp3'",
    ]);
    const all = jsonLines((await cli('failed', failedJob, '--ndjson')).stdout);
    assert.equal(all.length, 60);
  });

  test('duplicates: groups paged and filtered', { timeout: 120_000 }, async () => {
    const groups = JSON.parse((await cli('duplicates', 'big', '--json')).stdout) as { kind: string; paths: string[] }[];
    assert.deepEqual(groups.map((g) => g.paths), [['Jazz/Artist 0/000.flac', 'Jazz/Artist 1/001.flac']]);
    assert.equal((await cli('duplicates', 'big', '--kind', 'same-audio')).stdout, 'no duplicates\n');
    assert.equal(jsonLines((await cli('duplicates', 'big', '--ndjson', '--path', 'Jazz/Artist 1/')).stdout).length, 1);
  });

  test('history: checked and unchanged files beside the changes; filters by profile and status', { timeout: 120_000 }, async () => {
    const run = await cli('history');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /STATUS .* CHECKED +UNCHANGED +CHANGES +FAILED$/);
    // Newest first: the failed job never got past its listing, so nothing was counted as checked.
    assert.match(lines[1]!, / failed .* - +- +\+0 ~0 >0 -0 +0$/);
    assert.match(lines[2]!, / completed .* 6,900 +6,900 +\+0 ~0 >0 -0 +0$/);
    assert.match(lines[3]!, / completed .* 121 +0 +\+121 ~0 >0 -0 +60$/);
    assert.equal(lines.at(-1), '3 jobs');

    const failedOnly = jsonLines((await cli('history', '--status', 'failed', '--ndjson')).stdout) as { status: string }[];
    assert.deepEqual(failedOnly.map((j) => j.status), ['failed']);
    assert.equal((await cli('history', '--profile', 'other')).stdout, 'no sync jobs match\n');
    const paged = await cli('history', '--profile', 'big', '--limit', '1', '--offset', '1');
    assert.equal(paged.stdout.trimEnd().split('\n').at(-1), '1 of 3 jobs … 1 more: --offset 2');
    assert.equal((await cli('history', '--status', 'sleeping')).code, 2);
  });

  test('a profile or job that does not exist: the same exit code, one line naming it', { timeout: 120_000 }, async () => {
    const jobId = randomUUID();
    const runs = {
      tracks: await cli('tracks', 'nope'),
      duplicates: await cli('duplicates', 'nope', '--json'),
      history: await cli('history', '--profile', 'nope'),
      status: await cli('status', jobId),
      failed: await cli('failed', jobId),
    };
    for (const [name, run] of Object.entries(runs)) {
      assert.equal(run.code, EXIT_NOT_FOUND, `${name}: ${run.stderr}`);
      assert.equal(run.stdout, '', name);
    }
    for (const name of ['tracks', 'duplicates', 'history'] as const) assert.equal(runs[name].stderr, 'music-sync: no profile "nope"\n');
    for (const name of ['status', 'failed'] as const) assert.equal(runs[name].stderr, `music-sync: no sync job ${jobId}\n`);
    assert.ok(profileId);
  });
});

// The client as another service gets it: this project packed with `npm pack`, installed from the
// tarball into a scratch project of its own, and the README's example (its marked code block, so the
// README stays true) run there as a plain .mjs file against a real stack: the Temporal dev server,
// embedded Postgres and a worker of this repository's code, syncing a small folder of real audio.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { openApp, type App } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { generateLibrary } from '../../src/testing/fixtures.ts';

const run = promisify(execFile);
const EXAMPLE_MARKER = '<!-- example: client-package';
const LIBRARY_FILES = 6;

/** The README's example: the first ```js block after its marker. */
async function readmeExample(): Promise<string> {
  const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(EXAMPLE_MARKER);
  assert.ok(at >= 0, `README.md has no ${EXAMPLE_MARKER} marker`);
  const block = /```js\n([\s\S]*?)\n```/.exec(readme.slice(at));
  assert.ok(block, 'no ```js block after the README example marker');
  return block[1]!;
}

/** Runs a command, logging how long it took; its output is answered, its failure thrown with it. */
async function timed(label: string, file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const start = Date.now();
  const result = await run(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
  const ms = Date.now() - start;
  console.log(`# ${label}: ${(ms / 1000).toFixed(1)} s`);
  return { ...result, ms };
}

/** `npm pack` of this project, then a scratch project that installs the tarball; its folder. */
async function installedCopy(tmp: string): Promise<{ scratch: string; tarball: string }> {
  const packed = await timed('npm pack (builds the client)', 'npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: REPO_ROOT });
  const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; entryCount: number }[];
  console.log(`# tarball: ${info!.filename}, ${(info!.size / 1024).toFixed(0)} KiB, ${info!.entryCount} files`);
  const tarball = path.join(tmp, info!.filename);
  const scratch = path.join(tmp, 'scratch');
  await fs.mkdir(scratch);
  await fs.writeFile(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const installed = await timed('npm install <tarball>', 'npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: scratch });
  // Generous: the dependencies (Temporal's native worker, embedded Postgres) are large, even from the cache.
  assert.ok(installed.ms < 300_000, `installing the tarball took ${installed.ms} ms`);
  return { scratch, tarball };
}

describe('music-sync/client installed from the packed tarball', { timeout: 600_000 }, () => {
  let tmp: string;
  let stack: App;
  let scratch: string;
  let profile: string;

  before(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-package-'));
    // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
    await fs.chmod(tmp, 0o755);
    const library = path.join(tmp, 'library');
    await generateLibrary(library, LIBRARY_FILES, 7);
    // Packing and installing take the longest: the stack starts meanwhile.
    const [copy, app] = await Promise.all([
      installedCopy(tmp),
      openApp(readSettings(), { temporal: 'start', dataDir: path.join(tmp, 'data'), worker: true, ui: false }),
    ]);
    scratch = copy.scratch;
    stack = app;
    profile = `package-${process.pid}`;
    await stack.sync.registerProfile({ name: profile, provider: 'local', root: library });
  });

  after(async () => {
    await stack?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('runs the README example: a sync started and followed to its end', async () => {
    const example = path.join(scratch, 'example.mjs');
    await fs.writeFile(example, await readmeExample());
    const env = { ...process.env, TEMPORAL_ADDRESS: stack.temporal.address, DATABASE_URL: stack.databaseUrl, PROFILE: profile };
    const { stdout } = await timed('the README example', process.execPath, [example], { cwd: scratch, env });
    const lines = stdout.trim().split('\n');
    const events = lines.slice(0, -1).map((line) => line.split(' ')[0]);
    assert.equal(events[0], 'started', stdout);
    assert.ok(events.includes('progress'), stdout);
    assert.equal(events.at(-1), 'completed', stdout);
    assert.equal(lines.at(-1), `status completed ${LIBRARY_FILES} tracks`, stdout);

    const [job] = await stack.sync.listHistory(undefined, 1, (await stack.sync.getProfile(profile)).id);
    assert.equal(job?.status, 'completed');
    assert.equal(job?.requestedBy, 'client');
    assert.equal((await stack.sync.tracks(profile)).length, LIBRARY_FILES);
  });

  it('refuses a database without the schema, saying how to set it up, and leaves it as it was', async () => {
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    const name = `package_empty_${process.pid}`;
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(stack.databaseUrl);
      url.pathname = `/${name}`;
      const script = [
        "import { connectSyncClient, SchemaNotReadyError } from 'music-sync/client';",
        'try {',
        '  await connectSyncClient({ temporalAddress: process.env.TEMPORAL_ADDRESS, databaseUrl: process.env.DATABASE_URL });',
        "  console.log('connected');",
        '} catch (err) {',
        '  console.log(err instanceof SchemaNotReadyError, err.message);',
        '}',
      ].join('\n');
      const env = { ...process.env, TEMPORAL_ADDRESS: stack.temporal.address, DATABASE_URL: url.toString() };
      const { stdout } = await timed('connect to an empty database', process.execPath, ['--input-type=module', '-e', script], { cwd: scratch, env });
      assert.match(stdout.trim(), /^true the database has no music-sync schema: run `music-sync migrate`/);
      const empty = new pg.Client({ connectionString: url.toString() });
      await empty.connect();
      const tables = await empty.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      await empty.end();
      assert.equal(tables.rows[0].n, 0, 'the client created tables');
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

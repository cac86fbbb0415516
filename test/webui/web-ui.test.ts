// The Temporal Web UI shows a running sync the way a person looks for it: a real dev server with its Web
// UI, embedded Postgres and an in-process worker; a full sync of a few thousand real audio files asked
// for through the product's client (so the profile's actor starts it), kept slow with small batches; and
// Chromium, driven by playwright-core, finding the run by the profile's search attribute, opening it and
// reading its summary and current details while it runs, then again once it is cancelled.
//
// WEB_UI_SCREENSHOT=<file.png> also saves the running sync's page there (scripts/screenshot-web-ui.sh
// makes docs/web-ui-sync.png so); a failure saves what the browser showed in a temp folder.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openApp, type App } from '../../src/app/open.ts';
import { readSettings } from '../../src/app/settings.ts';
import type { SyncProgress } from '../../src/contract/sync.ts';
import { quietWorkerLogs } from '../helpers/temporal.ts';
import { findChromium } from './chromium.ts';
import { writeLibrary } from './library.ts';
import { openWorkflowList, readUserMetadata, runHeader, workflowRow } from './pages.ts';

const browserLookup = findChromium();
const noBrowser = 'missing' in browserLookup ? browserLookup.missing : false;
const SCREENSHOT = process.env.WEB_UI_SCREENSHOT;

const PROFILE = 'jazz';
const SYNC_ID = `music-sync/profile/${PROFILE}/sync`;
const ACTOR_ID = `music-sync/profile/${PROFILE}`;
/** Enough files that, a few per batch, the sync outlasts the browser's visit on a fast machine too;
 * few enough that one run holds the whole sync (no continue-as-new while the page is open). */
const FILES = 2_000;
const SLOW = { batchSize: 5, parallelBatches: 1, maxConcurrentDownloads: 1 };
const PHASES = ['queued', 'validate', 'discover', 'filter', 'process', 'resolve'];

let tmp: string;
let app: App;
let root: string;
let browser: Browser | undefined;

/** Polls until `check` answers something; fails after `withinMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, withinMs = 60_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Runs `steps` with the page; on failure, keeps a screenshot of what the page showed and says where. */
async function withFailureShot<T>(t: TestContext, page: Page, name: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (err) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-webui-failure-'));
    const file = path.join(dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).then(
      () => t.diagnostic(`the page when "${name}" failed (${page.url()}): ${file}`),
      (shotErr: Error) => t.diagnostic(`no screenshot of the failure: ${shotErr.message}`),
    );
    throw err;
  }
}

/** `1,234` → 1234. */
const count = (text: string) => Number(text.replaceAll(',', ''));

describe('the Temporal Web UI shows a running sync (dev server with its UI, Chromium)', { skip: noBrowser, timeout: 180_000 }, () => {
  before(async () => {
    quietWorkerLogs();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'music-sync-webui-'));
    // Run as root, embedded Postgres runs as a `postgres` user, which must be able to reach its data dir.
    await fs.chmod(tmp, 0o755);
    root = path.join(tmp, 'Music', 'Jazz');
    await writeLibrary(root, FILES);
    const settings = readSettings({ ...process.env, MUSIC_SYNC_WATCH: '0' });
    app = await openApp(settings, { temporal: 'start', worker: true, ui: true, dataDir: path.join(tmp, 'data') });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('finds the sync by its profile, and reads its summary and its progress while it runs, then its cancellation', async (t) => {
    const { uiUrl, namespace, address } = app.temporal;
    if (!uiUrl) assert.fail(`the Temporal server at ${address} was not started here with its Web UI (TEMPORAL_ADDRESS is set?)`);
    const profile = await app.sync.registerProfile({ name: PROFILE, provider: 'local', root });
    const started = await app.sync.startFullSync(profile.name, SLOW);
    assert.equal(started.workflowId, SYNC_ID, 'the actor starts its syncs under the profile name');

    // Into the batches, so the details have files to count.
    await until('the sync to process its first files', async () => {
      const p = await app.sync.progress(started.jobId);
      if (p.status !== 'running') throw new Error(`the sync ended (${p.status}) before it could be looked at: make the library bigger`);
      return p.phase === 'process' && p.counters.itemsProcessed > 0 ? p : undefined;
    });

    browser = await chromium.launch({ executablePath: (browserLookup as { executablePath: string }).executablePath });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);

    const seen = await withFailureShot(t, page, 'running-sync', async () => {
      // The list, filtered by the profile's search attribute: its actor and its running sync.
      await openWorkflowList(page, uiUrl, namespace, `MusicSyncProfile="${PROFILE}"`);
      const syncRow = workflowRow(page, SYNC_ID);
      await syncRow.waitFor();
      await workflowRow(page, ACTOR_ID).waitFor();
      const rowText = await syncRow.innerText();
      assert.match(rowText, /\bRunning\b/, `the sync's row: ${rowText}`);
      assert.match(rowText, /\bsyncWorkflow\b/, `the sync's row: ${rowText}`);

      // Its page: the run, with its parent the actor.
      await syncRow.getByRole('link', { name: SYNC_ID, exact: true }).click();
      const header = runHeader(page);
      await header.getByTestId('workflow-id-heading').filter({ hasText: SYNC_ID }).waitFor();
      const headerText = await header.innerText();
      assert.match(headerText, /\bRunning\b/, headerText);
      assert.match(headerText, /Workflow Type\s+syncWorkflow/, headerText);
      assert.match(headerText, /Parent Workflow\s+music-sync\/profile\/jazz\b/, headerText);

      const shown = await readUserMetadata(page);
      const progress: SyncProgress = await app.sync.progress(started.jobId);
      if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
      return { shown, progress };
    });

    t.diagnostic(`summary: ${seen.shown.summary}`);
    t.diagnostic(`current details: ${seen.shown.details.text.replaceAll('\n', ' / ')}`);
    // The static summary, word for word: it is what names the run in the UI.
    assert.equal(seen.shown.summary, `full sync of ${PROFILE} (local: ${profile.root}), asked by client`);
    // The current details: the phase in bold, then "N of M files, <size> read" (wording of the size
    // left open), M the files the sync queued.
    const { text, bold } = seen.shown.details;
    assert.ok(bold.some((b) => PHASES.includes(b)), `a phase in bold in the details: ${text}`);
    const files = /([\d,]+) of ([\d,]+) files?\b/.exec(text);
    assert.ok(files, `"N of M files" in the details: ${text}`);
    const [done, of] = [count(files[1]!), count(files[2]!)];
    assert.equal(of, seen.progress.counters.itemsQueued, `M is the files queued: ${text}`);
    assert.ok(done > 0 && done <= seen.progress.counters.itemsProcessed, `N is the files processed so far: ${text}`);
    assert.match(text, /\d+(\.\d+)? ?(B|KiB|MiB|GiB|KB|MB|GB) read\b/i, `bytes read in the details: ${text}`);

    // Cancelled from the client, the run says so once the page is loaded again.
    assert.equal(await app.sync.cancelSync(started.jobId), true);
    await app.sync.waitForResult(started.jobId).catch(() => undefined);
    assert.equal((await app.sync.getStatus(started.jobId)).status, 'cancelled');
    const ended = await withFailureShot(t, page, 'cancelled-sync', async () => {
      await page.reload();
      await runHeader(page).getByText(/^\s*Cancel+ed\s*$/).waitFor();
      return readUserMetadata(page);
    });
    t.diagnostic(`current details once cancelled: ${ended.details.text.replaceAll('\n', ' / ')}`);
    assert.ok(ended.details.bold.includes('cancelled'), `the details say cancelled: ${ended.details.text}`);
    assert.equal(ended.summary, seen.shown.summary);
  });
});

// Keeping cloud profiles subscribed, against the Google Drive, Graph and Dropbox fakes (real HTTP
// servers over a real folder, tokens from a fake OAuth server that rotates refresh tokens) and a real
// Postgres: channels and subscriptions are made (Graph validating the endpoint first), renewed before
// they end (a new Drive channel, the old one stopped; a PATCHed Graph subscription, made anew when
// Graph lost it), a Dropbox profile's account is recorded, a profile that fails does not stop the
// others, and each fake's notification after a change asks for a sync of exactly its profile.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/connect.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { listPushChannels, type PushChannel } from '../../src/db/push-channels.ts';
import type { Profile } from '../../src/db/schema.ts';
import { GraphSubscriptions } from '../../src/providers/onedrive/push.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { keepSubscribed, type Subscriptions } from '../../src/push/subscriptions.ts';
import { startPushServer, type PushServer } from '../../src/push/server.ts';
import { credentialStore } from '../../src/secrets/credential-store.ts';
import { loadProfileSecrets, storeProfileSecrets } from '../../src/secrets/profile-secrets.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startFakeAuthority, type FakeAuthority } from '../../src/testing/fakes/authority.ts';
import { startDropboxFake, type DropboxFake } from '../../src/testing/fakes/dropbox.ts';
import { startGdriveFake, type GdriveFake } from '../../src/testing/fakes/gdrive.ts';
import { startOnedriveFake, type OnedriveFake } from '../../src/testing/fakes/onedrive.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { keptLog, recordingSink } from './recording-sink.ts';

const APP_SECRET = `app-secret-${randomBytes(8).toString('hex')}`;
/** Short lives, so renewals come within the test: renewed once less than half is left. */
const LIFETIME_MS = 4_000;

let testDb: TestDb;
let db: Db;
let served: string;
let authority: FakeAuthority;
let gdrive: GdriveFake;
let onedrive: OnedriveFake;
let dropbox: DropboxFake;
let server: PushServer;
let keeper: Subscriptions;
const box = SecretBox.fromKeyText(randomBytes(32).toString('base64'));
const recorder = recordingSink();
const logged = keptLog();
const profiles = {} as Record<'drive' | 'graph' | 'box', Profile>;

async function linked(name: string, provider: string, settings: Record<string, unknown>, refreshToken = authority.grant()): Promise<Profile> {
  const profile = await insertProfile(db, {
    id: randomUUID(), name, provider, root: 'Music', settings: { clientId: authority.clientId, authUrl: authority.authUrl, tokenUrl: authority.tokenUrl, ...settings },
  });
  await storeProfileSecrets(db, box, profile.id, { refreshToken });
  return profile;
}

const channelsOf = async (profile: Profile): Promise<PushChannel[]> => listPushChannels(db, profile.id);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Until less than half of the life asked of the channels made at `since` is left. */
const untilRenewalDue = (since: number) => wait(Math.max(0, since + LIFETIME_MS / 2 + 100 - Date.now()));

before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
  served = await mkdtemp(path.join(os.tmpdir(), 'music-sync-push-'));
  await mkdir(path.join(served, 'Music'));
  authority = await startFakeAuthority();
  [gdrive, onedrive, dropbox] = await Promise.all([
    startGdriveFake({ root: served, authority }),
    startOnedriveFake({ root: served, authority }),
    startDropboxFake({ root: served, authority, appSecret: APP_SECRET }),
  ]);
  server = await startPushServer({ db, sink: recorder.sink, host: '127.0.0.1', port: 0, dropboxAppSecret: APP_SECRET, log: logged.log });
  profiles.drive = await linked('drive', 'gdrive', { apiUrl: gdrive.apiUrl });
  profiles.graph = await linked('graph', 'onedrive', { apiUrl: onedrive.apiUrl });
  profiles.box = await linked('box', 'dropbox', { apiUrl: dropbox.apiUrl, contentUrl: dropbox.contentUrl });
});
after(async () => {
  await keeper?.stop();
  await server?.stop();
  await Promise.all([gdrive?.stop(), onedrive?.stop(), dropbox?.stop()]);
  await authority?.stop();
  await testDb?.close();
  if (served) await rm(served, { recursive: true, force: true });
});

/** A Graph client for the profile, as the keeper makes one (to play Graph losing a subscription). */
async function graphOf(profile: Profile): Promise<GraphSubscriptions> {
  return new GraphSubscriptions(profile, { secrets: await loadProfileSecrets(db, box, profile.id), credentials: credentialStore(db, box, profile.id) });
}

describe('keeping profiles subscribed', () => {
  let madeAt: number;
  let firstDrive: PushChannel;
  let firstGraph: PushChannel;

  test('a round opens a Drive channel, a validated Graph subscription and records the Dropbox account', async () => {
    madeAt = Date.now();
    keeper = keepSubscribed({ db, secretBox: box, publicUrl: `${server.url}/`, log: logged.log, intervalMs: 3_600_000, lifetimeMs: { gdrive: LIFETIME_MS, onedrive: LIFETIME_MS } });
    await keeper.once();

    const drive = await channelsOf(profiles.drive);
    assert.equal(drive.length, 1);
    firstDrive = drive[0]!;
    assert.equal(firstDrive.address, `${server.url}/push/gdrive`);
    assert.deepEqual(gdrive.channels().map((c) => [c.id, c.resourceId, c.address]), [[firstDrive.id, firstDrive.resourceId, firstDrive.address]]);
    assert.notEqual(gdrive.channels()[0]!.token, undefined);
    assert.ok(!firstDrive.tokenHash!.equals(Buffer.from(gdrive.channels()[0]!.token!)), 'only a hash of the token is stored');

    const graph = await channelsOf(profiles.graph);
    assert.equal(graph.length, 1);
    firstGraph = graph[0]!;
    assert.deepEqual(onedrive.subscriptions().map((s) => [s.id, s.notificationUrl, s.resource]), [[firstGraph.id, `${server.url}/push/onedrive`, '/me/drive/root']]);
    assert.deepEqual(onedrive.validations, { sent: 1, passed: 1 }, 'Graph validated the endpoint before it made the subscription');

    assert.deepEqual((await channelsOf(profiles.box)).map((c) => [c.provider, c.resourceId]), [['dropbox', dropbox.accountId]]);
    assert.deepEqual(recorder.requests, [], 'the new channel\'s sync message asked for nothing');
  });

  test('after a change, each fake\'s notification asks for a sync of exactly its profile', async () => {
    await writeFile(path.join(served, 'Music', 'new.mp3'), 'not really audio');
    recorder.clear();
    assert.deepEqual((await gdrive.notify()).map((d) => d.status), [200]);
    assert.deepEqual(recorder.names(), ['drive']);
    recorder.clear();
    assert.deepEqual((await onedrive.notify()).map((d) => d.status), [202]);
    assert.deepEqual(recorder.names(), ['graph']);
    recorder.clear();
    await dropbox.addWebhook(`${server.url}/push/dropbox`);
    assert.deepEqual((await dropbox.notify()).map((d) => d.status), [200]);
    assert.deepEqual(recorder.names(), ['box']);
    assert.ok(recorder.requests.every((r) => r.request.source === 'push' && r.request.mode === 'incremental'));
  });

  test('a round before half their life changes nothing', async () => {
    await keeper.once();
    assert.deepEqual((await channelsOf(profiles.drive)).map((c) => c.id), [firstDrive.id]);
    assert.deepEqual((await channelsOf(profiles.graph)).map((c) => c.expiresAt), [firstGraph.expiresAt]);
  });

  test('later, the Drive channel is replaced (the old one stopped) and the Graph subscription extended', async () => {
    await untilRenewalDue(madeAt);
    await keeper.once();
    const drive = await channelsOf(profiles.drive);
    assert.equal(drive.length, 1);
    assert.notEqual(drive[0]!.id, firstDrive.id, 'a new channel');
    assert.deepEqual(gdrive.channels().map((c) => c.id), [drive[0]!.id], 'the old channel was stopped at Drive');
    const graph = await channelsOf(profiles.graph);
    assert.deepEqual(graph.map((c) => c.id), [firstGraph.id], 'the same subscription');
    assert.ok(graph[0]!.expiresAt!.getTime() > firstGraph.expiresAt!.getTime(), 'ending later');
    assert.equal(Date.parse(onedrive.subscriptions()[0]!.expirationDateTime), graph[0]!.expiresAt!.getTime());

    recorder.clear();
    assert.deepEqual((await gdrive.notify()).map((d) => d.status), [200]);
    assert.deepEqual((await onedrive.notify()).map((d) => d.status), [202]);
    assert.deepEqual(recorder.names(), ['drive', 'graph']);
  });

  test('a Graph subscription Graph no longer has is made anew', async () => {
    const renewedAt = Date.now();
    await (await graphOf(profiles.graph)).delete(firstGraph.id);
    assert.deepEqual(onedrive.subscriptions(), []);
    await untilRenewalDue(renewedAt);
    await keeper.once();
    const graph = await channelsOf(profiles.graph);
    assert.equal(graph.length, 1);
    assert.notEqual(graph[0]!.id, firstGraph.id);
    assert.deepEqual(onedrive.subscriptions().map((s) => s.id), [graph[0]!.id]);
    assert.ok(logged.lines.some((l) => /OneDrive profile "graph": Graph no longer has the subscription/.test(l)));
  });

  test('Graph makes no subscription to a URL that does not answer its validation', async () => {
    const before = { ...onedrive.validations };
    const made = (await graphOf(profiles.graph)).create({ notificationUrl: `${server.url}/push/gdrive`, clientState: 'x', expiresAt: new Date(Date.now() + 60_000) });
    await assert.rejects(made, (err: unknown) => err instanceof ProviderError && /ValidationError/.test(err.message));
    assert.deepEqual(onedrive.validations, { sent: before.sent + 1, passed: before.passed });
    assert.equal(onedrive.subscriptions().length, 1);
  });

  test('a profile whose link was revoked is one log line; the others are kept all the same', async () => {
    // A link the authority never issued: its token is refused at the first renewal.
    const broken = await linked('broken', 'gdrive', { apiUrl: gdrive.apiUrl }, 'rt-never-issued');
    const other = await linked('another-drive', 'gdrive', { apiUrl: gdrive.apiUrl });
    await keeper.once();
    assert.deepEqual(await channelsOf(broken), []);
    assert.equal((await channelsOf(other)).length, 1);
    assert.ok(logged.lines.some((l) => /Google Drive profile "broken": notifications could not be set up: .*revoked or has expired/.test(l)), logged.lines.join('\n'));
    assert.ok(!logged.lines.join('\n').includes('rt-never-issued'), 'no token in the log');
  });
});

// The push endpoint over real HTTP and a real Postgres: notifications of Google Drive, Microsoft Graph
// and Dropbox, in their real shapes, become sync requests for exactly the profiles they are for, and
// those that cannot be authenticated (a missing or wrong secret, an unknown or expired channel, a bad
// signature) are refused, logged without their secrets, and reach neither the sink nor the database.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Db } from '../../src/db/connect.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { insertPushChannel, putDropboxAccount } from '../../src/db/push-channels.ts';
import { secretHash } from '../../src/push/secrets.ts';
import { startPushServer, type PushServer } from '../../src/push/server.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';
import { keptLog, recordingSink } from './recording-sink.ts';

const APP_SECRET = 'dropbox-app-secret-for-tests';
const DRIVE_TOKEN = 'drive-channel-token-7f1c2b';
const GRAPH_STATE = 'graph-client-state-93ab41';

let testDb: TestDb;
let db: Db;
let server: PushServer;
const recorder = recordingSink();
const logged = keptLog();
const profiles: Record<string, { id: string; name: string }> = {};

async function profile(name: string, provider: string) {
  const row = await insertProfile(db, { id: randomUUID(), name, provider, root: '' });
  profiles[name] = { id: row.id, name };
  return row;
}

before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
  const drive = await profile('drive', 'gdrive');
  const graph = await profile('graph', 'onedrive');
  const box1 = await profile('box-music', 'dropbox');
  const box2 = await profile('box-live', 'dropbox');
  const box3 = await profile('box-other', 'dropbox');
  const hour = () => new Date(Date.now() + 3_600_000);
  await insertPushChannel(db, { id: 'chan-live', profileId: drive.id, provider: 'gdrive', resourceId: 'res-1', tokenHash: secretHash(DRIVE_TOKEN), address: 'https://x/push/gdrive', expiresAt: hour() });
  await insertPushChannel(db, { id: 'chan-old', profileId: drive.id, provider: 'gdrive', resourceId: 'res-1', tokenHash: secretHash(DRIVE_TOKEN), address: 'https://x/push/gdrive', expiresAt: new Date(Date.now() - 1000) });
  await insertPushChannel(db, { id: 'sub-live', profileId: graph.id, provider: 'onedrive', resourceId: null, tokenHash: secretHash(GRAPH_STATE), address: 'https://x/push/onedrive', expiresAt: hour() });
  await putDropboxAccount(db, box1.id, 'dbid:account-a');
  await putDropboxAccount(db, box2.id, 'dbid:account-a');
  await putDropboxAccount(db, box3.id, 'dbid:account-b');
  server = await startPushServer({ db, sink: recorder.sink, host: '127.0.0.1', port: 0, dropboxAppSecret: APP_SECRET, log: logged.log, answerWithinMs: 500 });
});
after(async () => {
  await server?.stop();
  await testDb?.close();
});
beforeEach(() => {
  recorder.clear();
  recorder.failWith = undefined;
  recorder.delayMs = 0;
  logged.lines.length = 0;
});

/** Every row of push_channels, to show a refused notification wrote nothing. */
const channelRows = () => db.selectFrom('push_channels').selectAll().orderBy('id').execute();

async function post(path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: init.headers, body: init.body });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text(), headers: response.headers };
}

function driveHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    'x-goog-channel-id': 'chan-live', 'x-goog-channel-token': DRIVE_TOKEN, 'x-goog-resource-id': 'res-1', 'x-goog-resource-state': 'change',
    'x-goog-message-number': '2', 'x-goog-resource-uri': 'https://www.googleapis.com/drive/v3/changes?alt=json&pageToken=7', ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
}

/** A refusal: the status, nothing asked of the sink, nothing written, one log line without the secrets. */
async function refused(send: () => Promise<{ status: number }>, status: number, logSays: RegExp): Promise<void> {
  const rows = await channelRows();
  assert.equal((await send()).status, status);
  assert.deepEqual(recorder.requests, [], 'nothing reached the sink');
  assert.deepEqual(await channelRows(), rows, 'nothing was written');
  assert.equal(logged.lines.length, 1, logged.lines.join('\n'));
  assert.match(logged.lines[0]!, logSays);
  for (const secret of [DRIVE_TOKEN, GRAPH_STATE, APP_SECRET, 'wrong-token', 'wrong-state']) assert.ok(!logged.lines[0]!.includes(secret), 'no secret in the log');
  logged.lines.length = 0;
}

describe('Google Drive notifications', () => {
  test('a change on a live channel with its token asks for an incremental sync of its profile', async () => {
    const answer = await post('/push/gdrive', { headers: driveHeaders() });
    assert.equal(answer.status, 200);
    assert.deepEqual(recorder.requests, [{ profile: profiles.drive, request: { mode: 'incremental', source: 'push', reason: 'Google Drive change notification' } }]);
  });

  test('the sync message of a new channel is acknowledged and asks for nothing', async () => {
    const answer = await post('/push/gdrive', { headers: driveHeaders({ 'x-goog-resource-state': 'sync', 'x-goog-channel-id': 'not-stored-yet', 'x-goog-channel-token': undefined }) });
    assert.equal(answer.status, 200);
    assert.deepEqual(recorder.requests, []);
  });

  test('a missing or wrong token, an unknown or expired channel, another resource: refused', async () => {
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-token': undefined }) }), 401, /Google Drive.*"chan-live": no X-Goog-Channel-Token/);
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-token': 'wrong-token' }) }), 403, /"chan-live": wrong X-Goog-Channel-Token/);
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-id': 'chan-nobody' }) }), 403, /unknown channel "chan-nobody"/);
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-id': 'chan-old' }) }), 403, /"chan-old" of profile "drive" has expired/);
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-resource-id': 'res-2' }) }), 403, /another resource/);
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-id': undefined }) }), 400, /no X-Goog-Channel-ID/);
    // A hostile channel id is shown clipped and without control characters.
    await refused(() => post('/push/gdrive', { headers: driveHeaders({ 'x-goog-channel-id': `evil"<\u00e9>${'x'.repeat(100)}` }) }), 403, /unknown channel "evil\?\?\?\?x{56}…"/);
    const get = await fetch(`${server.url}/push/gdrive`);
    assert.equal(get.status, 405);
  });
});

describe('Microsoft Graph notifications', () => {
  test('the validation handshake echoes the token, decoded, as plain text', async () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 3c0e9c4a-<b>&"';
    const answer = await post(`/push/onedrive?validationToken=${encodeURIComponent(token)}`, { headers: { 'content-type': 'text/plain' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.text, token);
    assert.match(answer.type ?? '', /^text\/plain/);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(recorder.requests, []);
  });

  test('notifications with the subscription\'s clientState ask for its profile once; others in the batch are dropped', async () => {
    const value = [
      { subscriptionId: 'sub-live', clientState: GRAPH_STATE, changeType: 'updated', resource: '/me/drive/root', tenantId: 't' },
      { subscriptionId: 'sub-live', clientState: GRAPH_STATE, changeType: 'updated', resource: '/me/drive/root', tenantId: 't' },
      { subscriptionId: 'sub-live', clientState: 'wrong-state', changeType: 'updated', resource: '/me/drive/root', tenantId: 't' },
    ];
    const answer = await post('/push/onedrive', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
    assert.equal(answer.status, 202);
    assert.deepEqual(recorder.requests, [{ profile: profiles.graph, request: { mode: 'incremental', source: 'push', reason: 'OneDrive change notification' } }]);
    assert.equal(logged.lines.length, 1);
    assert.match(logged.lines[0]!, /"sub-live": wrong clientState/);
  });

  test('a wrong or missing clientState, an unknown subscription, bad JSON: refused', async () => {
    const notify = (n: Record<string, unknown>) => post('/push/onedrive', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: [n] }) });
    await refused(() => notify({ subscriptionId: 'sub-live', clientState: 'wrong-state' }), 403, /OneDrive.*"sub-live": wrong clientState/);
    await refused(() => notify({ subscriptionId: 'sub-live' }), 403, /"sub-live": no clientState/);
    await refused(() => notify({ subscriptionId: 'sub-gone', clientState: GRAPH_STATE }), 403, /unknown subscription "sub-gone"/);
    const batch = [1, 2, 3].map((n) => ({ subscriptionId: `sub-${n}`, clientState: 'wrong-state' }));
    await refused(() => post('/push/onedrive', { body: JSON.stringify({ value: batch }) }), 403, /unknown subscription "sub-1" \(and 2 more of the 3 in the batch\)$/);
    await refused(() => post('/push/onedrive', { body: '{"value": [' }), 400, /not a Graph notification/);
    await refused(() => post('/push/onedrive', { body: '{"value": 7}' }), 400, /not a Graph notification/);
  });
});

describe('Dropbox webhook', () => {
  const sign = (body: string, secret = APP_SECRET) => createHmac('sha256', secret).update(body).digest('hex');

  test('the verification request echoes the challenge as plain text, not sniffable', async () => {
    const response = await fetch(`${server.url}/push/dropbox?challenge=${encodeURIComponent('<script>x</script>')}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '<script>x</script>');
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  test('a signed notification asks for every profile of the accounts it names, and only those', async () => {
    const body = JSON.stringify({ list_folder: { accounts: ['dbid:account-a', 'dbid:unknown'] }, delta: { users: [42] } });
    const answer = await post('/push/dropbox', { headers: { 'content-type': 'application/json', 'x-dropbox-signature': sign(body) }, body });
    assert.equal(answer.status, 200);
    assert.deepEqual(recorder.names().sort(), ['box-live', 'box-music']);
    assert.ok(recorder.requests.every((r) => r.request.source === 'push' && r.request.mode === 'incremental' && r.request.reason === 'Dropbox change notification'));
  });

  test('a missing or wrong signature, a signed body that is not a notification: refused', async () => {
    const body = JSON.stringify({ list_folder: { accounts: ['dbid:account-a'] } });
    await refused(() => post('/push/dropbox', { body }), 401, /Dropbox.*no X-Dropbox-Signature/);
    await refused(() => post('/push/dropbox', { headers: { 'x-dropbox-signature': sign(body, 'another-secret') }, body }), 403, /wrong X-Dropbox-Signature/);
    await refused(() => post('/push/dropbox', { headers: { 'x-dropbox-signature': sign(`${body} `) }, body }), 403, /wrong X-Dropbox-Signature/);
    await refused(() => post('/push/dropbox', { headers: { 'x-dropbox-signature': 'zz' }, body }), 403, /wrong X-Dropbox-Signature/);
    await refused(() => post('/push/dropbox', { headers: { 'x-dropbox-signature': sign('not json') }, body: 'not json' }), 400, /not a list_folder notification/);
  });

  test('without the app secret the webhook is off', async () => {
    const off = await startPushServer({ db, sink: recorder.sink, host: '127.0.0.1', port: 0, log: logged.log });
    try {
      const body = JSON.stringify({ list_folder: { accounts: ['dbid:account-a'] } });
      const answer = await fetch(`${off.url}/push/dropbox`, { method: 'POST', headers: { 'x-dropbox-signature': sign(body) }, body });
      assert.equal(answer.status, 404);
      assert.equal((await fetch(`${off.url}/push/dropbox?challenge=abc`)).status, 404);
      assert.deepEqual(recorder.requests, []);
      assert.match(logged.lines[0]!, /no Dropbox app secret/);
    } finally {
      await off.stop();
    }
  });
});

describe('the endpoint itself', () => {
  test('a sink that fails is a 503 the provider retries, and the server goes on', async () => {
    recorder.failWith = new Error('Temporal is unreachable');
    const answer = await post('/push/gdrive', { headers: driveHeaders() });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get('retry-after'), '30');
    assert.match(logged.lines.join('\n'), /sync request for profile "drive" .*failed: Temporal is unreachable/);
    recorder.failWith = undefined;
    assert.equal((await post('/push/gdrive', { headers: driveHeaders() })).status, 200);
    assert.deepEqual(recorder.names(), ['drive']);
  });

  test('a sink slower than the provider waits is answered in time, and its failure still logged', async () => {
    recorder.delayMs = 1_500;
    recorder.failWith = new Error('too late to say');
    const started = Date.now();
    const answer = await post('/push/gdrive', { headers: driveHeaders() });
    assert.equal(answer.status, 200);
    assert.ok(Date.now() - started < 1_400, 'answered before the sink was done');
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    assert.match(logged.lines.join('\n'), /failed after the notification was answered: too late to say/);
  });

  test('an oversized body is a 413, an unknown path a 404, and neither asks for anything', async () => {
    const big = 'x'.repeat(300 * 1024);
    assert.equal((await post('/push/onedrive', { body: big })).status, 413);
    assert.equal((await post('/push/elsewhere', { body: '{}' })).status, 404);
    assert.deepEqual(recorder.requests, []);
  });

  test('a request target no URL can be made of is a 400, and the server goes on', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.end('POST //[ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.equal((await post('/push/elsewhere', { body: '{}' })).status, 404, 'still answering');
    assert.deepEqual(recorder.requests, []);
  });
});

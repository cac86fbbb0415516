// The secret store and the shared throttles against a real Postgres: sealed credentials are put,
// replaced, deleted and swapped row by row and go with their profile; a profile's credentials are
// read back only with the key; throttles from several workers combine to the stricter one.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Db } from '../../src/db/connect.ts';
import { insertProfile } from '../../src/db/profiles.ts';
import { deleteSecrets, getSealedSecrets, hasSecrets, putSecrets, replaceSecret } from '../../src/db/secrets.ts';
import { dbThrottleBoard, publishThrottle, readThrottle } from '../../src/db/throttles.ts';
import type { ThrottleBoard } from '../../src/providers/remote/limiter.ts';
import { loadProfileSecrets, storeProfileSecrets } from '../../src/secrets/profile-secrets.ts';
import { SecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let db: Db;
before(async () => {
  testDb = await startTestDb();
  db = testDb.db;
});
after(() => testDb?.close());

async function newProfile() {
  return insertProfile(db, { id: randomUUID(), name: `p-${randomUUID().slice(0, 8)}`, provider: 'webdav', root: '/music' });
}

const bytes = (text: string) => Buffer.from(text);
const names = (rows: { name: string; sealed: Buffer }[]) => rows.map((r) => `${r.name}=${r.sealed.toString()}`);

describe('profile_secrets', () => {
  test('put, get, upsert and delete, row by row', async () => {
    const p = await newProfile();
    assert.equal(await hasSecrets(db, p.id), false);
    assert.deepEqual(await getSealedSecrets(db, p.id), []);
    await putSecrets(db, p.id, []);
    assert.equal(await hasSecrets(db, p.id), false);

    await putSecrets(db, p.id, [{ name: 'username', sealed: bytes('u1') }, { name: 'password', sealed: bytes('p1') }]);
    assert.equal(await hasSecrets(db, p.id), true);
    const rows = await getSealedSecrets(db, p.id);
    assert.deepEqual(names(rows), ['password=p1', 'username=u1']);
    assert.ok(Buffer.isBuffer(rows[0]!.sealed));

    const before = await db.selectFrom('profile_secrets').select(['name', 'updated_at']).where('profile_id', '=', p.id).execute();
    await putSecrets(db, p.id, [{ name: 'password', sealed: bytes('p2') }, { name: 'token', sealed: bytes('t1') }]);
    assert.deepEqual(names(await getSealedSecrets(db, p.id)), ['password=p2', 'token=t1', 'username=u1']);
    const after = await db.selectFrom('profile_secrets').select(['name', 'updated_at']).where('profile_id', '=', p.id).execute();
    const at = (list: typeof before, name: string) => list.find((r) => r.name === name)!.updated_at.getTime();
    assert.ok(at(after, 'password') > at(before, 'password'), 'a replaced secret records when');
    assert.equal(at(after, 'username'), at(before, 'username'), 'an untouched secret keeps its time');

    await assert.rejects(putSecrets(db, p.id, [{ name: 'a', sealed: bytes('1') }, { name: 'a', sealed: bytes('2') }]), /secret "a" is given twice/);
    assert.deepEqual(names(await getSealedSecrets(db, p.id)), ['password=p2', 'token=t1', 'username=u1'], 'a refused put changes nothing');

    assert.equal(await deleteSecrets(db, p.id, []), 0);
    assert.equal(await deleteSecrets(db, p.id, ['token', 'nope']), 1);
    assert.deepEqual(names(await getSealedSecrets(db, p.id)), ['password=p2', 'username=u1']);
    assert.equal(await deleteSecrets(db, p.id), 2);
    assert.equal(await hasSecrets(db, p.id), false);
  });

  test('one profile never sees another\'s secrets; a transaction that fails stores none', async () => {
    const a = await newProfile();
    const b = await newProfile();
    await putSecrets(db, a.id, [{ name: 'password', sealed: bytes('a') }]);
    await putSecrets(db, b.id, [{ name: 'password', sealed: bytes('b') }]);
    assert.deepEqual(names(await getSealedSecrets(db, a.id)), ['password=a']);
    await deleteSecrets(db, a.id);
    assert.deepEqual(names(await getSealedSecrets(db, b.id)), ['password=b']);

    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await putSecrets(trx, a.id, [{ name: 'password', sealed: bytes('x') }]);
        throw new Error('profile creation failed later');
      }),
      /failed later/,
    );
    assert.equal(await hasSecrets(db, a.id), false);
    await assert.rejects(putSecrets(db, randomUUID(), [{ name: 'password', sealed: bytes('x') }]), /foreign key/);
  });

  test('secrets go with their profile', async () => {
    const p = await newProfile();
    const other = await newProfile();
    await putSecrets(db, p.id, [{ name: 'password', sealed: bytes('p') }]);
    await putSecrets(db, other.id, [{ name: 'password', sealed: bytes('o') }]);
    await db.deleteFrom('profiles').where('id', '=', p.id).execute();
    assert.equal(await hasSecrets(db, p.id), false);
    const left = await sql<{ n: number }>`select count(*)::int as n from profile_secrets where profile_id = ${p.id}`.execute(db);
    assert.equal(left.rows[0]!.n, 0);
    assert.equal(await hasSecrets(db, other.id), true);
  });

  test('replaceSecret swaps only the value it expects, so of two rotations at once one wins', async () => {
    const p = await newProfile();
    const first = randomBytes(40);
    await putSecrets(db, p.id, [{ name: 'token', sealed: first }]);
    const a = randomBytes(40);
    const b = randomBytes(40);
    const [wonA, wonB] = await Promise.all([replaceSecret(db, p.id, 'token', first, a), replaceSecret(db, p.id, 'token', first, b)]);
    assert.equal(Number(wonA) + Number(wonB), 1);
    const stored = (await getSealedSecrets(db, p.id))[0]!.sealed;
    assert.deepEqual(stored, wonA ? a : b);
    assert.equal(await replaceSecret(db, p.id, 'token', first, randomBytes(40)), false, 'a stale expectation loses');
    assert.deepEqual((await getSealedSecrets(db, p.id))[0]!.sealed, stored);
    assert.equal(await replaceSecret(db, p.id, 'missing', first, a), false, 'no row, no swap (and none made)');
    assert.deepEqual((await getSealedSecrets(db, p.id)).map((r) => r.name), ['token']);
  });
});

describe('profile credentials, sealed', () => {
  const box = SecretBox.fromKeyText(randomBytes(32).toString('base64'));

  test('stored sealed and bound to their row, read back with the key', async () => {
    const p = await newProfile();
    // JSON.parse makes `__proto__` an own property, as a name read from a form or a file would be.
    const secrets = JSON.parse('{"username":"alice","password":"s3cret-pässword","__proto__":"odd but a name"}') as Record<string, string>;
    await storeProfileSecrets(db, box, p.id, secrets);
    const rows = await getSealedSecrets(db, p.id);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.equal(row.sealed.indexOf(Buffer.from('s3cret')), -1);
    const loaded = await loadProfileSecrets(db, box, p.id, p.name);
    assert.deepEqual(Object.entries(loaded), [['__proto__', 'odd but a name'], ['password', 's3cret-pässword'], ['username', 'alice']]);
    assert.equal(Object.getPrototypeOf(loaded), Object.prototype);
    assert.ok(Object.isFrozen(loaded));

    // A sealed value copied onto another row (another name, another profile) does not open there.
    const other = await newProfile();
    const password = rows.find((r) => r.name === 'password')!.sealed;
    await putSecrets(db, other.id, [{ name: 'password', sealed: password }]);
    await assert.rejects(loadProfileSecrets(db, box, other.id, other.name), (e: unknown) =>
      e instanceof SecretKeyError && e.message.includes(`profile "${other.name}", credential "password"`) && /tampered or corrupt/.test(e.message));
    await replaceSecret(db, p.id, 'username', rows.find((r) => r.name === 'username')!.sealed, password);
    await assert.rejects(loadProfileSecrets(db, box, p.id), /credential "username".*tampered or corrupt/);
  });

  test('without a key: none stored is {}, some stored is an error naming the profile', async () => {
    const bare = await newProfile();
    assert.deepEqual(await loadProfileSecrets(db, undefined, bare.id, bare.name), {});
    const p = await newProfile();
    await storeProfileSecrets(db, box, p.id, { password: 'x' });
    await assert.rejects(loadProfileSecrets(db, undefined, p.id, p.name), (e: unknown) =>
      e instanceof SecretKeyError && e.message === `profile "${p.name}" has stored credentials: MUSIC_SYNC_SECRET_KEY is needed to read them`);
    await assert.rejects(loadProfileSecrets(db, undefined, p.id), new RegExp(`profile "${p.id}"`));
  });

  test('under another key: an error that says so, naming the profile', async () => {
    const p = await newProfile();
    await storeProfileSecrets(db, box, p.id, { password: 'x' });
    const other = SecretBox.fromKeyText(randomBytes(32).toString('hex'));
    await assert.rejects(loadProfileSecrets(db, other, p.id, p.name), (e: unknown) =>
      e instanceof SecretKeyError && e.message.startsWith(`profile "${p.name}"`) && /sealed with another MUSIC_SYNC_SECRET_KEY/.test(e.message));
  });

  test('a value that is not text is refused before anything is stored', async () => {
    const p = await newProfile();
    await assert.rejects(storeProfileSecrets(db, box, p.id, { username: 'a', password: undefined } as unknown as Record<string, string>), /secret "password" must be text/);
    assert.equal(await hasSecrets(db, p.id), false);
  });
});

describe('account_throttles', () => {
  /** A time relative to the database's clock. */
  async function dbNow(offsetMs = 0): Promise<Date> {
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
    return new Date(rows[0]!.now.getTime() + offsetMs);
  }

  test('none until published; a running pause combines to the later end and the lower concurrency', async () => {
    const account = `webdav:${randomUUID()}`;
    assert.equal(await readThrottle(db, account), undefined);
    const in30 = await dbNow(30_000);
    await publishThrottle(db, account, in30, 4);
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: in30, concurrency: 4 });

    const in10 = await dbNow(10_000);
    await publishThrottle(db, account, in10, 2);
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: in30, concurrency: 2 }, 'earlier end, lower concurrency');

    const in60 = await dbNow(60_000);
    await publishThrottle(db, account, in60, 8);
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: in60, concurrency: 2 }, 'later end, higher concurrency');
    assert.equal(await readThrottle(db, `webdav:${randomUUID()}`), undefined, 'accounts are apart');
  });

  test('an ended pause is replaced, still read for a minute, then gone', async () => {
    const account = `s3:${randomUUID()}`;
    const ended = await dbNow(-30_000);
    await publishThrottle(db, account, ended, 1);
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: ended, concurrency: 1 }, 'ended under a minute ago: still read');

    const next = await dbNow(20_000);
    await publishThrottle(db, account, next, 6);
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: next, concurrency: 6 }, 'the ended pause is replaced, not combined');

    const long = `s3:${randomUUID()}`;
    await publishThrottle(db, long, await dbNow(-61_000), 3);
    assert.equal(await readThrottle(db, long), undefined, 'ended over a minute ago');
  });

  test('the board the limiters share is this table', async () => {
    const board: ThrottleBoard = dbThrottleBoard(db);
    const account = `webdav:${randomUUID()}`;
    const until = await dbNow(15_000);
    await board.publish(account, until, 3);
    assert.deepEqual(await board.read(account), { pausedUntil: until, concurrency: 3 });
    assert.deepEqual(await readThrottle(db, account), { pausedUntil: until, concurrency: 3 });
  });

  test('a throttle that means nothing is refused', async () => {
    const account = `s3:${randomUUID()}`;
    const soon = await dbNow(10_000);
    for (const concurrency of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      await assert.rejects(publishThrottle(db, account, soon, concurrency), /concurrency must be a whole number of at least 1/);
    }
    await assert.rejects(publishThrottle(db, account, new Date(Number.NaN), 1), /not a valid time/);
    assert.equal(await readThrottle(db, account), undefined);
  });
});

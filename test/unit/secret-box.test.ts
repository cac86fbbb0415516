// The secret box: credentials sealed under the operator's key open only with that key, only for the
// row they were sealed for, and only untouched; every refusal says which of those it is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { SecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts';

const KEY = randomBytes(32);
const box = SecretBox.fromKeyText(KEY.toString('base64'));
const PLAIN = 'hunter2-påsswörd';
const CONTEXT = '0b6a8c1e-64f4-4a4e-9a55-2e1f4c3d2b1a/password';

/** Asserts a SecretKeyError whose message matches, and that it holds no plaintext or key text. */
function refuses(fn: () => unknown, message: RegExp, keyText?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SecretKeyError, `a SecretKeyError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.ok(!e.message.includes(PLAIN));
    if (keyText) assert.ok(!e.message.includes(keyText));
    return true;
  });
}

describe('key text', () => {
  test('the same 32 bytes in hex, base64 and base64url, padded or not, make the same key', () => {
    const forms = [
      KEY.toString('hex'), KEY.toString('hex').toUpperCase(), KEY.toString('base64'), KEY.toString('base64').replace(/=$/, ''),
      KEY.toString('base64url'), `${KEY.toString('base64url')}=`, `  ${KEY.toString('base64')}\n`,
    ];
    const sealed = box.seal(PLAIN, CONTEXT);
    for (const text of forms) {
      const other = SecretBox.fromKeyText(text);
      assert.equal(other.fingerprint, box.fingerprint, text);
      assert.equal(other.open(sealed, CONTEXT), PLAIN);
    }
    assert.match(box.fingerprint, /^[0-9a-f]{16}$/);
  });

  test('a missing key says it is not set and how to make one', () => {
    for (const text of [undefined, '', '   ']) refuses(() => SecretBox.fromKeyText(text), /^MUSIC_SYNC_SECRET_KEY is not set: .*openssl rand -base64 32/);
  });

  test('a key of the wrong size or form is refused with how to make one, without echoing it', () => {
    const bad = [
      randomBytes(16).toString('base64'), // short
      randomBytes(31).toString('hex'), // 62 hex digits
      randomBytes(48).toString('base64'), // long
      `${KEY.toString('hex').slice(0, 63)}g`, // not hex, not base64 of 32 bytes
      'correct horse battery staple correct horse battery staple!!', // a passphrase
      `${KEY.toString('base64').slice(0, 10)}-_${KEY.toString('base64').slice(12)}`.replace(/=$/, '').replace(/^(.)/, '+'), // mixed alphabets
      `${KEY.toString('base64').slice(0, 42)}B=`, // last character not canonical: bits an encoder never sets
    ];
    for (const text of bad) refuses(() => SecretBox.fromKeyText(text), /^MUSIC_SYNC_SECRET_KEY must be 32 bytes .*openssl rand -base64 32/, text.trim());
  });

  test('the box shows no key material when inspected or serialised', () => {
    const text = KEY.toString('hex');
    assert.ok(!inspect(box, { showHidden: true, depth: 5 }).includes(text));
    assert.equal(JSON.stringify(box), '{}');
  });
});

describe('seal and open', () => {
  test('round trip, a fresh nonce per seal, and no plaintext in the sealed bytes', () => {
    const a = box.seal(PLAIN, CONTEXT);
    const b = box.seal(PLAIN, CONTEXT);
    assert.equal(box.open(a, CONTEXT), PLAIN);
    assert.equal(box.open(b, CONTEXT), PLAIN);
    assert.equal(box.open(box.seal('', CONTEXT), CONTEXT), '');
    assert.notDeepEqual(a.subarray(9, 21), b.subarray(9, 21), 'nonces differ');
    assert.notDeepEqual(a, b);
    assert.equal(a.length, 1 + 8 + 12 + Buffer.byteLength(PLAIN) + 16);
    assert.equal(a[0], 1);
    assert.equal(a.subarray(1, 9).toString('hex'), box.fingerprint);
    assert.equal(a.indexOf(Buffer.from(PLAIN)), -1);
    assert.equal(a.indexOf(Buffer.from('hunter2')), -1);
  });

  test('a value sealed under another key is recognised as such', () => {
    const otherText = randomBytes(32).toString('hex');
    const other = SecretBox.fromKeyText(otherText);
    refuses(() => other.open(box.seal(PLAIN, CONTEXT), CONTEXT), /sealed with another MUSIC_SYNC_SECRET_KEY/, otherText);
  });

  test('any changed byte, a cut value or a value moved to another row does not open', () => {
    const sealed = box.seal(PLAIN, CONTEXT);
    // Every byte after the fingerprint: nonce, ciphertext and tag.
    for (let i = 9; i < sealed.length; i++) {
      const changed = Buffer.from(sealed);
      changed[i] = changed[i]! ^ 0x01;
      refuses(() => box.open(changed, CONTEXT), /could not be opened \(tampered or corrupt\)/);
    }
    const badVersion = Buffer.from(sealed);
    badVersion[0] = 2;
    refuses(() => box.open(badVersion, CONTEXT), /could not be opened \(tampered or corrupt\)/);
    refuses(() => box.open(sealed.subarray(0, 36), CONTEXT), /could not be opened \(tampered or corrupt\)/);
    refuses(() => box.open(sealed.subarray(0, sealed.length - 1), CONTEXT), /could not be opened \(tampered or corrupt\)/);
    refuses(() => box.open(Buffer.alloc(0), CONTEXT), /could not be opened \(tampered or corrupt\)/);
    refuses(() => box.open(sealed, CONTEXT.replace('password', 'username')), /could not be opened \(tampered or corrupt\)/);
    refuses(() => box.open(sealed, `1${CONTEXT.slice(1)}`), /could not be opened \(tampered or corrupt\)/);
    assert.equal(box.open(sealed, CONTEXT), PLAIN, 'the original still opens');
  });
});

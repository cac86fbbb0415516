import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bytesToText, displayName, textToBytes } from '../../src/providers/path-bytes.ts';

const ESCAPE = (byte: number): string => String.fromCodePoint(0x10ff00 + byte);
const isEscape = (ch: string): boolean => ch.codePointAt(0)! >= 0x10ff80;

// Byte strings that hit the interesting cases often: plain ASCII, high bytes, well-formed and
// truncated multi-byte sequences, and the UTF-8 of characters in the escape range (F4 8F BE/BF xx).
const fragment = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((b) => [b]),
  fc.constantFrom([0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x8e, 0xb5], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]),
  fc.integer({ min: 0x80, max: 0xff }).map((b) => [0xf4, 0x8f, 0xbe + (b >> 6 === 3 ? 1 : 0), b & 0xbf]),
  fc.integer({ min: 0x80, max: 0x10ffff }).map((cp) => [...Buffer.from(String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp))].slice(0, 1 + (cp % 4))),
);
const byteStrings = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fragment, { maxLength: 24 }).map((parts) => Uint8Array.from(parts.flat())),
);

test('every byte string round-trips through its text, and the text is well-formed', () => {
  fc.assert(
    fc.property(byteStrings, (bytes) => {
      const text = bytesToText(bytes);
      assert.deepEqual(textToBytes(text), Buffer.from(bytes));
      assert.ok(!/\p{Cs}/u.test(text), 'no lone surrogates');
    }),
    { numRuns: 5000 },
  );
});

test('valid UTF-8 reads as usual, unless it holds a character of the escape range', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 32 }), (text) => {
      const bytes = Buffer.from(text, 'utf8');
      const back = bytesToText(bytes);
      assert.deepEqual(textToBytes(back), bytes);
      if ([...text].some(isEscape)) assert.notEqual(back, text);
      else assert.equal(back, text);
    }),
    { numRuns: 5000 },
  );
});

test('every text without escapes round-trips through its bytes; a text with them maps to the same bytes again', () => {
  const withEscapes = fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.integer({ min: 0x80, max: 0xff }).map(ESCAPE)), { maxLength: 12 })
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(withEscapes, (text) => {
      const bytes = textToBytes(text);
      const back = bytesToText(bytes);
      assert.deepEqual(textToBytes(back), bytes);
      if (![...text].some(isEscape)) assert.equal(back, text);
    }),
    { numRuns: 5000 },
  );
});

test('a Latin-1 name becomes escapes and displays as Windows-1252', () => {
  const bytes = Buffer.concat([Buffer.from('Beyonc'), Buffer.from([0xe9]), Buffer.from(' - Halo.mp3')]);
  const text = bytesToText(bytes);
  assert.equal(text, `Beyonc${ESCAPE(0xe9)} - Halo.mp3`);
  assert.deepEqual(textToBytes(text), bytes);
  assert.equal(displayName(text), 'Beyoncé - Halo.mp3');
  // 0x80..0x9F are Windows-1252 where it defines them, else the Latin-1 control character.
  assert.equal(displayName(bytesToText(Buffer.from([0x80, 0x93, 0x94, 0x81, 0x9f, 0xff]))), '€“”\u0081Ÿÿ');
  assert.equal(displayName('plain é'), 'plain é');
});

test('each byte of an invalid sequence is escaped alone; what follows it decodes again', () => {
  // E9 starts a three-byte sequence that never comes; C3 A9 after it is a good é.
  assert.equal(bytesToText(Buffer.from([0x61, 0xe9, 0xc3, 0xa9])), `a${ESCAPE(0xe9)}é`);
  // An overlong '/' (C0 AF) and a surrogate (ED A0 80) are not UTF-8.
  assert.equal(bytesToText(Buffer.from([0xc0, 0xaf])), ESCAPE(0xc0) + ESCAPE(0xaf));
  assert.equal(bytesToText(Buffer.from([0xed, 0xa0, 0x80])), ESCAPE(0xed) + ESCAPE(0xa0) + ESCAPE(0x80));
});

test('a real character of the escape range is escaped byte by byte; its neighbours below are not', () => {
  const reserved = String.fromCodePoint(0x10ffe9);
  const bytes = Buffer.from(`x${reserved}`, 'utf8');
  assert.equal(bytesToText(bytes), `x${[...bytes.subarray(1)].map(ESCAPE).join('')}`);
  assert.deepEqual(textToBytes(bytesToText(bytes)), bytes);
  const free = String.fromCodePoint(0x10ff7f);
  assert.equal(bytesToText(Buffer.from(free, 'utf8')), free);
});

test('a lone surrogate is no file name', () => {
  assert.throws(() => textToBytes('a\ud800b'), (e: unknown) => e instanceof RangeError && /lone surrogate/.test(e.message));
});

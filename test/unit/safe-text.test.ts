// What the CLI prints from the library cannot drive the terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeText } from '../../src/cli/safe-text.ts';

test('terminal controls in names and tags are shown escaped', () => {
  // Clear screen, set window title, carriage return overwrite, bell, backspace.
  assert.equal(safeText('a\u001b[2Jb'), 'a\\e[2Jb');
  assert.equal(safeText('\u001b]0;owned\u0007x'), '\\e]0;owned\\x07x');
  assert.equal(safeText('good\rbad'), 'good\\rbad');
  assert.equal(safeText('two\nlines'), 'two\\nlines');
  assert.equal(safeText('x\u0008y\u007f'), 'x\\x08y\\x7F');
  // C1 controls (CSI 0x9b) and bidi overrides that reorder what a line shows.
  assert.equal(safeText('a\u009b2Jb'), 'a\\x9B2Jb');
  assert.equal(safeText('evil\u202Egnp.mp3'), 'evil\\u202Egnp.mp3');
  // A byte of a name that is not UTF-8, stored as a private-use escape.
  assert.equal(safeText('Beyonc\u{10ffe9} - Halo.mp3'), 'Beyonc\\xE9 - Halo.mp3');
});

test('ordinary text, tabs and every script pass unchanged', () => {
  for (const s of ['Björk – Jóga', 'K/DA', '坂本龍一', 'مرحبا', 'tab\there', '100% Pure', "'; drop table tracks; --"]) {
    assert.equal(safeText(s), s);
  }
});

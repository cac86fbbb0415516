// The CLI's pure parts: argument parsing, names, formatting, the progress line.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseInvocation, positiveInt, UsageError } from '../../src/cli/args.ts';
import { profileNameFor } from '../../src/cli/names.ts';
import { formatBytes, formatDuration, maskUrl, table } from '../../src/cli/output.ts';
import { ProgressState, renderProgressLine } from '../../src/cli/progress.ts';

describe('cli args', () => {
  test('command words, options before or after them, subcommands', () => {
    const a = parseInvocation(['--data-dir', '/x', 'scan', 'music', '--json']);
    assert.equal(a.kind, 'command');
    if (a.kind !== 'command') return;
    assert.equal(a.command.spec.name, 'scan');
    assert.equal(a.command.positionals.dir, 'music');
    assert.equal(a.command.dataDir, '/x');
    assert.equal(a.command.json, true);

    const p = parseInvocation(['profile', 'add', 'jazz', '--root', '/music/jazz']);
    assert.ok(p.kind === 'command' && p.command.spec.name === 'profile add');
    assert.equal(p.command.positionals.name, 'jazz');
    assert.equal(p.command.options.root, '/music/jazz');

    assert.equal(parseInvocation(['--help']).kind, 'help');
    assert.equal(parseInvocation([]).kind, 'help');
    const h = parseInvocation(['sync', '--help']);
    assert.ok(h.kind === 'command' && h.command.help);
  });

  test('usage errors', () => {
    assert.throws(() => parseInvocation(['nope']), UsageError);
    assert.throws(() => parseInvocation(['scan']), /missing <dir>/);
    assert.throws(() => parseInvocation(['scan', 'a', 'b']), /unexpected argument "b"/);
    assert.throws(() => parseInvocation(['scan', 'a', '--wat']), /unknown option --wat/);
    assert.throws(() => parseInvocation(['status', 'x', '--data-dir']), /needs a value/);
    assert.throws(() => parseInvocation(['profile']), /subcommand/);
    assert.throws(() => positiveInt('0', '--limit', 20), /positive integer/);
    assert.equal(positiveInt(undefined, '--limit', 20), 20);
    assert.equal(positiveInt('7', '--limit', 20), 7);
  });
});

describe('cli output', () => {
  test('profile names from folder names', () => {
    assert.equal(profileNameFor('/home/me/My Music'), 'My-Music');
    assert.equal(profileNameFor('/data/Musique été'), 'Musique-ete');
    assert.equal(profileNameFor('/'), 'library');
    assert.equal(profileNameFor('/x/.hidden'), 'hidden');
    assert.ok(profileNameFor(`/x/${'a'.repeat(100)}`).length <= 56);
  });

  test('formatting', () => {
    assert.equal(maskUrl('postgres://postgres:secret@127.0.0.1:5432/db'), 'postgres://postgres:****@127.0.0.1:5432/db');
    assert.equal(maskUrl('postgres://127.0.0.1/db'), 'postgres://127.0.0.1/db');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(2_340), '2.3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
    assert.deepEqual(table(['A', 'B'], [['xx', 'y']]), ['A   B', 'xx  y']);
  });

  test('progress never goes backwards and fits the width', () => {
    const state = new ProgressState();
    state.apply('process', { itemsQueued: 200, itemsProcessed: 100 });
    state.apply('discover', { itemsProcessed: 50 }); // a late, older event
    assert.equal(state.phase, 'process');
    assert.equal(state.counters.itemsProcessed, 100);
    const line = renderProgressLine(state, 1_500, 60);
    assert.match(line, /100\/200 +50%/);
    assert.ok(line.length < 60);
  });
});

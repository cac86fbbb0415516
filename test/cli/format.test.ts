// The CLI's pure parts: argument parsing, names, formatting, the progress line.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS, commandHelp, parseInvocation, positiveInt, UsageError } from '../../src/cli/args.ts';
import { pageFooter } from '../../src/cli/list-output.ts';
import { profileNameFor } from '../../src/cli/names.ts';
import { formatBytes, formatDuration, jobSummary, maskUrl, table } from '../../src/cli/output.ts';
import type { SyncJob } from '../../src/client/types.ts';
import { ZERO_COUNTERS } from '../../src/contract/counters.ts';
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

/** The words of a command line as a shell splits them (double quotes only, which is all the examples use). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('cli help', () => {
  test('every command\'s help ends with one example, and the example is a valid command line', () => {
    for (const spec of COMMANDS) {
      const help = commandHelp(spec);
      const examples = help.split('\n').filter((l) => l.startsWith('Example: '));
      assert.equal(examples.length, 1, `${spec.name}: ${examples.join(' | ')}`);
      const words = shellWords(examples[0]!.slice('Example: '.length));
      // Leading VAR=value words are the environment.
      const at = words.findIndex((w) => !/^[A-Z_]+=/.test(w));
      assert.equal(words[at], 'music-sync', `${spec.name}: ${examples[0]}`);
      const parsed = parseInvocation(words.slice(at + 1));
      assert.ok(parsed.kind === 'command' && parsed.command.spec.name === spec.name, `${spec.name}: ${examples[0]}`);
    }
  });
});

describe('cli wording', () => {
  const job = (over: Partial<SyncJob>): SyncJob => ({
    ...ZERO_COUNTERS, id: 'j1', profileId: 'p1', provider: 'local', mode: 'full', status: 'running', phase: 'discover', workflowId: 'w',
    runId: null, createdAt: new Date(Date.now() - 5000), startedAt: null, finishedAt: null, cursor: null, error: null, errorKind: null,
    needsReview: null, cancelledBy: null, cancelReason: null, tracksBefore: null, requestedBy: 'cli', ...over,
  });
  const filesLine = (j: SyncJob) => jobSummary({ title: 'Sync of jazz', job: j }).find((l) => l.startsWith('  files'))!;

  test('status during the listing says the audio count is not known yet, not "0 audio"', () => {
    assert.equal(filesLine(job({ itemsDiscovered: 6000 })), '  files       6000 discovered so far; audio not counted yet (the filter runs after the listing)');
    assert.equal(filesLine(job({ phase: 'filter', itemsDiscovered: 6000 })), '  files       6000 discovered so far; audio not counted yet (the filter runs after the listing)');
    assert.equal(filesLine(job({ phase: 'process', itemsDiscovered: 6000, itemsQueued: 5900, itemsFiltered: 100 })), '  files       6000 discovered, 5900 audio, 100 filtered out');
    const ended = job({ status: 'failed', phase: 'complete', itemsDiscovered: 6000, finishedAt: new Date() });
    assert.equal(filesLine(ended), '  files       6000 discovered; audio not counted (the job ended before its filter ran)');
    const empty = job({ status: 'completed', phase: 'complete', finishedAt: new Date() });
    assert.equal(filesLine(empty), '  files       0 discovered, 0 audio, 0 filtered out');
  });

  test('the line under a page: how many, and the option for the next page', () => {
    const list = { limit: undefined, offset: 0, after: undefined, format: 'table' as const };
    const items = Array.from({ length: 50 }, (_, i) => i);
    assert.equal(pageFooter({ items, total: 18_000, remaining: 17_950, next: 'x' }, list, ['track', 'tracks']), '50 of 18,000 tracks … 17,950 more: --offset 50');
    assert.equal(pageFooter({ items, total: 18_000, remaining: 17_850, next: 'id-9' }, { ...list, offset: 100 }, ['track', 'tracks']), '50 of 18,000 tracks … 17,850 more: --offset 150');
    assert.equal(pageFooter({ items, total: 100, remaining: 10, next: "it's a path" }, { ...list, after: 'a' }, ['file', 'files']), "50 of 100 files … 10 more: --after 'it'\\''s a path'");
    assert.equal(pageFooter({ items: [1], total: 1, remaining: 0, next: null }, list, ['track', 'tracks']), '1 track');
    assert.equal(pageFooter({ items: [], total: 0, remaining: 0, next: null }, list, ['track', 'tracks']), 'no tracks');
  });
});

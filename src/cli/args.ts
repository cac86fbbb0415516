// Command-line parsing with node:util parseArgs: the command word(s) first, then each command's own
// options strictly (an unknown option is a usage error, not silently ignored).
import { parseArgs } from 'node:util';

/** The exit code of `scan` and `sync --wait` when the job needs review: the mass-deletion guard held
 * its deletions back (distinct from 1, a sync that did not complete). */
export const EXIT_NEEDS_REVIEW = 3;

/** The exit code when what a command names does not exist: a profile, a job. */
export const EXIT_NOT_FOUND = 4;

/** A wrong command line: one line on stderr and exit code 2. */
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface CommandSpec {
  /** 'scan', or 'profile add' for a command with a subcommand. */
  name: string;
  args: string;
  summary: string;
  details?: string[];
  options?: OptionSpec;
  optionHelp?: [string, string][];
  positionals: string[];
  /** Trailing positionals that may be left out. */
  optional?: number;
  /** One command line that works, shown at the end of the command's help. */
  example: string;
}

const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};


const REMOTE_OPTIONS: OptionSpec = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'path-style': { type: 'boolean' },
  'max-connections': { type: 'string' },
};

const REMOTE_HELP: [string, string][] = [
  ['--endpoint <url>', 's3: the S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS)'],
  ['--region <name>', 's3: the bucket\'s region (default: AWS_REGION, else us-east-1)'],
  ['--path-style', 's3: path-style addressing (automatic for an IP address or localhost endpoint)'],
  ['--max-connections <n>', 'requests at once to the account, shared by every sync (default 16)'],
];

/** Paging and output of the list commands (tracks, duplicates, failed, history). */
const PAGE_OPTIONS: OptionSpec = {
  limit: { type: 'string' },
  offset: { type: 'string' },
  ndjson: { type: 'boolean' },
};

const PAGE_HELP = (what: string, defaultLimit: string): [string, string][] => [
  ['--limit <n>', `at most this many ${what} (default ${defaultLimit})`],
  ['--offset <n>', `skip the first n ${what}`],
];

const STREAM_HELP: [string, string][] = [
  ['--json', 'one JSON array, written an element per line as it is read (every match unless --limit)'],
  ['--ndjson', 'the same elements as JSON lines, one object per line (for line-at-a-time readers)'],
];

const FILTER_HELP: [string, string][] = [
  ['--path <prefix>', 'only paths that start with this, as written (Jazz/ for a folder)'],
];

const REMOTE_DETAILS = [
  'A remote location is a URL: webdav://host[:port]/path (webdavs:// for TLS, or http(s)://)',
  'or s3://bucket/prefix. Its credentials are read from MUSIC_SYNC_WEBDAV_USER and',
  'MUSIC_SYNC_WEBDAV_PASSWORD, or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),',
  'else asked at the terminal; never on the command line. They are sealed in the database with',
  'MUSIC_SYNC_SECRET_KEY (make one with: openssl rand -base64 32).',
];

export const COMMANDS: CommandSpec[] = [
  {
    name: 'scan',
    args: '<dir|url> [--full] [--confirm-deletions]',
    summary: 'sync a folder, WebDAV folder or S3 bucket once: start what is needed, scan, print a summary, stop',
    positionals: ['dir'],
    options: { full: { type: 'boolean' }, 'confirm-deletions': { type: 'boolean' }, ...REMOTE_OPTIONS },
    optionHelp: [
      ['--full', 'a full sync even when an incremental one is possible'],
      ['--confirm-deletions', 'delete the tracks of missing files even when most of the library is missing'],
      ...REMOTE_HELP,
    ],
    details: [
      'Creates a profile for the location on first use (named after it) and runs a full sync',
      'with a worker in this process; later scans are incremental (only changed files are read)',
      'unless --full forces a full sync, which also repairs any drift.',
      'A listing that misses most of the library (an unmounted drive, an emptied folder) deletes',
      'nothing: the job ends as "needs review" with the command that confirms the deletion.',
      `Exit code 0 when the job completed (even with failed files), ${EXIT_NEEDS_REVIEW} when it needs review,`,
      '1 when it failed, was cancelled or timed out. Ctrl-C cancels the sync; a second Ctrl-C quits.',
      'With --json, stdout is one object: { job, tracks, failed, duplicates }.',
      ...REMOTE_DETAILS,
    ],
    example: 'music-sync scan ~/Music',
  },
  {
    name: 'up',
    args: '',
    summary: 'run Postgres, Temporal (with its Web UI) and a worker until Ctrl-C',
    positionals: [],
    details: [
      'Other music-sync commands with the same --data-dir use this stack while it runs.',
    ],
    example: 'music-sync up --data-dir ~/.music-sync',
  },
  {
    name: 'worker',
    args: '',
    summary: 'run a sync worker until Ctrl-C (starts Postgres/Temporal when not given)',
    positionals: [],
    example: 'TEMPORAL_ADDRESS=temporal.internal:7233 DATABASE_URL=postgres://music@db.internal/music music-sync worker',
  },
  {
    name: 'serve',
    args: '',
    summary: 'turn Google Drive, OneDrive and Dropbox change notifications into syncs, until Ctrl-C',
    positionals: [],
    details: [
      'Listens on MUSIC_SYNC_PUSH_LISTEN (default 127.0.0.1:8787) at /push/gdrive, /push/onedrive and',
      '/push/dropbox; each genuine notification asks for an incremental sync of its profile. With',
      'MUSIC_SYNC_PUSH_URL (the public https address a reverse proxy or tunnel gives that listener),',
      'every Google Drive and OneDrive profile is subscribed to its changes, renewed before it ends.',
      'Dropbox notifies at the webhook URL set in its App Console, signed with the app secret',
      '(MUSIC_SYNC_DROPBOX_CLIENT_SECRET).',
    ],
    example: 'MUSIC_SYNC_PUSH_URL=https://music.example.com music-sync serve',
  },
  {
    name: 'migrate',
    args: '',
    summary: 'bring the database schema up to date',
    positionals: [],
    example: 'DATABASE_URL=postgres://music@db.internal/music music-sync migrate',
  },
  {
    name: 'profile add',
    args: '<name> --root <dir|url> [--provider local|webdav|s3] | <name> --provider gdrive|onedrive|dropbox [--folder <path>] [--no-browser]',
    summary: 'register a sync profile',
    options: { provider: { type: 'string' }, root: { type: 'string' }, folder: { type: 'string' }, 'no-browser': { type: 'boolean' }, ...REMOTE_OPTIONS },
    optionHelp: [
      ['--root <dir|url>', 'the folder, WebDAV URL or s3://bucket/prefix to sync'],
      ['--provider <kind>', 'storage provider (default: from --root: local, webdav or s3; or gdrive, onedrive, dropbox)'],
      ...REMOTE_HELP,
      ['--folder <path>', 'gdrive, onedrive, dropbox: the folder of the drive to sync (default: the whole drive)'],
      ['--no-browser', 'gdrive, onedrive, dropbox: open no browser; paste the code or the address it ends on'],
    ],
    details: [
      ...REMOTE_DETAILS,
      'A gdrive, onedrive or dropbox profile is linked to the account in a browser (read-only access),',
      'with the OAuth app of MUSIC_SYNC_<GDRIVE|ONEDRIVE|DROPBOX>_CLIENT_ID (and _CLIENT_SECRET if it',
      'has one); its refresh token is sealed like other credentials. Adding an existing cloud profile',
      'again links it again (after the link was revoked or expired).',
    ],
    positionals: ['name'],
    example: 'music-sync profile add jazz --root ~/Music/Jazz',
  },
  {
    name: 'profile list',
    args: '',
    summary: 'list sync profiles',
    positionals: [],
    example: 'music-sync profile list --json',
  },
  {
    name: 'profile status',
    args: '<name>',
    summary: 'show a profile\'s actor: idle, syncing, paused or backing off, what is pending, the last result, the schedule',
    positionals: ['name'],
    example: 'music-sync profile status jazz',
  },
  {
    name: 'profile pause',
    args: '<name> [--reason <text>]',
    summary: 'hold a profile\'s automatic syncs (schedule, folder watcher, push notifications) until resumed',
    options: { reason: { type: 'string' } },
    optionHelp: [['--reason <text>', 'why, shown with its state']],
    positionals: ['name'],
    details: [
      'A sync under way goes on (cancel it with `music-sync cancel <jobId>`); requests that come',
      'meanwhile wait and run as one sync on resume. `music-sync sync` still runs a sync on purpose.',
      'A sync that fails for a reason no retry mends (a revoked link, the folder gone) pauses the',
      'profile by itself, with that reason.',
    ],
    example: 'music-sync profile pause jazz --reason "moving disks"',
  },
  {
    name: 'profile resume',
    args: '<name>',
    summary: 'resume a paused profile (and end its backoff after failures); what waited runs',
    positionals: ['name'],
    example: 'music-sync profile resume jazz',
  },
  {
    name: 'profile schedule',
    args: '<name> --every <duration> | --cron "<expression>" | --off',
    summary: 'sync a profile on a schedule (a Temporal Schedule, on the Web UI\'s Schedules page)',
    options: { every: { type: 'string' }, cron: { type: 'string' }, off: { type: 'boolean' } },
    optionHelp: [
      ['--every <duration>', 'an interval: 30m, 6h, 1d12h (at least 1m)'],
      ['--cron <expr>', 'five cron fields, in UTC: "0 3 * * *" is 03:00 every day'],
      ['--off', 'remove the schedule'],
    ],
    positionals: ['name'],
    details: [
      'Each firing asks for an incremental sync; one that meets a sync under way becomes its follow-up.',
      'Profiles on the same schedule fire at different moments. After downtime the missed firings are',
      'one sync. Syncs run while a worker runs (`music-sync up`).',
    ],
    example: 'music-sync profile schedule jazz --every 6h',
  },
  {
    name: 'request',
    args: '<profile> [--full] [--reason <text>]',
    summary: 'ask for a sync, never refused: during a sync it becomes one follow-up sync',
    options: { full: { type: 'boolean' }, reason: { type: 'string' } },
    optionHelp: [
      ['--full', 'a full sync (requests that meet become one sync, full if any asked for full)'],
      ['--reason <text>', 'why, shown with the profile\'s state'],
    ],
    positionals: ['profile'],
    example: 'music-sync request jazz --reason "new rips copied"',
  },
  {
    name: 'sync',
    args: '<profile> [--incremental] [--wait] [--confirm-deletions]',
    summary: 'start a sync of a profile and print its job id',
    options: { incremental: { type: 'boolean' }, wait: { type: 'boolean' }, 'confirm-deletions': { type: 'boolean' } },
    optionHelp: [
      ['--incremental', 'sync from the cursor of the last sync instead of a full listing'],
      ['--wait', 'follow the job to its end and print a summary'],
      ['--confirm-deletions', 'delete the tracks of missing files even when most of the library is missing'],
    ],
    positionals: ['profile'],
    details: [
      'Without TEMPORAL_ADDRESS (or a running `music-sync up`) nothing else would run the sync, so',
      'the command runs a worker itself and waits, as with --wait.',
      `Waiting, the exit code is 0 when the job completed, ${EXIT_NEEDS_REVIEW} when it needs review (the`,
      'mass-deletion guard held its deletions back), 1 when it failed, was cancelled or timed out.',
    ],
    example: 'music-sync sync jazz --incremental --wait',
  },
  {
    name: 'status',
    args: '<jobId>',
    summary: 'show a sync job',
    positionals: ['jobId'],
    example: 'music-sync status 0b6f1a52-8d1e-4c3a-9f2e-5a7d9c1e4b60',
  },
  {
    name: 'cancel',
    args: '<jobId> [--reason <text>]',
    summary: 'cancel a running sync job',
    options: { reason: { type: 'string' } },
    optionHelp: [['--reason <text>', 'why, recorded with the job (shown by status)']],
    positionals: ['jobId'],
    example: 'music-sync cancel 0b6f1a52-8d1e-4c3a-9f2e-5a7d9c1e4b60 --reason "wrong folder"',
  },
  {
    name: 'history',
    args: '[--profile <name>] [--provider <kind>] [--status <status>] [--limit <n>] [--offset <n> | --after <jobId>] [--ndjson]',
    summary: 'list sync jobs, newest first',
    options: { profile: { type: 'string' }, provider: { type: 'string' }, status: { type: 'string' }, after: { type: 'string' }, ...PAGE_OPTIONS },
    optionHelp: [
      ['--profile <name>', 'only jobs of this profile'],
      ['--provider <kind>', 'only jobs of this provider'],
      ['--status <status>', 'only jobs in this state: queued, running, completed, needs_review, failed, cancelled, timed_out'],
      ...PAGE_HELP('jobs', '20, also with --json'),
      ['--after <jobId>', 'the jobs after this one (older): the next page, whatever started since'],
      ...STREAM_HELP,
    ],
    details: [
      'CHECKED is the audio files the job looked at, UNCHANGED those it found as they were;',
      'CHANGES counts tracks added (+), updated (~), renamed (>) and deleted (-).',
    ],
    positionals: [],
    example: 'music-sync history --profile jazz --status failed',
  },
  {
    name: 'tracks',
    args: '<profile> [--search <text>] [--path <prefix>] [--status live|deleted|all] [--limit <n>] [--offset <n> | --after <trackId>] [--ndjson]',
    summary: 'list the tracks of a profile, in path order',
    options: { search: { type: 'string' }, path: { type: 'string' }, status: { type: 'string' }, after: { type: 'string' }, ...PAGE_OPTIONS },
    optionHelp: [
      ['--search <text>', 'only tracks with this text in the title, artists, album or album artist (any case)'],
      ...FILTER_HELP,
      ['--status <which>', 'live (default), deleted (files gone from the folder) or all'],
      ...PAGE_HELP('tracks', '50 in the table; every match with --json or --ndjson'),
      ['--after <trackId>', 'the tracks after this one: the next page, whatever was added before it'],
      ...STREAM_HELP,
    ],
    details: [
      'The table shows a page and how many more match, with the option that shows the next page.',
    ],
    positionals: ['profile'],
    example: 'music-sync tracks jazz --search coltrane --limit 20',
  },
  {
    name: 'failed',
    args: '<jobId> [--search <text>] [--path <prefix>] [--limit <n>] [--offset <n> | --after <path>] [--ndjson]',
    summary: 'list the files a job could not read, with reasons',
    options: { search: { type: 'string' }, path: { type: 'string' }, after: { type: 'string' }, ...PAGE_OPTIONS },
    optionHelp: [
      ['--search <text>', 'only files with this text in the path or the reason (any case)'],
      ...FILTER_HELP,
      ...PAGE_HELP('files', '50 in the list; every match with --json or --ndjson'),
      ['--after <path>', 'the files after this path: the next page'],
      ...STREAM_HELP,
    ],
    positionals: ['jobId'],
    example: 'music-sync failed 0b6f1a52-8d1e-4c3a-9f2e-5a7d9c1e4b60 --path Incoming/',
  },
  {
    name: 'duplicates',
    args: '<profile> [--kind identical|same-audio] [--search <text>] [--path <prefix>] [--limit <n>] [--offset <n>] [--ndjson]',
    summary: 'list groups of tracks with the same content',
    options: { kind: { type: 'string' }, search: { type: 'string' }, path: { type: 'string' }, ...PAGE_OPTIONS },
    optionHelp: [
      ['--kind <kind>', 'identical (the same bytes) or same-audio (the same recording, other tags)'],
      ['--search <text>', 'only groups with a track with this text in its title, artists or album (any case)'],
      ['--path <prefix>', 'only groups with a copy whose path starts with this, as written'],
      ...PAGE_HELP('groups', '50 in the list; every match with --json or --ndjson'),
      ...STREAM_HELP,
    ],
    positionals: ['profile'],
    example: 'music-sync duplicates jazz --kind identical --ndjson',
  },
];

export interface ParsedCommand {
  spec: CommandSpec;
  positionals: Record<string, string | undefined>;
  options: Record<string, string | boolean | undefined>;
  /** --json or --ndjson: stdout carries data only. */
  json: boolean;
  /** --ndjson: JSON lines rather than one JSON value. */
  ndjson: boolean;
  dataDir: string | undefined;
  help: boolean;
}

export type Invocation =
  | { kind: 'help'; command?: CommandSpec }
  | { kind: 'version' }
  | { kind: 'command'; command: ParsedCommand };

/** Where the command word is: the first argument that is neither an option nor an option's value. */
function commandWordIndex(argv: string[], from = 0): number {
  for (let i = from; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return -1;
    if (arg === '--data-dir') {
      i += 1;
      continue;
    }
    if (!arg.startsWith('-')) return i;
  }
  return -1;
}

const HELP_HINT = 'see music-sync --help';

export function parseInvocation(argv: string[]): Invocation {
  const at = commandWordIndex(argv);
  if (at < 0) {
    if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) return { kind: 'help' };
    throw new UsageError('no command given', HELP_HINT);
  }
  let word = argv[at]!;
  let rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (word === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    return { kind: 'help', command: topic ? COMMANDS.find((c) => c.name === topic || c.name.startsWith(`${topic} `)) : undefined };
  }
  if (word === 'profile') {
    const subAt = commandWordIndex(rest, at);
    const sub = subAt >= 0 ? rest[subAt] : undefined;
    if (sub === undefined) {
      if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', command: COMMANDS.find((c) => c.name === 'profile add') };
      throw new UsageError('profile needs a subcommand: add or list', 'see music-sync profile add --help');
    }
    word = `profile ${sub}`;
    rest = [...rest.slice(0, subAt), ...rest.slice(subAt + 1)];
  }
  const spec = COMMANDS.find((c) => c.name === word);
  if (!spec) throw new UsageError(`unknown command "${word}"`, HELP_HINT);
  return { kind: 'command', command: parseCommand(spec, rest) };
}

function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error & { code?: string }, spec), `see music-sync ${spec.name} --help`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  const positionals: Record<string, string | undefined> = {};
  if (!help) {
    const required = spec.positionals.length - (spec.optional ?? 0);
    if (parsed.positionals.length < required) {
      const missing = spec.positionals.slice(parsed.positionals.length).map((p) => `<${p}>`).join(' ');
      throw new UsageError(`${spec.name}: missing ${missing}`, `usage: music-sync ${spec.name} ${spec.args}`.trimEnd());
    }
    if (parsed.positionals.length > spec.positionals.length) {
      throw new UsageError(
        `${spec.name}: unexpected argument "${parsed.positionals[spec.positionals.length]}"`,
        `usage: music-sync ${spec.name} ${spec.args}`.trimEnd(),
      );
    }
    spec.positionals.forEach((name, i) => {
      positionals[name] = parsed.positionals[i];
    });
  }
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('--data-dir must not be empty');
  const ndjson = values.ndjson === true;
  if (ndjson && values.json === true) throw new UsageError(`${spec.name}: give --json or --ndjson, not both`);
  return {
    spec,
    positionals,
    options: values,
    json: values.json === true || ndjson,
    ndjson,
    dataDir: typeof dataDir === 'string' ? dataDir : undefined,
    help,
  };
}

/** parseArgs' messages are long and suggest `--`; ours name the option and the command. */
function parseArgsMessage(err: Error & { code?: string }, spec: CommandSpec): string {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${spec.name}: unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option ? `${spec.name}: option ${option} needs a value` : `${spec.name}: ${err.message}`;
    default:
      return `${spec.name}: ${err.message}`;
  }
}

export function positiveInt(value: string | boolean | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} must be a positive integer, got "${String(value)}"`);
  return n;
}

function wholeNumber(value: string | boolean | undefined, option: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option} must be a whole number, got "${String(value)}"`);
  return n;
}

/** How a list command pages and prints: `limit` undefined is the command's default for its format. */
export interface ListOptions {
  limit: number | undefined;
  offset: number;
  after: string | undefined;
  format: 'table' | 'json' | 'ndjson';
}

export function listOptions(command: ParsedCommand): ListOptions {
  const o = command.options;
  const limit = o.limit === undefined ? undefined : positiveInt(o.limit, '--limit', 1);
  const offset = wholeNumber(o.offset, '--offset');
  const after = typeof o.after === 'string' ? o.after : undefined;
  if (after !== undefined && offset > 0) throw new UsageError(`${command.spec.name}: give --offset or --after, not both`);
  return { limit, offset, after, format: command.ndjson ? 'ndjson' : command.json ? 'json' : 'table' };
}

// ---- help ----

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.trim().length));
  const commandLines = COMMANDS.map((c) => {
    const left = `${c.name} ${c.args}`.trim();
    return left.length > 36 ? `  ${left}\n  ${' '.repeat(38)}${c.summary}` : `  ${left.padEnd(Math.min(width, 36))}  ${c.summary}`;
  });
  return [
    'music-sync: sync music folders into a Postgres library, every sync a durable Temporal workflow',
    '',
    'Usage: music-sync <command> [options]',
    '',
    'Commands:',
    ...commandLines,
    '',
    ...commonHelp(),
    '',
    'Run `music-sync <command> --help` for one command.',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: music-sync ${spec.name} ${spec.args}`.trimEnd(), '', `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`];
  if (spec.details) lines.push('', ...spec.details);
  if (spec.optionHelp) {
    lines.push('', 'Options:', ...spec.optionHelp.map(([flag, text]) => `  ${flag.padEnd(20)}${text}`));
  }
  lines.push('', `Example: ${spec.example}`, '', ...commonHelp());
  return lines.join('\n');
}

function commonHelp(): string[] {
  return [
    'Options of every command:',
    '  --data-dir <path>   state of the embedded Postgres and Temporal (default ./.music-sync)',
    '  --json              print one JSON value on stdout (a list: an array, written as it is read);',
    '                      logs and progress go to stderr',
    '  -h, --help          show help',
    '',
    'Environment:',
    '  DATABASE_URL        use this Postgres instead of the embedded one',
    '  TEMPORAL_ADDRESS    use this Temporal server (and its workers) instead of a local dev server',
    '  TEMPORAL_NAMESPACE  namespace on that server (default "default")',
    '  MUSIC_SYNC_METERED=1  this machine\'s network is metered: syncs with wifiOnly wait',
    '  MUSIC_SYNC_DEBUG=1  print stack traces and the worker\'s INFO logs',
    '',
    `Exit codes: 0 success, 1 runtime error or a sync that did not complete, 2 usage error,`,
    `${EXIT_NEEDS_REVIEW} a sync that needs review (the mass-deletion guard held its deletions back),`,
    `${EXIT_NOT_FOUND} not found (no such profile or job).`,
  ];
}

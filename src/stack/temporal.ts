import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';
import { prepareDataDir } from './data-dir.ts';
import { isExecutable, onPath } from './executables.ts';
import { claimDataDir, recordService, releaseService } from './owner.ts';
import { freePort, isPortFree, waitForPort } from './ports.ts';
import { processStart } from './processes.ts';

/** Which Temporal server to use, and where to find the CLI that runs a dev server. */
export interface TemporalServerSettings {
  /** A server of the user's; without one, a dev server is started in the data dir. */
  address: string | undefined;
  namespace: string;
  /** The `temporal` CLI to run the dev server with, when the user names one. */
  cliPath: string | undefined;
  /** Folders where `temporal` is looked for next (the PATH). */
  searchPath: string;
}

export interface TemporalHandle {
  address: string;
  namespace: string;
  /** Web UI address when we started the dev server with its UI. */
  uiUrl: string | undefined;
  started: boolean;
  stop(): Promise<void>;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');


/** The CLI the user named (TEMPORAL_CLI_PATH), then `temporal` on the PATH, then the project's own tools folder. */
export function findTemporalCli(settings: TemporalServerSettings): string | undefined {
  if (settings.cliPath) {
    if (!isExecutable(settings.cliPath)) throw new Error(`TEMPORAL_CLI_PATH=${settings.cliPath} is not an executable file`);
    return settings.cliPath;
  }
  const found = onPath('temporal', settings.searchPath);
  if (found) return found;
  const own = path.join(TOOLS_BIN, 'temporal');
  return isExecutable(own) ? own : undefined;
}

export interface StartTemporalOptions {
  settings: TemporalServerSettings;
  dataDir: string;
  /** Fixed ports for `up` (7233 and the Web UI on 8233); free ports otherwise when those are taken. */
  port?: number;
  uiPort?: number;
  ui?: boolean;
  log?: (line: string) => void;
}

/** The server of the settings when they name one (nothing is started, nothing to stop). */
export function givenTemporal(settings: TemporalServerSettings, address = settings.address): TemporalHandle {
  if (!address) throw new Error('no Temporal address');
  return { address, namespace: settings.namespace, uiUrl: undefined, started: false, stop: async () => {} };
}

/** The server of the settings when they name one; otherwise a local `temporal server start-dev` with
 * its state in the data dir. */
export async function startTemporal(options: StartTemporalOptions): Promise<TemporalHandle> {
  if (options.settings.address) return givenTemporal(options.settings);

  const log = options.log ?? (() => {});
  const dataDir = await prepareDataDir(options.dataDir);
  // Before the ports are chosen: a dev server a dead music-sync left running holds them.
  await claimDataDir(dataDir, log);
  try {
    return await startDevServer({ ...options, dataDir }, log);
  } catch (err) {
    releaseService(dataDir, 'temporal');
    throw err;
  }
}

async function startDevServer(options: StartTemporalOptions, log: (line: string) => void): Promise<TemporalHandle> {
  const { namespace } = options.settings;
  const { dataDir } = options;
  const port = options.port && (await isPortFree(options.port)) ? options.port : await freePort();
  const wantUi = options.ui ?? true;
  const uiPort = wantUi ? (options.uiPort && (await isPortFree(options.uiPort)) ? options.uiPort : await freePort()) : undefined;
  let cli = findTemporalCli(options.settings);
  if (!cli) {
    log('the Temporal CLI is not installed; trying the Temporal SDK download');
    try {
      return await startWithSdkDownload({ ...options, port, uiPort, namespace });
    } catch (err) {
      log(`the SDK download failed (${(err as Error).message.split('\n')[0]})`);
      cli = buildTemporalCli(log);
    }
  }
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', namespace,
    '--db-filename', path.join(dataDir, 'temporal.db'),
    '--log-level', 'error',
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
    ...SEARCH_ATTRIBUTES.flatMap(({ name }) => ['--search-attribute', `${name}=Keyword`]),
  ];
  // Its own process group: a Ctrl-C at the terminal reaches only us, and we stop the server in order
  // after the job is recorded. If we die without stopping it, the exit hook still takes it down; if we
  // are killed outright, the owner record lets the next start in this data dir stop it.
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  if (child.pid !== undefined) recordService(dataDir, 'temporal', { pid: child.pid, start: processStart(child.pid), port, uiPort });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exitedCleanup(child, killOnExit);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot run ${cli}: ${err.message}`))));
  try {
    await Promise.race([
      waitForPort('127.0.0.1', port, 60_000),
      spawnFailed,
      exited.then((code) => {
        throw new Error(`temporal server start-dev exited with code ${code}: ${stderr.trim()}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    namespace,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    started: true,
    stop: async () => {
      await stopChild(child, exited);
      releaseService(dataDir, 'temporal');
    },
  };
}

async function exitedCleanup(child: ChildProcess, hook: () => void): Promise<void> {
  await new Promise((resolve) => child.once('exit', resolve));
  process.removeListener('exit', hook);
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** With internet, the SDK downloads and starts the dev server itself (a real server, cached by the SDK). */
async function startWithSdkDownload(
  options: StartTemporalOptions & { port: number; uiPort: number | undefined; namespace: string },
): Promise<TemporalHandle> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: options.port,
      namespace: options.namespace,
      dbFilename: path.join(options.dataDir, 'temporal.db'),
      ui: options.uiPort !== undefined,
      ...(options.uiPort ? { uiPort: options.uiPort } : {}),
      searchAttributes: [...SEARCH_ATTRIBUTES],
    },
  });
  return {
    address: `127.0.0.1:${options.port}`,
    namespace: options.namespace,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    started: true,
    stop: () => env.teardown(),
  };
}

/** Without internet and with Go present, the install script builds the pinned CLI from the Go module proxy. */
function buildTemporalCli(log: (line: string) => void): string {
  const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
  if (!hasGo) {
    throw new Error(
      'no Temporal CLI: set TEMPORAL_ADDRESS or TEMPORAL_CLI_PATH, put `temporal` on PATH, or install Go and run `npm run install-tools`',
    );
  }
  log('building the Temporal CLI from the Go module proxy with scripts/install-tools.sh (a few minutes, once)');
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-tools.sh'), '--cli-only'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const built = path.join(TOOLS_BIN, 'temporal');
  if (result.status !== 0 || !existsSync(built)) throw new Error('installing the Temporal CLI failed (see the output above)');
  return built;
}

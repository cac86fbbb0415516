// The product's own worker command, `music-sync worker`, in a child process pointed at the stack's
// Temporal server and Postgres, optionally as another (unprivileged) user: as root every folder can be
// listed, so a folder that cannot be needs a worker that is not root. (worker-process.ts starts bare
// workers quickly for tests that kill them; this one is the command a user runs.)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../src/stack/temporal.ts';

export interface CliWorkerOptions {
  temporalAddress: string;
  databaseUrl: string;
  /** Run as this user (needs root): the worker then sees the folder with that user's permissions. */
  user?: { uid: number; gid: number };
  /** Its --data-dir (nothing is written there when both services are given). */
  dataDir: string;
}

export interface CliWorker {
  pid: number;
  kill(signal: NodeJS.Signals): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the worker says it polls; rejects if it exits first. */
  ready: Promise<void>;
  /** The last lines it wrote (for a failing test's message). */
  output(): string;
}

const BIN = path.join(REPO_ROOT, 'bin', 'music-sync.js');

export function spawnCliWorker(options: CliWorkerOptions): CliWorker {
  const child = spawn(process.execPath, [BIN, 'worker', '--data-dir', options.dataDir], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: options.temporalAddress, DATABASE_URL: options.databaseUrl, MUSIC_SYNC_DEBUG: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  // A test that dies must not leave workers polling behind it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  };
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      keep(d);
      if (/worker polling/.test(log)) resolve();
    });
    void exited.then(({ code, signal }) => reject(new Error(`the worker exited (${signal ?? code}) before polling: ${log.trim()}`)));
  });
  ready.catch(() => undefined); // a worker killed on purpose before it polled is no error of its own
  return { pid: child.pid, kill: (signal) => child.kill(signal), exited, ready, output: () => log };
}

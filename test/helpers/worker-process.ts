// Sync workers in child processes, for tests that kill a worker mid-sync (SIGKILL: no shutdown, no
// goodbye to the server) and start another one.
//
//   const bundle = await workflowBundleFile();                 // once per test file (optional)
//   const w = await spawnWorker({ temporalAddress, databaseUrl, workflowBundlePath: bundle });
//   ...                                                        // w.pid polls the task queue
//   w.kill('SIGKILL'); await w.exited;                         // { code, signal }
//
// spawnWorker resolves once the worker polls (its `ready` line); it rejects if the child exits first,
// with the child's stderr. From then on the child's stderr (its warnings) goes to ours. The child is
// test/helpers/worker-main.ts: createSyncWorker with the real activities over `databaseUrl` and the
// default providers. A child does not keep the test process alive, and is killed when it exits.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflows } from '../../src/workers/worker.ts';
import type { WorkerMainConfig } from './worker-main.ts';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export interface WorkerProcess {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let bundleFile: Promise<string> | undefined;

/** The workflow code bundled once for this test process, in a temp file workers load in milliseconds. */
export function workflowBundleFile(): Promise<string> {
  bundleFile ??= (async () => {
    const { code } = await bundleWorkflows();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'workflows.json');
    await writeFile(file, JSON.stringify({ code }));
    return file;
  })();
  return bundleFile;
}

const live = new Set<WorkerProcess>();
process.once('exit', () => {
  for (const w of live) w.kill('SIGKILL');
});

export function spawnWorker(config: WorkerMainConfig, options: { readyTimeoutMs?: number } = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER_MAIN, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const worker: WorkerProcess = {
    pid: child.pid!,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    exited,
  };
  live.add(worker);
  void exited.then(() => live.delete(worker));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return new Promise<WorkerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker did not poll within ${options.readyTimeoutMs ?? 60_000} ms: ${stderr.trim()}`));
    }, options.readyTimeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      clearTimeout(timer);
      child.stderr.pipe(process.stderr);
      // Tests end by killing their workers; one that fails first must still end.
      child.unref();
      for (const stream of [child.stdout, child.stderr]) (stream as Socket).unref();
      resolve(worker);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${signal ?? `code ${code}`}) before it polled: ${stderr.trim()}`));
    });
  });
}

// `music-sync up` publishes its services in `<data-dir>/up.json`, so the other commands on the same data
// dir use them instead of failing to start their own (its embedded Postgres holds the data dir).
import { existsSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app/open.ts';
import type { Settings } from '../app/settings.ts';
import { isRunning, processStart } from '../stack/processes.ts';
import type { Output } from './output.ts';

interface UpState {
  pid: number;
  /** When that process started: with the pid, it tells `up` apart from a later process that got its pid. */
  pidStart?: string;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl: string | undefined;
}

function upStateFile(dataDir: string): string {
  return path.join(dataDir, 'up.json');
}

/** The state of a live `music-sync up` on this data dir, if any. The file of one that was killed
 * (and so could not remove it) is removed. */
export function readUpState(dataDir: string): UpState | undefined {
  const file = upStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  let state: UpState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as UpState;
  } catch {
    return undefined;
  }
  if (state.pid === process.pid) return undefined;
  if (isRunning(state.pid, state.pidStart)) return state;
  try {
    rmSync(file, { force: true });
  } catch {
    // a data dir we cannot write in: the next `up` there fails with a clearer error
  }
  return undefined;
}

/**
 * The settings with the services of a running `up` on this data dir, as if the user had set
 * DATABASE_URL and TEMPORAL_ADDRESS to them; unchanged when the user set either, or no `up` runs.
 */
export function withUpServices(settings: Settings, dataDir: string, announce: Output | undefined): Settings {
  if (settings.databaseUrl || settings.temporal.address) return settings;
  const state = readUpState(dataDir);
  if (!state) return settings;
  announce?.info(`using the services of \`music-sync up\` (pid ${state.pid})`);
  return {
    ...settings,
    databaseUrl: state.databaseUrl,
    temporal: { ...settings.temporal, address: state.temporalAddress, namespace: state.namespace },
  };
}

export async function writeUpState(dataDir: string, app: App): Promise<void> {
  const state: UpState = {
    pid: process.pid,
    pidStart: processStart(process.pid),
    databaseUrl: app.databaseUrl,
    temporalAddress: app.temporal.address,
    namespace: app.temporal.namespace,
    uiUrl: app.temporal.uiUrl,
  };
  // It holds the database password: readable by the owner only.
  await fs.writeFile(upStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function removeUpState(dataDir: string): Promise<void> {
  const file = upStateFile(dataDir);
  try {
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as UpState;
    if (state.pid === process.pid) await fs.rm(file, { force: true });
  } catch {
    // not ours or gone
  }
}

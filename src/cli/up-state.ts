// `music-sync up` publishes its services in `<data-dir>/up.json`, so the other commands on the same data
// dir use them instead of failing to start their own (its embedded Postgres holds the data dir).
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app/open.ts';
import type { Settings } from '../app/settings.ts';
import type { Output } from './output.ts';

interface UpState {
  pid: number;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl: string | undefined;
}

function upStateFile(dataDir: string): string {
  return path.join(dataDir, 'up.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a live `music-sync up` on this data dir, if any. */
export function readUpState(dataDir: string): UpState | undefined {
  const file = upStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as UpState;
    return state.pid !== process.pid && isAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
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

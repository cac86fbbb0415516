// The environment, read once: every variable music-sync understands becomes one typed field here, and
// nothing else in the product reads `process.env`. Light on purpose (type imports only): the CLI reads
// it before it knows which command runs.
import type { TemporalServerSettings } from '../stack/temporal.ts';

/** Where the embedded services keep their state unless `--data-dir` says otherwise. */
export const DEFAULT_DATA_DIR = '.music-sync';

export interface Settings {
  /** DATABASE_URL: a Postgres of the user's; without it, an embedded one in the data dir. */
  databaseUrl: string | undefined;
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_CLI_PATH and PATH. */
  temporal: TemporalServerSettings;
  /** MUSIC_SYNC_METERED: the worker's network is metered, so syncs with `wifiOnly` of providers that
   * use the network are postponed. */
  metered: boolean;
  /** MUSIC_SYNC_DEBUG: stack traces and the worker's INFO logs. */
  debug: boolean;
}

/** A variable that is set but means nothing. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): Settings {
  const given = (name: string) => (env[name] ? env[name] : undefined);
  return {
    databaseUrl: given('DATABASE_URL'),
    temporal: {
      address: given('TEMPORAL_ADDRESS'),
      namespace: given('TEMPORAL_NAMESPACE') ?? 'default',
      cliPath: given('TEMPORAL_CLI_PATH'),
      searchPath: env.PATH ?? '',
    },
    metered: flag(env, 'MUSIC_SYNC_METERED', true),
    debug: flag(env, 'MUSIC_SYNC_DEBUG', false),
  };
}

const YES = ['1', 'true', 'yes', 'on'];
const NO = ['', '0', 'false', 'no', 'off'];

/** A yes/no variable; unset is no. A strict one refuses anything else, so a typo is not taken as "no". */
function flag(env: Readonly<Record<string, string | undefined>>, name: string, strict: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || NO.includes(value)) return false;
  if (YES.includes(value) || !strict) return true;
  throw new SettingsError(`${name} must be 1 or 0 (or yes/no, true/false, on/off), got "${env[name]}"`);
}

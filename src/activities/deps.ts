import type { Db } from '../db/connect.ts';
import type { SyncMetrics } from '../observe/metrics.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { ActorMessaging } from './schedule.ts';

/** What the composition root builds once and every activity shares. */
export interface ActivityDeps {
  db: Db;
  providers: ProviderRegistry<string>;
  /** Opens profiles' sealed credentials; without one, only profiles without credentials sync. */
  secretBox?: SecretBox;
  /** Where files read whole are spooled while they are read (default: the system's temp dir). */
  tempDir?: string;
  /** The host's view of its network, for `SyncConfig.wifiOnly`; without one, no network is metered. */
  networkPolicy?: NetworkPolicy;
  /** How schedules' firings reach profile actors (the worker's own Temporal client). */
  actors?: ActorMessaging;
  /** Where what activities committed is counted (the worker's Prometheus metrics); without it, nothing is. */
  metrics?: SyncMetrics;
}

export interface NetworkPolicy {
  isMetered(): Promise<boolean>;
}

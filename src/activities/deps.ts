import type { Db } from '../db/connect.ts';
import type { ProviderRegistry } from '../providers/registry.ts';

/** What the worker builds once and every activity shares. */
export interface ActivityDeps {
  db: Db;
  providers: ProviderRegistry;
  /** The host's view of its network, for `SyncConfig.wifiOnly`; without one, no network is metered. */
  networkPolicy?: NetworkPolicy;
}

export interface NetworkPolicy {
  isMetered(): Promise<boolean>;
}

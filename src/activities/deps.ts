import type { Db } from '../db/connect.ts';
import type { ProviderRegistry } from '../providers/registry.ts';

/** What the composition root builds once and every activity shares. */
export interface ActivityDeps {
  db: Db;
  providers: ProviderRegistry<string>;
  /** The host's view of its network, for `SyncConfig.wifiOnly`; without one, no network is metered. */
  networkPolicy?: NetworkPolicy;
}

export interface NetworkPolicy {
  isMetered(): Promise<boolean>;
}

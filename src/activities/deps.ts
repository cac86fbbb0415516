import type { Db } from '../db/connect.ts';
import type { ProviderRegistry } from '../providers/registry.ts';

/** What the worker builds once and every activity shares. */
export interface ActivityDeps {
  db: Db;
  providers: ProviderRegistry;
}

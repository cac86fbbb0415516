import type { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';

/** Registers our Keyword search attributes on a server we did not start (the dev server gets them as flags). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.map(({ name }) => name).filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  // 2 = INDEXED_VALUE_TYPE_KEYWORD
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, 2])),
  });
}

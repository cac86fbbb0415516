/** What a sync job counts. The database owns these numbers (the `items_*` columns of `sync_jobs`, each
 * the snake_case spelling of its name here); activities change them only in the transaction that made
 * the change, and hand the job's current counters back so the workflow can show them. */
export interface Counters {
  itemsDiscovered: number;
  itemsFiltered: number;
  itemsQueued: number;
  itemsProcessed: number;
  itemsAdded: number;
  itemsUpdated: number;
  itemsRenamed: number;
  itemsUnchanged: number;
  itemsFailed: number;
  itemsDeleted: number;
  duplicateGroups: number;
  bytesRead: number;
}

export const ZERO_COUNTERS: Readonly<Counters> = {
  itemsDiscovered: 0, itemsFiltered: 0, itemsQueued: 0, itemsProcessed: 0, itemsAdded: 0,
  itemsUpdated: 0, itemsRenamed: 0, itemsUnchanged: 0, itemsFailed: 0, itemsDeleted: 0,
  duplicateGroups: 0, bytesRead: 0,
};

/** Every counter's name, in one order (from ZERO_COUNTERS, which the compiler holds to Counters). */
export const COUNTER_NAMES = Object.keys(ZERO_COUNTERS) as readonly (keyof Counters)[];

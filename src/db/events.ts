import { sql } from 'kysely';
import type { Db } from './connect.ts';
import type { EventType, SyncEventRow } from './schema.ts';

/** Postgres channel on which every new sync event is announced as `{"jobId", "id", "type"}`. */
export const EVENTS_CHANNEL = 'music_sync_events';

/** Records an event once per (job, key) and announces it with NOTIFY (delivered at commit). */
export async function emitEvent(
  db: Db,
  jobId: string,
  key: string,
  type: EventType,
  payload: Record<string, unknown>,
): Promise<boolean> {
  const row = await db
    .insertInto('sync_events')
    .values({ job_id: jobId, key, type, payload: JSON.stringify(payload) })
    .onConflict((oc) => oc.columns(['job_id', 'key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return false;
  await sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ jobId, id: String(row.id), type })})`.execute(db);
  return true;
}

export async function listEvents(db: Db, jobId: string, afterId = 0): Promise<SyncEventRow[]> {
  return db
    .selectFrom('sync_events')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('id', '>', afterId)
    .orderBy('id')
    .execute();
}

// Frozen in time: this migration only ever sees Kysely<any>.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Who asked for the job, as the profile's actor received the request: `cli`, `client`, `schedule`,
  // `watch` or `push` (null for jobs started before syncs went through the actor).
  await db.schema.alterTable('sync_jobs').addColumn('requested_by', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_jobs').dropColumn('requested_by').execute();
}

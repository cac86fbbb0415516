// Frozen in time: this migration only ever sees Kysely<any>.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The provider's listing as of the last successful sync of a profile (path, size, mtime, file id,
  // and what became of each file): the snapshot an incremental sync diffs against.
  await db.schema
    .createTable('listing_snapshots')
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'timestamptz')
    .addColumn('provider_hash', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('listed_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('listing_snapshots_pk', ['profile_id', 'path'])
    .execute();
  await db.schema.createIndex('listing_snapshots_file_id').on('listing_snapshots').columns(['profile_id', 'file_id']).execute();
  // When each file was listed: a file modified within the timestamp granularity of its listing may
  // have changed again unseen (git's "racy clean" problem), so the diff does not trust it.
  await db.schema.alterTable('scan_items').addColumn('listed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`)).execute();
  // A provider's own change-feed cursor (Drive page token, Graph deltaLink, Dropbox cursor) as of the
  // job: taken before a full listing, advanced by an incremental sync.
  await db.schema.alterTable('sync_jobs').addColumn('provider_cursor', 'text').execute();
  // The job whose snapshot is current; an incremental sync's cursor must name it.
  await db.schema.alterTable('profiles').addColumn('snapshot_job_id', 'text').execute();
  // An item whose file is unchanged since the snapshot is settled without being read; a file a change
  // feed reports removed is an item too, so the removal is part of the job's durable queue.
  await sql`alter table scan_items drop constraint if exists scan_items_status_check`.execute(db);
  await sql`alter table scan_items add constraint scan_items_status_check
    check (status in ('discovered', 'filtered', 'pending', 'unchanged', 'done', 'failed', 'removed'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table scan_items drop constraint if exists scan_items_status_check`.execute(db);
  await sql`alter table scan_items add constraint scan_items_status_check
    check (status in ('discovered', 'filtered', 'pending', 'done', 'failed'))`.execute(db);
  await db.schema.alterTable('profiles').dropColumn('snapshot_job_id').execute();
  await db.schema.alterTable('scan_items').dropColumn('listed_at').execute();
  await db.schema.alterTable('sync_jobs').dropColumn('provider_cursor').execute();
  await db.schema.dropTable('listing_snapshots').execute();
}

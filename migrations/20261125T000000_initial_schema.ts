// Frozen in time: this migration only ever sees Kysely<any>, never the app's current types.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sync_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('full', 'incremental')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out')`),
    )
    .addColumn('phase', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('items_discovered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_filtered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_queued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_renamed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duplicate_groups', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('cursor', 'text')
    .addColumn('error', 'text')
    .addColumn('error_kind', 'text')
    .addColumn('needs_review', 'text')
    .execute();
  await db.schema.createIndex('sync_jobs_profile_created').on('sync_jobs').columns(['profile_id', 'created_at']).execute();
  await db.schema.createIndex('sync_jobs_provider_created').on('sync_jobs').columns(['provider', 'created_at']).execute();

  await db.schema
    .createTable('sync_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('sync_jobs.id').onDelete('cascade'))
    // Events are keyed by (job, key) so an activity retried after a crash emits each event once.
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type in ('started', 'progress', 'completed', 'failed', 'cancelled')`),
    )
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('sync_events_job_key', ['job_id', 'key'])
    .execute();

  // The durable work queue of one job: every listed file, its verdict and its outcome.
  await db.schema
    .createTable('scan_items')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('sync_jobs.id').onDelete('cascade'))
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'timestamptz')
    .addColumn('mime_type', 'text')
    .addColumn('provider_hash', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('discovered').check(sql`status in ('discovered', 'filtered', 'pending', 'done', 'failed')`),
    )
    .addColumn('outcome', 'text')
    .addColumn('reason', 'text')
    .addColumn('track_id', 'text')
    .addUniqueConstraint('scan_items_job_path', ['job_id', 'path'])
    .execute();
  await db.schema.createIndex('scan_items_job_status_id').on('scan_items').columns(['job_id', 'status', 'id']).execute();

  await db.schema
    .createTable('tracks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'timestamptz')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('artists', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('album', 'text')
    .addColumn('album_artist', 'text')
    .addColumn('track_no', 'integer')
    .addColumn('track_total', 'integer')
    .addColumn('disc_no', 'integer')
    .addColumn('disc_total', 'integer')
    .addColumn('year', 'integer')
    .addColumn('genres', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('duration_ms', 'integer')
    .addColumn('codec', 'text')
    .addColumn('container', 'text')
    .addColumn('bitrate', 'integer')
    .addColumn('sample_rate', 'integer')
    .addColumn('channels', 'integer')
    .addColumn('lossless', 'boolean')
    .addColumn('mb_track_id', 'text')
    .addColumn('mb_recording_id', 'text')
    .addColumn('mb_album_id', 'text')
    .addColumn('mb_artist_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('mb_album_artist_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('replaygain_track_gain_db', 'double precision')
    .addColumn('replaygain_track_peak', 'double precision')
    .addColumn('replaygain_album_gain_db', 'double precision')
    .addColumn('replaygain_album_peak', 'double precision')
    .addColumn('has_artwork', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_job_id', 'text')
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  // One live track per path: retried activities and racing batches cannot create a second.
  await sql`create unique index tracks_profile_live_path on tracks (profile_id, path) where deleted_at is null`.execute(db);
  await db.schema.createIndex('tracks_profile_hash').on('tracks').columns(['profile_id', 'content_hash']).execute();
  await db.schema.createIndex('tracks_profile_file_id').on('tracks').columns(['profile_id', 'file_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['tracks', 'scan_items', 'sync_events', 'sync_jobs', 'profiles']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

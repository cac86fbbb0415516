// Frozen in time: this migration only ever sees Kysely<any>.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Paths may be as long as the filesystem allows (4,096 bytes on Linux), past a btree entry's
  // 2,704-byte limit. Uniqueness is kept on the path's md5 (with the path compared too wherever
  // it matters), and equality lookups use hash indexes, which store a 4-byte hash of any length.
  await sql`alter table scan_items drop constraint scan_items_job_path`.execute(db);
  await sql`create unique index scan_items_job_path on scan_items (job_id, md5(path))`.execute(db);
  await sql`create index scan_items_path_hash on scan_items using hash (path)`.execute(db);

  await sql`drop index tracks_profile_live_path`.execute(db);
  await sql`create unique index tracks_profile_live_path on tracks (profile_id, md5(path)) where deleted_at is null`.execute(db);
  await sql`create index tracks_path_hash on tracks using hash (path)`.execute(db);

  await sql`alter table listing_snapshots drop constraint listing_snapshots_pk`.execute(db);
  await sql`create unique index listing_snapshots_profile_path on listing_snapshots (profile_id, md5(path))`.execute(db);
  await sql`create index listing_snapshots_path_hash on listing_snapshots using hash (path)`.execute(db);

  // An item the job could not see (under a folder that could not be listed) is kept as the
  // snapshot had it: neither read nor deleted.
  await sql`alter table scan_items drop constraint if exists scan_items_status_check`.execute(db);
  await sql`alter table scan_items add constraint scan_items_status_check
    check (status in ('discovered', 'filtered', 'pending', 'unchanged', 'done', 'failed', 'removed', 'kept'))`.execute(db);

  // The audio stream's own hash (tags and artwork excluded), or the whole file's where the format
  // cannot be split; null for tracks read before it existed.
  await db.schema
    .alterTable('tracks')
    .addColumn('audio_hash', 'text')
    .addColumn('audio_hash_scope', 'text', (c) => c.check(sql`audio_hash_scope in ('stream', 'file')`))
    .execute();
  await db.schema.createIndex('tracks_profile_audio_hash').on('tracks').columns(['profile_id', 'audio_hash']).execute();

  // Each job is bound to the run chain that executes it (the first run id of its workflow
  // execution), so cancel, progress and results act on that run and never on a newer sync.
  await db.schema
    .alterTable('sync_jobs')
    .addColumn('run_id', 'text')
    // Who stopped a cancelled job and why.
    .addColumn('cancelled_by', 'text')
    .addColumn('cancel_reason', 'text')
    // The live library when the job started: the mass-deletion guard's baseline.
    .addColumn('tracks_before', 'integer')
    .execute();
  // A job the mass-deletion guard stopped ends needing review, a status of its own.
  await sql`alter table sync_jobs drop constraint if exists sync_jobs_status_check`.execute(db);
  await sql`alter table sync_jobs add constraint sync_jobs_status_check
    check (status in ('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out', 'needs_review'))`.execute(db);
  await sql`alter table sync_events drop constraint if exists sync_events_type_check`.execute(db);
  await sql`alter table sync_events add constraint sync_events_type_check
    check (type in ('started', 'progress', 'completed', 'failed', 'cancelled', 'needs_review'))`.execute(db);
  // Reconciliation looks for jobs still marked running.
  await db.schema.createIndex('sync_jobs_status').on('sync_jobs').column('status').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sync_jobs_status').execute();
  await sql`alter table sync_events drop constraint if exists sync_events_type_check`.execute(db);
  await sql`alter table sync_events add constraint sync_events_type_check
    check (type in ('started', 'progress', 'completed', 'failed', 'cancelled'))`.execute(db);
  await sql`alter table sync_jobs drop constraint if exists sync_jobs_status_check`.execute(db);
  await sql`alter table sync_jobs add constraint sync_jobs_status_check
    check (status in ('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out'))`.execute(db);
  await db.schema.alterTable('sync_jobs').dropColumn('run_id').dropColumn('cancelled_by').dropColumn('cancel_reason').dropColumn('tracks_before').execute();
  await db.schema.dropIndex('tracks_profile_audio_hash').execute();
  await db.schema.alterTable('tracks').dropColumn('audio_hash').dropColumn('audio_hash_scope').execute();
  await sql`alter table scan_items drop constraint if exists scan_items_status_check`.execute(db);
  await sql`alter table scan_items add constraint scan_items_status_check
    check (status in ('discovered', 'filtered', 'pending', 'unchanged', 'done', 'failed', 'removed'))`.execute(db);
  await sql`drop index listing_snapshots_path_hash`.execute(db);
  await sql`drop index listing_snapshots_profile_path`.execute(db);
  await sql`alter table listing_snapshots add constraint listing_snapshots_pk primary key (profile_id, path)`.execute(db);
  await sql`drop index tracks_path_hash`.execute(db);
  await sql`drop index tracks_profile_live_path`.execute(db);
  await sql`create unique index tracks_profile_live_path on tracks (profile_id, path) where deleted_at is null`.execute(db);
  await sql`drop index scan_items_path_hash`.execute(db);
  await sql`drop index scan_items_job_path`.execute(db);
  await sql`alter table scan_items add constraint scan_items_job_path unique (job_id, path)`.execute(db);
}

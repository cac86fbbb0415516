// Frozen in time: this migration only ever sees Kysely<any>.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The folders of providers whose change feeds name folders by id (Google Drive, OneDrive): each
  // profile's committed index, and the changes of the sync under way (`pending`), which replace it
  // only when that sync completes, in the transaction that stores its cursor.
  await db.schema
    .createTable('profile_folders')
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('folder_id', 'text', (c) => c.notNull())
    .addColumn('pending', 'boolean', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('profile_folders_pk', ['profile_id', 'folder_id', 'pending'])
    .execute();

  // The job listed the whole root (a full sync, or an incremental one whose feed cursor had expired):
  // its folders replace the profile's index rather than change it.
  await db.schema.alterTable('sync_jobs').addColumn('listed_whole', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_jobs').dropColumn('listed_whole').execute();
  await db.schema.dropTable('profile_folders').execute();
}

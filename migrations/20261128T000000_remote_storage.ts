// Frozen in time: this migration only ever sees Kysely<any>.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // A profile's credentials, sealed with AES-256-GCM under the operator's key: one row per secret
  // name, never readable without the key, gone with the profile.
  await db.schema
    .createTable('profile_secrets')
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sealed', 'bytea', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('profile_secrets_pk', ['profile_id', 'name'])
    .execute();

  // What reading each file cost in transferred bytes (tags only, or the whole file once).
  await db.schema.alterTable('scan_items').addColumn('bytes_read', 'bigint').execute();

  // The provider's tag for the version of a file it listed (an HTTP ETag): listings that differ in
  // it are not the same content, whatever their sizes and times say.
  await db.schema.alterTable('scan_items').addColumn('revision', 'text').execute();
  await db.schema.alterTable('listing_snapshots').addColumn('revision', 'text').execute();

  // Throttling one account saw, shared by every worker process that reads from it: until when
  // requests wait, and how many may run at once meanwhile.
  await db.schema
    .createTable('account_throttles')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('paused_until', 'timestamptz', (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_throttles').execute();
  await db.schema.alterTable('listing_snapshots').dropColumn('revision').execute();
  await db.schema.alterTable('scan_items').dropColumn('revision').dropColumn('bytes_read').execute();
  await db.schema.dropTable('profile_secrets').execute();
}

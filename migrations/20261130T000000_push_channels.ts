// Frozen in time: this migration only ever sees Kysely<any>.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // How each cloud profile hears of its changes: a Google Drive notification channel, a Microsoft
  // Graph subscription, or (Dropbox, whose webhook is one for the whole app) the account the profile
  // is linked to. Only a hash of a channel's secret is kept: the notifications carry it in clear.
  await db.schema
    .createTable('push_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull().references('profiles.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text')
    .addColumn('token_hash', 'bytea')
    .addColumn('address', 'text')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('push_channels_profile').on('push_channels').column('profile_id').execute();
  await db.schema.createIndex('push_channels_resource').on('push_channels').columns(['provider', 'resource_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('push_channels').execute();
}

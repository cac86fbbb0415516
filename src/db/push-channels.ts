// push_channels: how each cloud profile hears of its changes (src/push). A Google Drive channel or a
// Microsoft Graph subscription by the provider's id, with a hash of the secret its notifications
// carry; for Dropbox, whose webhook is one for the whole app, the account a profile is linked to.
import { sql, type Selectable } from 'kysely';
import type { Db } from './connect.ts';
import type { PushChannelsTable } from './schema.ts';

export interface PushChannel {
  id: string;
  profileId: string;
  provider: string;
  resourceId: string | null;
  tokenHash: Buffer | null;
  address: string | null;
  expiresAt: Date | null;
  /** When it was made (a Dropbox account: when it was last looked up). */
  createdAt: Date;
}

/** A channel with the name of its profile, as a notification is checked against it. */
export interface OwnedPushChannel extends PushChannel {
  profileName: string;
}

export interface ProfileRef {
  id: string;
  name: string;
}

const COLUMNS = [
  'push_channels.id', 'push_channels.profile_id', 'push_channels.provider', 'push_channels.resource_id', 'push_channels.token_hash',
  'push_channels.address', 'push_channels.expires_at', 'push_channels.created_at',
] as const;

type Row = Selectable<PushChannelsTable>;

function channelOf(row: Row): PushChannel {
  return {
    id: row.id, profileId: row.profile_id, provider: row.provider, resourceId: row.resource_id, tokenHash: row.token_hash,
    address: row.address, expiresAt: row.expires_at, createdAt: row.created_at,
  };
}

export async function insertPushChannel(db: Db, channel: Omit<PushChannel, 'createdAt'>): Promise<void> {
  await db
    .insertInto('push_channels')
    .values({
      id: channel.id, profile_id: channel.profileId, provider: channel.provider, resource_id: channel.resourceId, token_hash: channel.tokenHash,
      address: channel.address, expires_at: channel.expiresAt,
    })
    .execute();
}

/** The channel of `provider` with this id, and its profile; undefined when there is none. */
export async function findPushChannel(db: Db, provider: string, id: string): Promise<OwnedPushChannel | undefined> {
  const row = await db
    .selectFrom('push_channels')
    .innerJoin('profiles', 'profiles.id', 'push_channels.profile_id')
    .select([...COLUMNS, 'profiles.name as profile_name'])
    .where('push_channels.provider', '=', provider)
    .where('push_channels.id', '=', id)
    .executeTakeFirst();
  return row && { ...channelOf(row), profileName: row.profile_name };
}

/** A profile's channels, the newest first. */
export async function listPushChannels(db: Db, profileId: string): Promise<PushChannel[]> {
  const rows = await db
    .selectFrom('push_channels')
    .select(COLUMNS)
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map(channelOf);
}

export async function setPushChannelExpiry(db: Db, id: string, expiresAt: Date): Promise<void> {
  await db.updateTable('push_channels').set({ expires_at: expiresAt }).where('id', '=', id).execute();
}

export async function deletePushChannel(db: Db, id: string): Promise<void> {
  await db.deleteFrom('push_channels').where('id', '=', id).execute();
}

/** Records the Dropbox account a profile is linked to (one row per profile, replaced when it changes). */
export async function putDropboxAccount(db: Db, profileId: string, accountId: string): Promise<void> {
  await db
    .insertInto('push_channels')
    .values({ id: `dropbox/${profileId}`, profile_id: profileId, provider: 'dropbox', resource_id: accountId })
    .onConflict((oc) => oc.column('id').doUpdateSet({ resource_id: (eb) => eb.ref('excluded.resource_id'), created_at: sql<Date>`now()` }))
    .execute();
}

/** The Dropbox profiles linked to any of these accounts, by name. */
export async function profilesOfDropboxAccounts(db: Db, accountIds: readonly string[]): Promise<ProfileRef[]> {
  if (accountIds.length === 0) return [];
  return db
    .selectFrom('push_channels')
    .innerJoin('profiles', 'profiles.id', 'push_channels.profile_id')
    .select(['profiles.id', 'profiles.name'])
    .distinct()
    .where('push_channels.provider', '=', 'dropbox')
    .where('push_channels.resource_id', 'in', accountIds)
    .orderBy('profiles.name')
    .execute();
}

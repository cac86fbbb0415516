// profile_folders: the folder index of providers whose change feeds name folders by id, kept per
// profile. A sync's folder changes are pending until it completes; then, with its cursor, they become
// the profile's (see FolderIndex in providers/types.ts).
import type { FolderChange, FolderEntry } from '../providers/types.ts';
import type { Db } from './connect.ts';

/** A full listing starts: the job's folders will replace the index. Forgets what any earlier,
 * unfinished sync left pending. */
export async function startFolderListing(trx: Db, profileId: string, jobId: string): Promise<void> {
  await trx.deleteFrom('profile_folders').where('profile_id', '=', profileId).where('pending', '=', true).execute();
  await trx.updateTable('sync_jobs').set({ listed_whole: true }).where('id', '=', jobId).execute();
}

/** A feed read starts: what other (failed, cancelled) syncs left pending is not the profile's. */
export async function startFolderFeed(trx: Db, profileId: string, jobId: string): Promise<void> {
  await trx.deleteFrom('profile_folders').where('profile_id', '=', profileId).where('pending', '=', true).where('job_id', '<>', jobId).execute();
}

/** Records a page's folders as pending changes of the job (a replayed page writes the same rows). */
export async function recordFolders(trx: Db, profileId: string, jobId: string, changes: readonly FolderChange[]): Promise<void> {
  const last = new Map<string, FolderChange>();
  for (const change of changes) last.set(change.kind === 'upsert' ? change.folder.id : change.id, change);
  if (last.size === 0) return;
  const rows = [...last.values()].map((change) =>
    change.kind === 'upsert'
      ? { profile_id: profileId, folder_id: change.folder.id, pending: true, job_id: jobId, parent_id: change.folder.parentId, name: change.folder.name, removed: false }
      : { profile_id: profileId, folder_id: change.id, pending: true, job_id: jobId, parent_id: null, name: '', removed: true },
  );
  await trx
    .insertInto('profile_folders')
    .values(rows)
    .onConflict((oc) => oc.columns(['profile_id', 'folder_id', 'pending']).doUpdateSet((eb) => ({
      job_id: eb.ref('excluded.job_id'), parent_id: eb.ref('excluded.parent_id'), name: eb.ref('excluded.name'), removed: eb.ref('excluded.removed'),
    })))
    .execute();
}

/** The index as the job sees it: the committed folders (none when the job lists the whole root) with
 * the job's pending changes over them. */
export async function loadFolders(db: Db, profileId: string, jobId: string): Promise<Map<string, FolderEntry>> {
  const job = await db.selectFrom('sync_jobs').select('listed_whole').where('id', '=', jobId).executeTakeFirst();
  let query = db
    .selectFrom('profile_folders')
    .select(['folder_id', 'parent_id', 'name', 'pending', 'removed'])
    .where('profile_id', '=', profileId)
    .where((eb) => eb.or([eb('pending', '=', false), eb('job_id', '=', jobId)]));
  if (job?.listed_whole) query = query.where('pending', '=', true);
  const rows = await query.orderBy('pending').execute();
  const folders = new Map<string, FolderEntry>();
  // Committed rows first, then the job's: a pending change replaces the committed folder.
  for (const row of rows) {
    if (row.removed) folders.delete(row.folder_id);
    else folders.set(row.folder_id, { id: row.folder_id, parentId: row.parent_id, name: row.name });
  }
  return folders;
}

/** The job completed: its pending folders become the profile's index (replacing all of it after a
 * whole listing). Runs in the transaction that commits the job's snapshot and cursor. */
export async function commitFolders(trx: Db, profileId: string, jobId: string, listedWhole: boolean): Promise<void> {
  if (listedWhole) {
    await trx.deleteFrom('profile_folders').where('profile_id', '=', profileId).where('pending', '=', false).execute();
  } else {
    await trx
      .deleteFrom('profile_folders as c')
      .where('c.profile_id', '=', profileId)
      .where('c.pending', '=', false)
      .where((eb) =>
        eb.exists(
          eb.selectFrom('profile_folders as p').select('p.folder_id')
            .whereRef('p.profile_id', '=', 'c.profile_id').whereRef('p.folder_id', '=', 'c.folder_id')
            .where('p.pending', '=', true).where('p.job_id', '=', jobId),
        ),
      )
      .execute();
  }
  await trx.deleteFrom('profile_folders').where('profile_id', '=', profileId).where('pending', '=', true).where('job_id', '=', jobId).where('removed', '=', true).execute();
  await trx.updateTable('profile_folders').set({ pending: false }).where('profile_id', '=', profileId).where('pending', '=', true).where('job_id', '=', jobId).execute();
  // Whatever other syncs left pending is stale now.
  await trx.deleteFrom('profile_folders').where('profile_id', '=', profileId).where('pending', '=', true).execute();
}

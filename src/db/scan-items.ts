import { sql, type Kysely, type Transaction } from 'kysely';
import type { ProviderFile } from '../providers/types.ts';
import type { Database, ScanItem } from './schema.ts';

type Conn = Kysely<Database> | Transaction<Database>;

/** Writes one listing page into the job's queue; a page listed twice (retry) changes nothing. */
export async function upsertListedFiles(db: Conn, jobId: string, files: ProviderFile[]): Promise<number> {
  if (files.length === 0) return 0;
  const rows = await db
    .insertInto('scan_items')
    .values(
      files.map((f) => ({
        job_id: jobId,
        file_id: f.fileId,
        path: f.path,
        size: f.size,
        modified_at: f.modifiedAt,
        mime_type: f.mimeType,
        provider_hash: f.providerHash,
      })),
    )
    .onConflict((oc) => oc.columns(['job_id', 'path']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** One of `slots` disjoint parts of a job's queue (by item id), for parallel batch loops. */
export interface Slot {
  slot: number;
  slots: number;
}

export async function countItems(db: Conn, jobId: string, status?: ScanItem['status'], slot?: Slot): Promise<number> {
  let q = db.selectFrom('scan_items').select((eb) => eb.fn.countAll<string>().as('n')).where('job_id', '=', jobId);
  if (status) q = q.where('status', '=', status);
  if (slot) q = q.where(sql`id % ${slot.slots}`, '=', slot.slot);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function itemsByStatus(
  db: Conn,
  jobId: string,
  status: ScanItem['status'],
  afterId: string,
  limit: number,
  slot?: Slot,
): Promise<ScanItem[]> {
  let q = db
    .selectFrom('scan_items')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('status', '=', status)
    .where('id', '>', afterId);
  if (slot) q = q.where(sql`id % ${slot.slots}`, '=', slot.slot);
  return q.orderBy('id').limit(limit).execute();
}

export async function setItemsStatus(
  db: Conn,
  ids: string[],
  status: ScanItem['status'],
  reason: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('scan_items').set({ status, reason }).where('id', 'in', ids).execute();
}

export async function failedItems(db: Conn, jobId: string): Promise<{ path: string; reason: string }[]> {
  const rows = await db
    .selectFrom('scan_items')
    .select(['path', 'reason'])
    .where('job_id', '=', jobId)
    // A file that failed before and has not changed since is still failed, though not read again.
    .where((eb) => eb.or([eb('status', '=', 'failed'), eb.and([eb('status', '=', 'unchanged'), eb('reason', 'is not', null)])]))
    .orderBy('path')
    .execute();
  return rows.map((r) => ({ path: r.path, reason: r.reason ?? 'unknown' }));
}

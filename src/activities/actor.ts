// The profile actor's steps around a sync: what the sync will be, and its job row before anyone asks.
import type { Client } from '@temporalio/client';
import { jobChain } from '../client/runs.ts';
import { isTerminal, workflowIdForProfile, type SyncMode } from '../contract/sync.ts';
import type { RequestSource } from '../contract/actor.ts';
import type { Db } from '../db/connect.ts';
import { insertJob, listJobs } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import { currentCursor } from '../db/snapshots.ts';
import type { ActivityDeps } from './deps.ts';

export interface PrepareSyncInput { profileId: string; mode: SyncMode }
/** Null when the profile is gone. `heldBy`: the job of a sync still running under the profile's old
 * workflow id (absent in results recorded before it was looked for). */
export type PreparedSync = { mode: SyncMode; provider: string; root: string; heldBy?: string } | null;
export interface RecordJobInput { jobId: string; profileId: string; mode: SyncMode; workflowId: string; runId: string; source: RequestSource }

export function actorActivities({ db, actors }: ActivityDeps) {
  return {
    /** The sync a request becomes: an incremental request of a profile never synced is a full sync. */
    async prepareSync(input: PrepareSyncInput): Promise<PreparedSync> {
      const profile = await getProfile(db, input.profileId);
      if (!profile) return null;
      const mode = input.mode === 'incremental' && !(await currentCursor(db, profile.id)) ? 'full' : input.mode;
      const heldBy = await oldIdHolder(db, actors?.temporal, profile.id);
      return { mode, provider: profile.provider, root: profile.root, ...(heldBy ? { heldBy } : {}) };
    },

    /** The job's row, queued and bound to its run chain, so whoever asked can read it at once (the
     * sync's own first step may have made it already: then only what it lacks is added). */
    async recordJob(input: RecordJobInput): Promise<void> {
      const profile = await getProfile(db, input.profileId);
      if (!profile) return;
      await insertJob(db, {
        id: input.jobId, profileId: profile.id, provider: profile.provider, mode: input.mode, workflowId: input.workflowId,
        status: 'queued', runId: input.runId, requestedBy: input.source,
      });
    },
  };
}

/** Syncs lately looked at for one still running under the old workflow id. */
const RECENT_JOBS = 5;

/**
 * The job of a sync of the profile still running under the workflow id syncs had before the actor
 * named them after the profile (`music-sync/<profile id>`): started by a client of an older version,
 * or by the actor before then. With the worker's Temporal client, its run chain on the server decides;
 * without one, its row (a job whose run started is `running` until it ends or is reconciled).
 */
async function oldIdHolder(db: Db, temporal: Client | undefined, profileId: string): Promise<string | undefined> {
  const oldId = workflowIdForProfile(profileId);
  const candidates = (await listJobs(db, { profileId, limit: RECENT_JOBS })).filter((job) => job.workflow_id === oldId && !isTerminal(job.status));
  for (const job of candidates) {
    const running = temporal ? (await jobChain(temporal, job)).state === 'running' : job.status === 'running';
    if (running) return job.id;
  }
  return undefined;
}

export type ActorActivities = ReturnType<typeof actorActivities>;

// The profile actor's steps around a sync: what the sync will be, and its job row before anyone asks.
import type { SyncMode } from '../contract/sync.ts';
import type { RequestSource } from '../contract/actor.ts';
import { insertJob } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import { currentCursor } from '../db/snapshots.ts';
import type { ActivityDeps } from './deps.ts';

export interface PrepareSyncInput { profileId: string; mode: SyncMode }
/** Null when the profile is gone. */
export type PreparedSync = { mode: SyncMode; provider: string; root: string } | null;
export interface RecordJobInput { jobId: string; profileId: string; mode: SyncMode; workflowId: string; runId: string; source: RequestSource }

export function actorActivities({ db }: ActivityDeps) {
  return {
    /** The sync a request becomes: an incremental request of a profile never synced is a full sync. */
    async prepareSync(input: PrepareSyncInput): Promise<PreparedSync> {
      const profile = await getProfile(db, input.profileId);
      if (!profile) return null;
      const mode = input.mode === 'incremental' && !(await currentCursor(db, profile.id)) ? 'full' : input.mode;
      return { mode, provider: profile.provider, root: profile.root };
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

export type ActorActivities = ReturnType<typeof actorActivities>;

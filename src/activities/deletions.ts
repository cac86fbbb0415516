import type { ResolveInput, ResolveResult } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { emitEvent } from '../db/events.ts';
import { countersOf, getJob, recordResolution } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import { countAudioListed } from '../db/scan-items.ts';
import type { SyncJobRow } from '../db/schema.ts';
import { countDeletedBy, countDuplicateGroups, countGone, countLiveTracks, softDeleteGone } from '../db/tracks.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput } from './failures.ts';

/** What a job's listing would delete, measured against the library as it was when the job started. */
export interface MassDeletion {
  /** Live tracks whose files the job's listing no longer has. */
  gone: number;
  /** Live tracks when the job started: tracks the job itself adds cannot dilute the share gone. */
  baseline: number;
  /** Audio files the job listed. */
  audioListed: number;
  /** The command that syncs the profile again with the deletion confirmed. */
  confirmCommand: string;
}

export async function massDeletion(db: Db, job: SyncJobRow): Promise<MassDeletion> {
  const gone = await countGone(db, job.profile_id, job.id);
  // Jobs started before the baseline was recorded measure against the library as it is now.
  const baseline = job.tracks_before ?? (await countLiveTracks(db, job.profile_id));
  const audioListed = await countAudioListed(db, job.id);
  const profile = await getProfile(db, job.profile_id);
  return { gone, baseline, audioListed, confirmCommand: `music-sync sync ${profile?.name ?? job.profile_id} --confirm-deletions` };
}

export function deletionActivities({ db }: ActivityDeps) {
  return {
    /**
     * The resolve phase (its activity keeps the name `resolveConflicts`, which recorded histories
     * use): tracks whose files left the listing are soft-deleted, unless the listing looks like a
     * provider fault (empty, or most of the library as it was when the job started missing) and the
     * sync does not confirm deletions; then nothing is deleted and the job will end as `needs_review`.
     * Renames and moves were already claimed while processing, so what is left is really gone. Then
     * counts the duplicate groups of the live library.
     */
    async resolveConflicts(input: ResolveInput): Promise<ResolveResult> {
      const job = await getJob(db, input.jobId);
      if (!job) throw invalidInput(`sync job ${input.jobId} does not exist`);
      return db.transaction().execute(async (trx) => {
        let needsReview: string | null = null;
        // Every job's queue holds the whole listing (a change feed's untouched files are carried over
        // from the snapshot), so a live track whose path is not among its audio items is gone.
        const m = await massDeletion(trx, job);
        const guarded = input.massDeleteRatio < 1 && input.confirmDeletions !== true;
        const emptyListing = m.audioListed === 0 && m.gone > 0;
        const mass = m.gone >= input.massDeleteMinTracks && m.gone > input.massDeleteRatio * m.baseline;
        if (guarded && (emptyListing || mass)) {
          needsReview =
            `the listing no longer has ${m.gone} of the ${m.baseline} tracks the library had when this sync started; ` +
            `nothing was deleted because this looks like an unmounted or empty folder. If the files are really gone, ` +
            `confirm the deletion: ${m.confirmCommand}`;
        } else if (m.gone > 0) {
          await softDeleteGone(trx, job.profile_id, input.jobId);
        }
        // Deleted: what left the listing, and what lost its path to another recording while processing.
        const deleted = await countDeletedBy(trx, job.profile_id, input.jobId);
        const duplicateGroups = await countDuplicateGroups(trx, job.profile_id);
        const row = await recordResolution(trx, input.jobId, { deleted, duplicateGroups, needsReview });
        const counters = countersOf(row);
        await emitEvent(trx, input.jobId, 'resolve:done', 'progress', {
          phase: 'resolve', counters, ...(needsReview ? { needsReview } : {}),
        });
        return { deleted: counters.itemsDeleted, duplicateGroups, needsReview, counters };
      });
    },
  };
}

import type { ResolveInput, ResolveResult } from '../contract/sync.ts';
import { emitEvent } from '../db/events.ts';
import { countersOf, getJob, recordResolution } from '../db/jobs.ts';
import { countAudioListed } from '../db/scan-items.ts';
import { countDuplicateGroups, countGone, countLiveTracks, softDeleteGone } from '../db/tracks.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput } from './failures.ts';

export function deletionActivities({ db }: ActivityDeps) {
  return {
    /**
     * The resolve phase (its activity keeps the name `resolveConflicts`, which recorded histories
     * use): tracks whose files left the listing are soft-deleted, unless the listing looks like a
     * provider fault (empty, or most of the library missing); then nothing is deleted and the job is
     * marked for review. Renames and moves were already claimed while processing, so what is left
     * is really gone. Then counts the duplicate groups of the live library.
     */
    async resolveConflicts(input: ResolveInput): Promise<ResolveResult> {
      const job = await getJob(db, input.jobId);
      if (!job) throw invalidInput(`sync job ${input.jobId} does not exist`);
      return db.transaction().execute(async (trx) => {
        let deleted = 0;
        let needsReview: string | null = null;
        // Every job's queue holds the whole listing (a change feed's untouched files are carried over
        // from the snapshot), so a live track whose path is not among its audio items is gone.
        const live = await countLiveTracks(trx, job.profile_id);
        const gone = await countGone(trx, job.profile_id, input.jobId);
        const audioListed = await countAudioListed(trx, input.jobId);
        const guarded = input.massDeleteRatio < 1;
        const emptyListing = audioListed === 0 && gone > 0;
        const mass = gone >= input.massDeleteMinTracks && gone > input.massDeleteRatio * live;
        if (guarded && (emptyListing || mass)) {
          needsReview =
            `the listing no longer has ${gone} of ${live} tracks; nothing was deleted because this looks like ` +
            `an unmounted or empty folder. If the files are really gone, sync again with massDeleteRatio 1.`;
        } else if (gone > 0) {
          deleted = await softDeleteGone(trx, job.profile_id, input.jobId);
        }
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

// A job's life as the workflow drives it: started, phase by phase, ended. Each step is one transaction,
// safe to run twice.
import type { CompleteJobInput, CompleteJobResult, PhaseInput, StartJobInput, TerminalStatus } from '../contract/sync.ts';
import { isTerminal } from '../contract/sync.ts';
import { needsAPerson } from '../contract/actor-policy.ts';
import { emitEvent } from '../db/events.ts';
import { countersOf, endJob, enterPhase, getJobForUpdate, insertJob, markRunning } from '../db/jobs.ts';
import { commitFolders } from '../db/folders.ts';
import { getProfile } from '../db/profiles.ts';
import { commitSnapshot } from '../db/snapshots.ts';
import { countLiveTracks } from '../db/tracks.ts';
import { massDeletion } from './deletions.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput } from './failures.ts';

export function lifecycleActivities({ db, metrics }: ActivityDeps) {
  return {
    /** Creates (or adopts the client's) job row, marks it running with its run chain and the live library
     * it starts from (both recorded once), and emits Started once. */
    async startJob(input: StartJobInput): Promise<{ provider: string }> {
      const profile = await getProfile(db, input.profileId);
      if (!profile) throw invalidInput(`profile ${input.profileId} does not exist`);
      await db.transaction().execute(async (trx) => {
        await insertJob(trx, {
          id: input.jobId, profileId: profile.id, provider: profile.provider, mode: input.mode,
          workflowId: input.workflowId, status: 'running', ...(input.runId ? { runId: input.runId } : {}),
        });
        await markRunning(trx, input.jobId, { runId: input.runId, tracksBefore: await countLiveTracks(trx, profile.id) });
        await emitEvent(trx, input.jobId, 'started', 'started', {
          profileId: profile.id, provider: profile.provider, mode: input.mode,
        });
      });
      return { provider: profile.provider };
    },

    /** Records the phase the workflow entered, with its Progress event. */
    async enterPhase(input: PhaseInput): Promise<void> {
      await db.transaction().execute((trx) => enterPhase(trx, input.jobId, input.phase));
    },

    /**
     * Ends the job: phase `complete`, the final status and the terminal event, in one transaction.
     * A completed job makes its listing the profile's snapshot, with the new cursor; a job the
     * mass-deletion guard held back ends as `needs_review` and, like a failed or cancelled one, keeps
     * the old snapshot. Safe to run twice.
     */
    async completeJob(input: CompleteJobInput): Promise<CompleteJobResult> {
      const { result, ended } = await db.transaction().execute(async (trx) => {
        const before = await getJobForUpdate(trx, input.jobId);
        if (!before) throw invalidInput(`sync job ${input.jobId} does not exist`);
        const status: TerminalStatus = input.status === 'completed' && before.needs_review ? 'needs_review' : input.status;
        if (status === 'completed' && !isTerminal(before.status)) {
          await commitSnapshot(trx, before.profile_id, input.jobId);
          await commitFolders(trx, before.profile_id, input.jobId, before.listed_whole);
        }
        // Credentials refused, the root gone, or a key that cannot open them: no retry mends that, a person must.
        const error = input.error && { ...input.error, recoverable: input.error.recoverable && !needsAPerson(input.error.kind) };
        const review = status === 'needs_review' ? await massDeletion(trx, before) : undefined;
        const job = await endJob(
          trx,
          input.jobId,
          { status, ...(error ? { error } : {}), ...(input.cancel ? { cancel: input.cancel } : {}) },
          review ? { gone: review.gone, baseline: review.baseline, confirmCommand: review.confirmCommand } : {},
        );
        const result: CompleteJobResult = { counters: countersOf(job), needsReview: job.needs_review, status: job.status as TerminalStatus };
        // Only the call that ended the job counts its ending; a repeated one finds it ended already.
        return { result, ended: isTerminal(before.status) ? undefined : job };
      });
      if (ended && metrics) {
        const seconds = ended.started_at && ended.finished_at ? (ended.finished_at.getTime() - ended.started_at.getTime()) / 1000 : undefined;
        metrics.syncEnded({ outcome: ended.status, provider: ended.provider, mode: ended.mode, seconds, deleted: result.counters.itemsDeleted });
      }
      return result;
    },
  };
}

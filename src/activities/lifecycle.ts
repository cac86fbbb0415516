// A job's life as the workflow drives it: started, phase by phase, ended. Each step is one transaction,
// safe to run twice.
import { isTerminal, type CompleteJobInput, type CompleteJobResult, type PhaseInput, type StartJobInput } from '../contract/sync.ts';
import { emitEvent } from '../db/events.ts';
import { countersOf, enterPhase, finishJob, getJob, insertJob, markRunning } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import { commitSnapshot } from '../db/snapshots.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput } from './failures.ts';

export function lifecycleActivities({ db }: ActivityDeps) {
  return {
    /** Creates (or adopts the client's) job row, marks it running and emits Started once. */
    async startJob(input: StartJobInput): Promise<{ provider: string }> {
      const profile = await getProfile(db, input.profileId);
      if (!profile) throw invalidInput(`profile ${input.profileId} does not exist`);
      await db.transaction().execute(async (trx) => {
        await insertJob(trx, {
          id: input.jobId, profileId: profile.id, provider: profile.provider, mode: input.mode,
          workflowId: input.workflowId, status: 'running',
        });
        await markRunning(trx, input.jobId);
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
     * A completed job that needs no review makes its listing the profile's snapshot, with the new
     * cursor; a failed, cancelled or suspicious run keeps the old one. Safe to run twice.
     */
    async completeJob(input: CompleteJobInput): Promise<CompleteJobResult> {
      return db.transaction().execute(async (trx) => {
        const before = await getJob(trx, input.jobId);
        if (!before) throw invalidInput(`sync job ${input.jobId} does not exist`);
        if (!isTerminal(before.status)) {
          if (input.status === 'completed' && !before.needs_review) await commitSnapshot(trx, before.profile_id, input.jobId);
          await enterPhase(trx, input.jobId, 'complete');
          await finishJob(trx, input.jobId, input);
        }
        const job = (await getJob(trx, input.jobId))!;
        const counters = countersOf(job);
        const type = job.status === 'completed' ? 'completed' : job.status === 'cancelled' ? 'cancelled' : 'failed';
        await emitEvent(trx, input.jobId, 'terminal', type, {
          status: job.status,
          counters,
          ...(job.needs_review ? { needsReview: job.needs_review } : {}),
          ...(job.error
            ? { message: job.error, kind: job.error_kind, recoverable: input.error?.recoverable ?? job.status === 'timed_out' }
            : {}),
        });
        return { counters, needsReview: job.needs_review };
      });
    },
  };
}

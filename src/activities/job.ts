import { ApplicationFailure } from '@temporalio/common';
import { emitEvent } from '../db/events.ts';
import { countersOf, getJob, insertJob, markRunning, setPhase } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import { commitSnapshot } from '../db/snapshots.ts';
import type {
  CompleteJobInput, CompleteJobResult, PhaseInput, StartJobInput, ValidateInput,
} from '../sync/contract.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';
import { loadJob } from './job-context.ts';

export function jobActivities(deps: ActivityDeps) {
  const { db, networkPolicy } = deps;
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

    /** Checks the profile's storage is reachable before any listing; the network-policy hook lives here. */
    async validateSession(input: ValidateInput): Promise<void> {
      const { provider } = await loadJob(deps, input.jobId);
      await phaseEvent(input.jobId, 'validate');
      if (input.wifiOnly && provider.usesNetwork && (await networkPolicy?.isMetered())) {
        throw ApplicationFailure.nonRetryable('wifiOnly is set and the network is metered: sync postponed', 'NetworkPolicy');
      }
      try {
        await provider.validate();
      } catch (err) {
        throw toActivityFailure(err);
      }
    },

    async enterPhase(input: PhaseInput): Promise<void> {
      await phaseEvent(input.jobId, input.phase);
    },

    /** Final counters, status and the terminal event; safe to run twice. */
    async completeJob(input: CompleteJobInput): Promise<CompleteJobResult> {
      return db.transaction().execute(async (trx) => {
        const before = await getJob(trx, input.jobId);
        if (!before) throw invalidInput(`sync job ${input.jobId} does not exist`);
        const terminal = ['completed', 'failed', 'cancelled', 'timed_out'].includes(before.status);
        if (!terminal && input.status === 'completed' && !before.needs_review) {
          // The new cursor lands with the results; a failed, cancelled or suspicious run keeps the old one.
          await commitSnapshot(trx, before.profile_id, input.jobId);
        }
        if (!terminal) {
          await trx
            .updateTable('sync_jobs')
            .set({
              status: input.status,
              phase: 'complete',
              finished_at: new Date(),
              error: input.error?.message ?? null,
              error_kind: input.error?.kind ?? null,
            })
            .where('id', '=', input.jobId)
            .execute();
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

  async function phaseEvent(jobId: string, phase: PhaseInput['phase']): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await setPhase(trx, jobId, phase);
      const job = (await getJob(trx, jobId))!;
      await emitEvent(trx, jobId, `phase:${phase}`, 'progress', { phase, counters: countersOf(job) });
    });
  }
}

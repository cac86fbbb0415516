import { getJob } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import type { Profile, SyncJobRow } from '../db/schema.ts';
import type { StorageProvider } from '../providers/types.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';

/** What an activity works on: the job, its profile and that profile's provider. */
export interface JobContext {
  job: SyncJobRow;
  profile: Profile;
  provider: StorageProvider;
}

/** Loads the job an activity works for; a job or profile that does not exist is bad input. */
export async function loadJobContext({ db, providers }: ActivityDeps, jobId: string): Promise<JobContext> {
  const job = await getJob(db, jobId);
  if (!job) throw invalidInput(`sync job ${jobId} does not exist`);
  const profile = await getProfile(db, job.profile_id);
  if (!profile) throw invalidInput(`profile ${job.profile_id} does not exist`);
  try {
    return { job, profile, provider: providers.create(profile) };
  } catch (err) {
    throw toActivityFailure(err);
  }
}

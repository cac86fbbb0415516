import { ApplicationFailure } from '@temporalio/common';
import { loadFolders } from '../db/folders.ts';
import { getJob } from '../db/jobs.ts';
import { getProfile } from '../db/profiles.ts';
import type { Profile, SyncJobRow } from '../db/schema.ts';
import { dbThrottleBoard } from '../db/throttles.ts';
import type { SlotOutcome } from '../providers/remote/limiter.ts';
import { defaultTempDir } from '../providers/remote/temp-files.ts';
import type { StorageProvider } from '../providers/types.ts';
import { credentialStore } from '../secrets/credential-store.ts';
import { loadProfileSecrets } from '../secrets/profile-secrets.ts';
import { SecretKeyError } from '../secrets/secret-box.ts';
import type { ActivityDeps } from './deps.ts';
import { invalidInput, toActivityFailure } from './failures.ts';

/** What an activity works on: the job, its profile and that profile's provider. */
export interface JobContext {
  job: SyncJobRow;
  profile: Profile;
  provider: StorageProvider;
  /** Where files read whole are spooled. */
  tempDir: string;
}

/** Loads the job an activity works for; a job or profile that does not exist is bad input. The
 * profile's credentials are opened here, inside the activity, and go nowhere but its provider. */
export async function loadJobContext(deps: ActivityDeps, jobId: string): Promise<JobContext> {
  const { db, providers } = deps;
  const job = await getJob(db, jobId);
  if (!job) throw invalidInput(`sync job ${jobId} does not exist`);
  const profile = await getProfile(db, job.profile_id);
  if (!profile) throw invalidInput(`profile ${job.profile_id} does not exist`);
  const tempDir = deps.tempDir ?? defaultTempDir();
  try {
    const secrets = await loadProfileSecrets(db, deps.secretBox, profile.id, profile.name);
    const { metrics } = deps;
    // Every request a provider makes holds its account's slot; its outcome is counted when it gives it back.
    const throttleBoard = { ...dbThrottleBoard(db), ...(metrics ? { settled: (outcome: SlotOutcome) => metrics.providerRequest(profile.provider, outcome) } : {}) };
    const provider = providers.create(profile, {
      secrets, tempDir, throttleBoard, folders: { load: () => loadFolders(db, profile.id, jobId) },
      credentials: deps.secretBox ? credentialStore(db, deps.secretBox, profile.id) : undefined,
    });
    return { job, profile, provider, tempDir };
  } catch (err) {
    // Without the key that sealed them (or with another), no retry can open the credentials.
    if (err instanceof SecretKeyError) throw ApplicationFailure.nonRetryable(err.message, 'SecretKey');
    throw toActivityFailure(err);
  }
}

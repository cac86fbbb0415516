// Typed errors of the client API: one class per way a request or a sync can go wrong.

export type SyncErrorCode = 'SyncInProgress' | 'JobNotFound' | 'InvalidInput' | 'Cancelled' | 'Timeout' | 'Provider' | 'Failed';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = `${code}Error`;
  }
}

export class SyncInProgressError extends SyncError {
  readonly profileId: string;
  readonly runningJobId: string | undefined;
  constructor(profileId: string, runningJobId: string | undefined, options?: { cause?: unknown }) {
    super('SyncInProgress', `a sync of profile ${profileId} is already running${runningJobId ? ` (job ${runningJobId})` : ''}`, options);
    this.profileId = profileId;
    this.runningJobId = runningJobId;
  }
}

export class JobNotFoundError extends SyncError {
  readonly jobId: string;
  constructor(jobId: string) {
    super('JobNotFound', `no sync job ${jobId}`);
    this.jobId = jobId;
  }
}

export class InvalidInputError extends SyncError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
}

/** No profile by that name or id. An InvalidInputError still (its code stays `InvalidInput`), so
 * callers that catch those keep working. */
export class ProfileNotFoundError extends InvalidInputError {
  readonly profile: string;
  constructor(profile: string) {
    super(`no profile "${profile}"`);
    this.name = 'ProfileNotFoundError';
    this.profile = profile;
  }
}

export class SyncCancelledError extends SyncError {
  readonly jobId: string;
  constructor(jobId: string, options?: { cause?: unknown }) {
    super('Cancelled', `sync job ${jobId} was cancelled`, options);
    this.jobId = jobId;
  }
}

export class SyncTimeoutError extends SyncError {
  readonly jobId: string;
  constructor(jobId: string, message: string, options?: { cause?: unknown }) {
    super('Timeout', message, options);
    this.jobId = jobId;
  }
}

export class SyncProviderError extends SyncError {
  readonly kind: string;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super('Provider', message, options);
    this.kind = kind;
  }
}

export class SyncFailedError extends SyncError {
  readonly jobId: string;
  constructor(jobId: string, message: string, options?: { cause?: unknown }) {
    super('Failed', message, options);
    this.jobId = jobId;
  }
}

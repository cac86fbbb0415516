import { randomUUID } from 'node:crypto';
import {
  isGrpcServiceError, WithStartWorkflowOperation, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import pg from 'pg';
import { resolveConfig, type SyncConfig } from '../contract/config.ts';
import {
  ACTOR_WORKFLOW_TYPE, actorIdForProfile, PAUSE_UPDATE, RESUME_UPDATE, START_SYNC_UPDATE, STATE_QUERY,
  type ProfileState, type RequestSource, type ScheduleInfo, type StartedJob, type StartSyncInput,
} from '../contract/actor.ts';
import type { CancelRequest, JobStatus, SyncMode, SyncProgress, SyncResult } from '../contract/sync.ts';
import { CANCEL_SIGNAL, isTerminal, PROGRESS_QUERY, SYNC_TASK_QUEUE, syncIdForProfile, workflowIdForProfile } from '../contract/sync.ts';
import type { Db } from '../db/connect.ts';
import { EVENTS_CHANNEL, listEvents } from '../db/events.ts';
import { countersOf, countJobs, getJob, listJobs } from '../db/jobs.ts';
import { findProfileByRoot, getProfile, insertProfile, listProfiles, updateProfileSettings } from '../db/profiles.ts';
import { deleteSecrets } from '../db/secrets.ts';
import { countFailed, failedItems, readCost } from '../db/scan-items.ts';
import { currentCursor } from '../db/snapshots.ts';
import { countTracks, duplicateGroups, duplicatePage, liveTracks, trackKey, trackPage, type DuplicateGroup } from '../db/tracks.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import { profileSecretsMatch, storeProfileSecrets } from '../secrets/profile-secrets.ts';
import { SecretKeyError, type SecretBox } from '../secrets/secret-box.ts';
import { ProviderError, type ProfileLocation } from '../providers/types.ts';
import { actorRequests, actorStartOptions, type ActorAddress } from './actor-requests.ts';
import { removeProfileSchedule, setProfileSchedule, type ScheduleSpecInput } from './schedules.ts';
import {
  InvalidInputError, JobNotFoundError, ProfileNotFoundError, SyncCancelledError, SyncFailedError, SyncInProgressError, SyncProviderError,
  SyncTimeoutError,
} from './errors.ts';
import { toProfileInfo, toSyncEvent, toSyncJob, toTrack } from './mappers.ts';
import { reconciledRow } from './reconcile.ts';
import { jobChain } from './runs.ts';
import { checkedPage, given, pageOf } from './pages.ts';
import type {
  DuplicateQuery, FailedQuery, JobQuery, Page, ProfileInfo, SyncEvent, SyncJob, Track, TrackQuery,
} from './types.ts';

export interface SyncClientOptions {
  temporal: Client;
  db: Db;
  /** Needed by `watch`: a LISTEN connection of its own. */
  databaseUrl?: string;
  /** Checks and normalises a new profile's provider, root and settings. */
  providers: ProviderRegistry<string>;
  taskQueue?: string;
  /** Overrides of the defaults for every sync this client starts (checked by `resolveConfig`). */
  config?: Partial<SyncConfig>;
  /** Set the MusicSync* search attributes at start (the server must know them). */
  searchAttributes?: boolean;
  /** Seals the credentials of new profiles; without one, only profiles without credentials register. */
  secretBox?: SecretBox;
  /** Who this client asks for syncs as (recorded on each job): `client` unless told otherwise. */
  requestedBy?: Extract<RequestSource, 'client' | 'cli'>;
}

/** gRPC's NOT_FOUND: the run has closed. */
const GRPC_NOT_FOUND = 5;

/** How long a start waits for the actor to take in the ending of a sync that has just ended. */
const SETTLING_MS = 10_000;

export interface StartedSync {
  jobId: string;
  workflowId: string;
  runId: string;
}

/** The typed API other services use to drive syncs: profiles, full and incremental syncs, their
 * status, events and results, and the library they build. */
export class SyncClient {
  private readonly temporal: Client;
  private readonly db: Db;
  private readonly options: SyncClientOptions;

  constructor(options: SyncClientOptions) {
    this.temporal = options.temporal;
    this.db = options.db;
    this.options = options;
  }

  // ---- profiles ----

  /** Registers a profile; its credentials (`secrets`, by the names its provider needs) are sealed in
   * the secret store with it, in one transaction, and never come back out through this client. */
  async registerProfile(input: {
    name: string; provider: string; root: string; settings?: Record<string, unknown>; secrets?: Readonly<Record<string, string>>;
  }): Promise<ProfileInfo> {
    const name = input.name.trim();
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw new InvalidInputError(`profile name "${input.name}" must be 1-64 letters, digits, '.', '_' or '-'`);
    }
    const { root, settings } = await this.normalize(input.provider, { root: input.root, settings: input.settings ?? {} });
    const secrets = input.secrets ?? {};
    const box = this.sealerFor(input.provider, secrets);
    if (await getProfile(this.db, name)) throw new InvalidInputError(`a profile named "${name}" already exists`);
    const row = await this.db.transaction().execute(async (trx) => {
      const inserted = await insertProfile(trx, { id: randomUUID(), name, provider: input.provider, root, settings });
      if (box) await storeProfileSecrets(trx, box, inserted.id, secrets);
      return inserted;
    });
    return toProfileInfo(row);
  }

  /** The box that seals `secrets` for a profile of `provider`, once they are checked: every name the
   * provider needs, and a key to seal them with. Undefined when there is nothing to seal. */
  private sealerFor(provider: string, secrets: Readonly<Record<string, string>>): SecretBox | undefined {
    const missing = this.options.providers.secretNames(provider).filter((n) => secrets[n] === undefined);
    if (missing.length > 0) throw new InvalidInputError(`a ${provider} profile needs ${missing.join(' and ')}`);
    if (Object.keys(secrets).length === 0) return undefined;
    if (!this.options.secretBox) {
      throw new InvalidInputError('MUSIC_SYNC_SECRET_KEY is not set: it is needed to store the profile\'s credentials (make one with: openssl rand -base64 32)');
    }
    return this.options.secretBox;
  }

  /** A location as the provider stores it; an unknown provider or a location it refuses is InvalidInput. */
  private async normalize(provider: string, location: ProfileLocation): Promise<ProfileLocation> {
    try {
      return await this.options.providers.normalizeProfile(provider, location);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'invalid') throw new InvalidInputError(err.message);
      throw err;
    }
  }

  async getProfile(nameOrId: string): Promise<ProfileInfo> {
    const row = await getProfile(this.db, nameOrId);
    if (!row) throw new ProfileNotFoundError(nameOrId);
    return toProfileInfo(row);
  }

  async findProfileByRoot(provider: string, root: string, settings: Record<string, unknown> = {}): Promise<ProfileInfo | undefined> {
    const normalized = await this.normalize(provider, { root, settings });
    const endpoint = typeof normalized.settings.endpoint === 'string' ? normalized.settings.endpoint : undefined;
    const row = await findProfileByRoot(this.db, provider, normalized.root, endpoint);
    return row ? toProfileInfo(row) : undefined;
  }

  /** Whether the profile's stored credentials are these (they are compared, never returned). */
  async credentialsMatch(nameOrId: string, secrets: Readonly<Record<string, string>>): Promise<boolean> {
    const row = await getProfile(this.db, nameOrId);
    if (!row) throw new InvalidInputError(`no profile "${nameOrId}"`);
    try {
      return await profileSecretsMatch(this.db, this.options.secretBox, row.id, secrets);
    } catch (err) {
      if (err instanceof SecretKeyError) throw new InvalidInputError(err.message);
      throw err;
    }
  }

  /** Changes a profile's settings (merged over its own, checked by its provider) and replaces its
   * credentials (all of them, in one transaction), for a connection that changed. */
  async updateProfile(nameOrId: string, change: { settings?: Record<string, unknown>; secrets?: Readonly<Record<string, string>> }): Promise<ProfileInfo> {
    const row = await getProfile(this.db, nameOrId);
    if (!row) throw new InvalidInputError(`no profile "${nameOrId}"`);
    const { settings } = await this.normalize(row.provider, { root: row.root, settings: { ...row.settings, ...change.settings } });
    const secrets = change.secrets;
    const box = secrets && this.sealerFor(row.provider, secrets);
    await this.db.transaction().execute(async (trx) => {
      await updateProfileSettings(trx, row.id, settings);
      if (secrets) {
        await deleteSecrets(trx, row.id);
        if (box) await storeProfileSecrets(trx, box, row.id, secrets);
      }
    });
    return toProfileInfo((await getProfile(this.db, row.id))!);
  }

  async listProfiles(): Promise<ProfileInfo[]> {
    return (await listProfiles(this.db)).map(toProfileInfo);
  }

  // ---- syncs ----

  startFullSync(profileId: string, config?: Partial<SyncConfig>): Promise<StartedSync> {
    return this.start(profileId, 'full', config);
  }

  /** Without a cursor, the one stored by the last successful sync; with none stored, InvalidInput
   * (the first sync of a profile is a full sync). A cursor other than the profile's current one names
   * a snapshot that is gone: InvalidInput too, and a full sync repairs it. */
  async startIncrementalSync(profileId: string, cursor?: string, config?: Partial<SyncConfig>): Promise<StartedSync> {
    const profile = await this.getProfile(profileId);
    const current = await currentCursor(this.db, profile.id);
    if (!current) throw new InvalidInputError(`profile ${profile.name} has no sync cursor yet: run a full sync first`);
    if (cursor !== undefined && cursor !== current) {
      throw new InvalidInputError(`cursor ${cursor} is not the current cursor of profile ${profile.name} (${current}): run a full sync`);
    }
    return this.start(profile.id, 'incremental', config);
  }

  /** The cursor an incremental sync of this profile would start from, if any. */
  async currentCursor(profileIdOrName: string): Promise<string | undefined> {
    return currentCursor(this.db, (await this.getProfile(profileIdOrName)).id);
  }

  private async start(profileIdOrName: string, mode: SyncMode, overrides?: Partial<SyncConfig>): Promise<StartedSync> {
    const profile = await this.getProfile(profileIdOrName);
    const config = this.checkedConfig(overrides);
    const start: StartSyncInput = { mode, source: this.requestedBy, config };
    const until = Date.now() + SETTLING_MS;
    for (;;) {
      try {
        const started: StartedJob = await this.temporal.workflow.executeUpdateWithStart(START_SYNC_UPDATE, {
          args: [start],
          startWorkflowOperation: this.actorStart(profile),
        });
        return started;
      } catch (err) {
        const mapped = mapUpdateError(profile.id, err);
        if (!(mapped instanceof SyncInProgressError)) throw mapped;
        // A job that has ended, whose actor has not yet taken in its ending (a start right after the
        // last sync's result): asked again in a moment, it starts.
        const named = mapped.runningJobId ? await getJob(this.db, mapped.runningJobId) : undefined;
        if (named && isTerminal(named.status) && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        // The actor names the sync it runs; one it did not start (a client of an older version) or one
        // not started yet is looked up on the server.
        if (!mapped.runningJobId) throw new SyncInProgressError(profile.id, await this.runningJobId(profile), { cause: err });
        throw mapped;
      }
    }
  }

  /** The job of the sync running under one of the profile's sync workflow ids, from the run's memo. */
  private async runningJobId(profile: ProfileInfo): Promise<string | undefined> {
    for (const description of await this.runningSyncs(profile)) {
      const jobId = description.memo?.jobId as string | undefined;
      if (jobId) return jobId;
    }
    return undefined;
  }

  /** The profile's sync runs that are running: under the id its actor starts syncs with, and under the
   * one syncs had before (started by an older actor or client, maybe still running). */
  private async runningSyncs(profile: ProfileInfo) {
    const ids = [syncIdForProfile(profile.name), workflowIdForProfile(profile.id)];
    const descriptions = await Promise.all(ids.map((id) =>
      this.temporal.workflow.getHandle(id).describe().catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      })));
    return descriptions.filter((d) => d?.status.name === 'RUNNING').map((d) => d!);
  }

  /** Starts the profile's actor with the update if it is not running (update-with-start). */
  private actorStart(profile: ProfileInfo) {
    return new WithStartWorkflowOperation(ACTOR_WORKFLOW_TYPE, {
      ...actorStartOptions(profile, this.actorAddress),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  /** The client's overrides with these on top, checked: a wrong one is the caller's mistake. */
  private checkedConfig(overrides: Partial<SyncConfig> | undefined): Partial<SyncConfig> {
    const config = { ...this.options.config, ...overrides };
    try {
      resolveConfig(config);
    } catch (err) {
      throw new InvalidInputError((err as Error).message);
    }
    return config;
  }

  /** Where this client's profile actors run, and whether they carry the search attributes. */
  private get actorAddress(): Required<ActorAddress> {
    return { taskQueue: this.options.taskQueue ?? SYNC_TASK_QUEUE, searchAttributes: this.options.searchAttributes !== false };
  }

  private get requestedBy(): RequestSource {
    return this.options.requestedBy ?? 'client';
  }

  // ---- the profile's actor ----

  /**
   * Asks for a sync of the profile, never refused while one runs: requests that meet coalesce into one
   * follow-up sync (full if any of them asked for full). An incremental request of a profile never
   * synced is a full sync. Returns once the profile's actor has the request.
   */
  async requestSync(profileIdOrName: string, request: { mode?: SyncMode; reason?: string; config?: Partial<SyncConfig> } = {}): Promise<void> {
    const profile = await this.getProfile(profileIdOrName);
    const mode = request.mode ?? 'incremental';
    if (mode !== 'full' && mode !== 'incremental') throw new InvalidInputError(`a sync is full or incremental, not ${String(mode)}`);
    const config = this.checkedConfig(request.config);
    await actorRequests(this.temporal, this.actorAddress)(profile, {
      mode, source: this.requestedBy, ...(request.reason ? { reason: request.reason } : {}), ...(Object.keys(config).length > 0 ? { config } : {}),
    });
  }

  /** Pauses the profile: no automatic sync (schedule, folder watcher, push notification) runs until
   * it is resumed; one that runs now finishes. Syncs asked for on purpose still run. */
  async pause(profileIdOrName: string, request: { reason?: string } = {}): Promise<ProfileState> {
    const profile = await this.getProfile(profileIdOrName);
    return this.updateActor(profile, PAUSE_UPDATE, [{ by: this.requestedBy, ...(request.reason ? { reason: request.reason } : {}) }]);
  }

  /** Resumes a paused profile (paused by a person or by a failure), and ends any backoff. */
  async resume(profileIdOrName: string): Promise<ProfileState> {
    return this.updateActor(await this.getProfile(profileIdOrName), RESUME_UPDATE, []);
  }

  /** The profile's actor as it stands: idle, syncing, paused or backing off, with the current job, the
   * pending requests, the last result and the schedule. A profile whose actor never ran is idle. */
  async profileState(profileIdOrName: string): Promise<ProfileState> {
    const profile = await this.getProfile(profileIdOrName);
    try {
      return await this.temporal.workflow.getHandle(actorIdForProfile(profile.name)).query<ProfileState>(STATE_QUERY);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      return { profileId: profile.id, profileName: profile.name, status: 'idle', failures: 0 };
    }
  }

  /**
   * Sets the profile's schedule (`{ every: '6h' }` or `{ cron: '0 3 * * *' }`), or removes it (`null`):
   * a Temporal Schedule whose firings ask the actor for an incremental sync, so it can be paused,
   * triggered and backfilled on the Web UI's Schedules page. Firings spread across profiles (an offset
   * by profile and some jitter), and after downtime the missed ones are one sync. Syncs run while a
   * worker runs.
   */
  async schedule(profileIdOrName: string, spec: ScheduleSpecInput | null): Promise<ScheduleInfo | undefined> {
    const profile = await this.getProfile(profileIdOrName);
    const address = this.actorAddress;
    if (spec === null) {
      await removeProfileSchedule(this.temporal, profile, address);
      return undefined;
    }
    return setProfileSchedule(this.temporal, profile, spec, address);
  }

  private async updateActor(profile: ProfileInfo, update: string, args: unknown[]): Promise<ProfileState> {
    try {
      return await this.temporal.workflow.executeUpdateWithStart(update, { args, startWorkflowOperation: this.actorStart(profile) });
    } catch (err) {
      throw mapUpdateError(profile.id, err);
    }
  }

  /**
   * Asks the job's workflow to stop (the cancel signal, with who asks and why: `by` defaults to
   * 'client'), then requests cancellation of that run, so it ends as Canceled in the Web UI; returns
   * false when the job had already ended. Only the job's own run chain is signalled:
   * the current run is described, and signalled by its exact run id if it belongs to the chain; a run
   * that just continued as new is looked up again. A newer job of the same profile is never stopped.
   */
  async cancelSync(jobId: string, request: CancelRequest = {}): Promise<boolean> {
    const job = await this.requireJob(jobId);
    if (isTerminal(job.status)) return false;
    const payload: CancelRequest = { by: request.by ?? 'client', ...(request.reason ? { reason: request.reason } : {}), withRequest: true };
    if (!job.run_id) return this.signalLatest(job.workflow_id, payload);
    for (let attempt = 0; attempt < 5; attempt++) {
      const chain = await jobChain(this.temporal, job);
      if (chain.state !== 'running') {
        await reconciledRow(this.reconcileDeps, job);
        return false;
      }
      try {
        await this.temporal.workflow.getHandle(job.workflow_id, chain.runId).signal(CANCEL_SIGNAL, payload);
        await this.requestCancellation(job.workflow_id, chain.runId, payload);
        return true;
      } catch (err) {
        // That run closed between the two calls: continued as new (look again) or ended (then we stop).
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return false;
  }

  /** Jobs recorded before run ids were: the latest run under the workflow id, as it always was. */
  private async signalLatest(workflowId: string, payload: CancelRequest): Promise<boolean> {
    try {
      const { runId } = await this.temporal.workflow.getHandle(workflowId).describe();
      await this.temporal.workflow.getHandle(workflowId, runId).signal(CANCEL_SIGNAL, payload);
      await this.requestCancellation(workflowId, runId, payload);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Requests cancellation of the run just signalled, with who and why as its reason (the Web UI shows
   * it, with this client's identity, on the run's cancel-requested event). WorkflowHandle.cancel takes
   * no reason, so this is its request with one. A run that closed meanwhile needs none. */
  private async requestCancellation(workflowId: string, runId: string, request: CancelRequest): Promise<void> {
    try {
      await this.temporal.workflowService.requestCancelWorkflowExecution({
        namespace: this.temporal.options.namespace,
        workflowExecution: { workflowId, runId },
        identity: this.temporal.options.identity,
        requestId: randomUUID(),
        reason: `cancelled by ${request.by ?? 'client'}${request.reason ? `: ${request.reason}` : ''}`,
      });
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return;
      // The signal already stopped the job: a request that fails (the server busy, no permission) costs
      // only the Canceled ending (the run waits a minute for it, then ends as a failed cancel). Not an
      // error for the caller, whose cancel happened.
    }
  }

  /** The job's row; a job not ended whose run chain has closed is reconciled first (within seconds; a
   * Temporal server out of reach leaves the row as it is). */
  async getStatus(jobId: string): Promise<SyncJob> {
    return toSyncJob(await reconciledRow(this.reconcileDeps, await this.requireJob(jobId)));
  }

  /** Live progress from the job's running workflow (a query: no database round trip, no history event);
   * for a job that has ended, or whose run chain has, the database's state of it. */
  async progress(jobId: string): Promise<SyncProgress> {
    const job = await this.requireJob(jobId);
    if (!job.run_id) return this.temporal.workflow.getHandle(job.workflow_id).query<SyncProgress>(PROGRESS_QUERY);
    if (!isTerminal(job.status)) {
      const chain = await jobChain(this.temporal, job);
      if (chain.state === 'running') {
        return this.temporal.workflow.getHandle(job.workflow_id, chain.runId).query<SyncProgress>(PROGRESS_QUERY);
      }
    }
    const row = await reconciledRow(this.reconcileDeps, job);
    return { jobId: row.id, phase: row.phase, status: row.status, counters: countersOf(row) };
  }

  /** Recent jobs, newest first; those not ended whose run chain has closed are reconciled first. */
  async listHistory(provider?: string, limit = 20, profileId?: string): Promise<SyncJob[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError(`limit must be a positive integer, got ${limit}`);
    const rows = await listJobs(this.db, { provider, profileId, limit });
    return (await Promise.all(rows.map((row) => reconciledRow(this.reconcileDeps, row)))).map(toSyncJob);
  }

  /** A page of jobs, newest first (see JobQuery; default 20); those not ended whose run chain has
   * closed are reconciled first. */
  async listJobs(query: JobQuery = {}): Promise<Page<SyncJob>> {
    const page = checkedPage(query, 20);
    if (query.status !== undefined && !JOB_STATUSES.includes(query.status)) {
      throw new InvalidInputError(`status must be one of ${JOB_STATUSES.join(', ')}, got "${String(query.status)}"`);
    }
    const profileId = query.profile === undefined ? undefined : (await this.getProfile(query.profile)).id;
    if (page.after !== undefined) await this.requireJob(page.after);
    const filter = { provider: given(query.provider), profileId, status: query.status };
    const rows = await listJobs(this.db, { ...filter, limit: page.limit, offset: page.offset, after: page.after });
    const counts = page.count ? await countJobs(this.db, filter, page.after) : undefined;
    const jobs = (await Promise.all(rows.map((row) => reconciledRow(this.reconcileDeps, row)))).map(toSyncJob);
    return pageOf(jobs, page, counts, (j) => j.id);
  }

  async isSyncActive(profileIdOrName: string): Promise<boolean> {
    return (await this.runningSyncs(await this.getProfile(profileIdOrName))).length > 0;
  }

  /**
   * Waits for the job's run chain (from its first run, following continue-as-new) and maps its ending
   * to a result or a typed error; never another job's run. A job the mass-deletion guard held back is
   * a result, not an error: `status: 'needs_review'`, with `needsReview` saying what was held back and
   * the command that confirms it. A job that failed, was cancelled or timed out is an error, and is
   * reconciled first if its run ended without recording it.
   */
  async waitForResult(jobId: string): Promise<SyncResult> {
    const job = await this.requireJob(jobId);
    let runId = job.run_id ?? undefined;
    for (;;) {
      try {
        return (await this.temporal.workflow.getHandle(job.workflow_id, runId).result()) as SyncResult;
      } catch (err) {
        // A reset ends the run it resets as terminated and goes on in a new run of the same chain.
        if (job.run_id && err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure) {
          const chain = await jobChain(this.temporal, job);
          if (chain.state === 'running' && chain.runId !== runId) {
            runId = chain.runId;
            continue;
          }
        }
        if (err instanceof WorkflowFailedError) await reconciledRow(this.reconcileDeps, job);
        throw mapWorkflowError(jobId, err);
      }
    }
  }

  private get reconcileDeps() {
    return { db: this.db, temporal: this.temporal };
  }

  /** Events of a job as they happen (from sync_events, woken by Postgres NOTIFY), ending after the terminal one. */
  async *watch(jobId: string, options?: { signal?: AbortSignal }): AsyncGenerator<SyncEvent> {
    await this.requireJob(jobId);
    if (!this.options.databaseUrl) throw new InvalidInputError('watch needs the client to be given databaseUrl');
    const listener = new pg.Client({ connectionString: this.options.databaseUrl });
    await listener.connect();
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      wake?.();
      wake = undefined;
    };
    listener.on('notification', (msg) => {
      if (msg.payload && (JSON.parse(msg.payload) as { jobId: string }).jobId === jobId) wakeUp();
    });
    options?.signal?.addEventListener('abort', wakeUp);
    try {
      await listener.query(`listen ${EVENTS_CHANNEL}`);
      let afterId = 0;
      for (;;) {
        const pending = new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 5_000).unref(); // a NOTIFY lost with a dropped connection still gets read
        });
        for (const row of await listEvents(this.db, jobId, afterId)) {
          afterId = row.id;
          const event = toSyncEvent(row);
          yield event;
          if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled' || event.type === 'needs_review') return;
        }
        if (options?.signal?.aborted) return;
        await pending;
      }
    } finally {
      await listener.end().catch(() => undefined);
    }
  }

  // ---- library ----

  async tracks(profileIdOrName: string): Promise<Track[]> {
    const profile = await this.getProfile(profileIdOrName);
    return (await liveTracks(this.db, profile.id)).map(toTrack);
  }

  /** What reading cost a job: the files it read, their size, and the bytes it transferred for them
   * (over a network with provider hashes, a small share: only the tags' ranges). */
  async readCost(jobId: string): Promise<{ filesRead: number; fileBytes: number; bytesRead: number }> {
    return readCost(this.db, jobId);
  }

  async failedItems(jobId: string): Promise<{ path: string; reason: string }[]> {
    await this.requireJob(jobId);
    return failedItems(this.db, jobId);
  }

  /** A page of the files a job could not read, in path order (see FailedQuery). */
  async listFailed(query: FailedQuery): Promise<Page<{ path: string; reason: string }>> {
    await this.requireJob(query.jobId);
    const page = checkedPage(query);
    const filter = { jobId: query.jobId, pathPrefix: given(query.pathPrefix), search: given(query.search) };
    const items = await failedItems(this.db, filter, page);
    const counts = page.count ? await countFailed(this.db, filter, page.after) : undefined;
    return pageOf(items, page, counts, (f) => f.path);
  }

  /** A page of a profile's tracks, in path order (see TrackQuery). */
  async listTracks(query: TrackQuery): Promise<Page<Track>> {
    const profile = await this.getProfile(query.profile);
    const page = checkedPage(query);
    const status = query.status ?? 'live';
    if (!TRACK_STATUSES.includes(status)) throw new InvalidInputError(`status must be live, deleted or all, got "${String(status)}"`);
    const filter = { profileId: profile.id, status, pathPrefix: given(query.pathPrefix), search: given(query.search) };
    const after = page.after === undefined ? undefined : await trackKey(this.db, profile.id, page.after);
    if (page.after !== undefined && !after) throw new InvalidInputError(`after: no track ${page.after} in profile ${profile.name}`);
    const rows = await trackPage(this.db, filter, { limit: page.limit, offset: page.offset, after });
    const counts = page.count ? await countTracks(this.db, filter, after) : undefined;
    return pageOf(rows.map(toTrack), page, counts, (t) => t.id);
  }

  /** A page of a profile's duplicate groups (see DuplicateQuery): paged by offset, always counted. */
  async listDuplicates(query: DuplicateQuery): Promise<Page<DuplicateGroup>> {
    const profile = await this.getProfile(query.profile);
    const page = checkedPage(query);
    if (query.kind !== undefined && query.kind !== 'identical' && query.kind !== 'same-audio') {
      throw new InvalidInputError(`kind must be identical or same-audio, got "${String(query.kind)}"`);
    }
    const filter = { profileId: profile.id, kind: query.kind, pathPrefix: given(query.pathPrefix), search: given(query.search) };
    const { groups, total } = await duplicatePage(this.db, filter, page);
    const remaining = Math.max(0, total - page.offset - groups.length);
    return { items: groups, total, remaining, next: null };
  }

  /** Groups of live tracks with identical content, each with its preferred copy. */
  async duplicates(profileIdOrName: string): Promise<DuplicateGroup[]> {
    const profile = await this.getProfile(profileIdOrName);
    return duplicateGroups(this.db, profile.id);
  }

  private async requireJob(jobId: string) {
    const job = await getJob(this.db, jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }
}

const TRACK_STATUSES: readonly string[] = ['live', 'deleted', 'all'];
const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out', 'needs_review'];

/** A start-now or another update the actor refused, as the client's typed errors. */
function mapUpdateError(profileId: string, err: unknown): Error {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'SyncInProgress') {
      const details = cause.details?.[0] as { runningJobId?: string } | undefined;
      return new SyncInProgressError(profileId, details?.runningJobId, { cause: err });
    }
    if (cause.type === 'InvalidInput') return new InvalidInputError(cause.message);
  }
  return err as Error;
}

function mapWorkflowError(jobId: string, err: unknown): Error {
  if (!(err instanceof WorkflowFailedError)) return err as Error;
  const cause = err.cause;
  if (cause instanceof CancelledFailure) return new SyncCancelledError(jobId, { cause: err });
  if (cause instanceof TimeoutFailure) return new SyncTimeoutError(jobId, 'sync was stopped by its run timeout', { cause: err });
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'SyncTimeout') return new SyncTimeoutError(jobId, cause.message, { cause: err });
    if (cause.type === 'SyncCancelled') return new SyncCancelledError(jobId, { cause: err });
    let inner: unknown = cause.cause;
    while (inner && !(inner instanceof ApplicationFailure)) inner = (inner as Error).cause;
    const type = inner instanceof ApplicationFailure ? inner.type : undefined;
    if (type?.startsWith('Provider.')) return new SyncProviderError(type.slice('Provider.'.length), cause.message, { cause: err });
    if (type === 'InvalidInput') return new InvalidInputError(cause.message);
    return new SyncFailedError(jobId, cause.message, { cause: err });
  }
  return new SyncFailedError(jobId, err.message, { cause: err });
}

import {
  allHandlersFinished, ApplicationFailure, ChildWorkflowFailure, condition, continueAsNew, defineQuery, defineSignal,
  defineUpdate, getExternalWorkflowHandle, log, ParentClosePolicy, patched, proxyActivities, setCurrentDetails, setHandler,
  sleep, startChild, uuid4, workflowInfo, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { ActorActivities } from '../activities/actor.ts';
import {
  isAutomatic, PAUSE_UPDATE, REQUEST_SYNC_SIGNAL, RESUME_UPDATE, SCHEDULE_SIGNAL, START_SYNC_UPDATE, STATE_QUERY,
  CANCEL_CURRENT_SIGNAL, type CarriedState, type PauseInput, type ProfileActorInput, type ProfileState, type RequestSource,
  type ScheduleInfo, type StartedJob, type StartSyncInput, type SyncRequest,
} from '../contract/actor.ts';
import { backoffMs, needsAPerson } from '../contract/actor-policy.ts';
import { resolveConfig, type SyncConfig } from '../contract/config.ts';
import { MODE_ATTR, PROFILE_ATTR, PROVIDER_ATTR } from '../contract/search-attributes.ts';
import { syncIdForProfile, workflowIdForProfile, type CancelRequest, type JobStatus, type SyncMode } from '../contract/sync.ts';
import { describeState } from './profile-details.ts';
import { syncOutcome, type SyncOutcome } from './sync-outcome.ts';
import { cancelSignal, syncWorkflow } from './sync.ts';

export const requestSyncSignal = defineSignal<[SyncRequest]>(REQUEST_SYNC_SIGNAL);
export const cancelCurrentSignal = defineSignal<[CancelRequest?]>(CANCEL_CURRENT_SIGNAL);
export const scheduleSignal = defineSignal<[ScheduleInfo | null]>(SCHEDULE_SIGNAL);
export const startSyncUpdate = defineUpdate<StartedJob, [StartSyncInput]>(START_SYNC_UPDATE);
export const pauseUpdate = defineUpdate<ProfileState, [PauseInput?]>(PAUSE_UPDATE);
export const resumeUpdate = defineUpdate<ProfileState, []>(RESUME_UPDATE);
export const stateQuery = defineQuery<ProfileState>(STATE_QUERY);

/** A run of the actor hands over to a new one past this many history events (or when the server
 * suggests it), between syncs. */
const HISTORY_EVENTS_PER_RUN = 2_000;

/** Since this patch the actor starts its syncs under `music-sync/profile/<name>/sync` (the name a person
 * knows) rather than `music-sync/<profile id>`, and a sync still running under the old id (started by a
 * client of an older version, or by this actor before the patch) holds the profile until it ends. */
const SYNC_ID_BY_NAME = 'sync-id-by-profile-name';

/** Since this patch `cancelCurrent` also requests cancellation of the sync after its cancel signal, so
 * the sync ends as Canceled in the Web UI (the signal says who and why). */
const CANCEL_REQUESTS_CANCELLATION = 'cancel-current-requests-cancellation';

const MODES: readonly SyncMode[] = ['full', 'incremental'];
const SOURCES: readonly RequestSource[] = ['client', 'cli', 'schedule', 'watch', 'push'];

interface Pending {
  request: SyncRequest;
  requests: number;
  sources: RequestSource[];
  since: number;
  /** When the newest of them arrived. */
  latest?: number;
}

/** A start-now update waiting for the loop to start its sync. */
interface Claim {
  input: StartSyncInput;
  result?: StartedJob;
  error?: ApplicationFailure;
}

const { prepareSync, recordJob } = proxyActivities<ActorActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * The profile's actor: one long-lived workflow per profile that owns its sync life. Every request for
 * a sync comes here (the CLI, the client, schedules, the folder watcher, push notifications); the actor
 * runs one sync at a time as a child workflow (`syncWorkflow`, the job), and requests that meet while it
 * runs become exactly one follow-up sync, full if any of them asked for full. After a failed sync,
 * automatic requests wait (exponential backoff, capped) while requests made on purpose still run; a
 * failure no retry can mend (credentials revoked, the root gone) pauses the profile until a person
 * resumes it or a sync they ask for succeeds.
 */
export async function profileWorkflow(input: ProfileActorInput): Promise<void> {
  const carried: CarriedState = input.carried ?? { failures: 0 };
  let pending: Pending | undefined = carried.pending;
  let last = carried.last;
  let lastStartedAt = carried.lastStartedAt;
  let paused = carried.paused;
  let failures = carried.failures;
  let backoffUntil = carried.backoffUntil;
  let schedule = carried.schedule;
  let current: (NonNullable<ProfileState['current']> & { handle: ChildWorkflowHandle<typeof syncWorkflow> }) | undefined;
  let claim: Claim | undefined;
  let profileGone = false;
  /** From the moment the loop takes a request until its sync has ended (current is set only once the
   * child started): a start-now meanwhile is refused, never left waiting behind that whole sync. */
  let busy = false;

  const state = (): ProfileState => ({
    profileId: input.profileId,
    profileName: input.profileName,
    status: current ? 'syncing' : paused ? 'paused' : backoffUntil !== undefined && backoffUntil > Date.now() ? 'backing_off' : 'idle',
    ...(current ? { current: { jobId: current.jobId, mode: current.mode, source: current.source, startedAt: current.startedAt } } : {}),
    ...(pending
      ? { pending: { mode: pending.request.mode, requests: pending.requests, sources: [...pending.sources], since: pending.since, ...(pending.request.reason ? { reason: pending.request.reason } : {}) } }
      : {}),
    ...(last ? { last } : {}),
    ...(paused ? { paused } : {}),
    failures,
    ...(backoffUntil !== undefined ? { backoffUntil } : {}),
    ...(schedule ? { schedule } : {}),
  });
  /** What the Web UI shows as the actor's current details. */
  const show = () => setCurrentDetails(describeState(state()));

  /** A request for the library as of `asOf` is covered by a sync of at least its mode that started at
   * or after it: the one running, or the last one if it did not fail. */
  const covered = (request: SyncRequest): boolean => {
    if (request.asOf === undefined) return false;
    const atLeast = (mode: SyncMode) => request.mode === 'incremental' || mode === 'full';
    if (current) return current.startedAt >= request.asOf && atLeast(current.mode);
    return lastStartedAt !== undefined && lastStartedAt >= request.asOf && last?.status !== 'failed' && last?.status !== 'timed_out' && last?.status !== 'cancelled';
  };

  const absorb = (request: SyncRequest): void => {
    if (!MODES.includes(request.mode) || !SOURCES.includes(request.source)) {
      log.warn('sync request ignored: unknown mode or source', { mode: request.mode, source: request.source });
      return;
    }
    if (covered(request)) return;
    try {
      configOf(request.config);
    } catch (err) {
      log.warn('sync request ignored: its settings are invalid', { source: request.source, message: (err as Error).message });
      return;
    }
    if (!pending) {
      pending = { request: { ...request }, requests: 1, sources: [request.source], since: Date.now(), latest: Date.now() };
    } else {
      pending.requests += 1;
      pending.latest = Date.now();
      if (!pending.sources.includes(request.source)) pending.sources.push(request.source);
      pending.request = {
        ...pending.request,
        mode: pending.request.mode === 'full' || request.mode === 'full' ? 'full' : 'incremental',
        ...(request.reason ? { reason: request.reason } : {}),
        ...(request.config ? { config: request.config } : {}),
      };
    }
    show();
  };

  /** Pending requests run now: any of them made on purpose, or all automatic and the profile neither
   * paused nor backing off. */
  const runnable = (): boolean => {
    if (!pending) return false;
    if (pending.sources.some((s) => !isAutomatic(s))) return true;
    return !paused && (backoffUntil === undefined || Date.now() >= backoffUntil);
  };

  const inProgress = (runningJobId = current?.jobId): ApplicationFailure =>
    ApplicationFailure.create({
      message: `a sync of profile ${input.profileName} is already running${runningJobId ? ` (job ${runningJobId})` : ''}`,
      type: 'SyncInProgress',
      nonRetryable: true,
      details: [{ profileId: input.profileId, runningJobId }],
    });

  const gone = (): ApplicationFailure =>
    ApplicationFailure.create({ message: `profile ${input.profileName} does not exist`, type: 'InvalidInput', nonRetryable: true });

  setHandler(requestSyncSignal, absorb, { description: 'Ask for a sync ({ mode, source, reason?, asOf? }); never refused: requests that meet become one sync.' });
  setHandler(cancelCurrentSignal, (request) => {
    if (!current) return;
    const child = current.handle;
    if (!patched(CANCEL_REQUESTS_CANCELLATION)) {
      void child.signal(cancelSignal, request ?? {}).catch(() => undefined);
      return;
    }
    // Who and why first, then the request that makes the sync end as Canceled.
    const who: CancelRequest = { by: request?.by ?? 'actor', ...(request?.reason ? { reason: request.reason } : {}), withRequest: true };
    void child.signal(cancelSignal, who).catch(() => undefined);
    void getExternalWorkflowHandle(child.workflowId).cancel().catch(() => undefined);
  }, { description: 'Cancel the sync under way ({ by?, reason? }).' });
  setHandler(scheduleSignal, (info) => {
    schedule = info ?? undefined;
    show();
  }, { description: 'The profile\'s schedule changed (or null: removed); shown in its state.' });
  setHandler(stateQuery, state, { description: 'The profile: idle, syncing, paused or backing off; the current job, what is pending, the last result, the schedule.' });
  setHandler(
    startSyncUpdate,
    async (start) => {
      if (profileGone) throw gone();
      if (current || claim || busy) throw inProgress();
      const mine: Claim = { input: start };
      claim = mine;
      await condition(() => mine.result !== undefined || mine.error !== undefined);
      if (mine.error) throw mine.error;
      return mine.result!;
    },
    {
      description: 'Start a full or incremental sync now ({ mode, source, config? }); answers the job, or fails with SyncInProgress.',
      validator: (start) => {
        if (!MODES.includes(start?.mode) || !SOURCES.includes(start?.source)) {
          throw ApplicationFailure.create({ message: 'a sync is full or incremental, from a known source', type: 'InvalidInput', nonRetryable: true });
        }
        configOf(start.config);
        if (profileGone) throw gone();
        if (current || claim || busy) throw inProgress();
      },
    },
  );
  setHandler(
    pauseUpdate,
    (request) => {
      paused = { by: request?.by ?? 'client', ...(request?.reason ? { reason: request.reason } : {}), at: Date.now() };
      show();
      return state();
    },
    {
      description: 'Pause automatic syncs ({ by?, reason? }); a sync under way goes on.',
      validator: (request?: PauseInput) => {
        const text = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 500);
        if (!text(request?.by) || !text(request?.reason)) {
          throw ApplicationFailure.create({ message: 'a pause names who and why in at most 500 characters each', type: 'InvalidInput', nonRetryable: true });
        }
      },
    },
  );
  setHandler(resumeUpdate, () => {
    paused = undefined;
    failures = 0;
    backoffUntil = undefined;
    show();
    return state();
  }, { description: 'Resume a paused profile and end its backoff; what waited runs.' });

  /** Starts one sync as the child workflow of the job, records its job, and waits for its ending. */
  const runSync = async (request: { mode: SyncMode; source: RequestSource; config?: Partial<SyncConfig>; reason?: string }, from?: Claim) => {
    let config: SyncConfig;
    try {
      config = configOf(request.config);
    } catch (err) {
      if (from) from.error = err as ApplicationFailure;
      else log.warn('sync request dropped: its settings are invalid', { message: (err as Error).message });
      return;
    }
    const byName = patched(SYNC_ID_BY_NAME);
    const plan = await prepareSync({ profileId: input.profileId, mode: request.mode });
    if (!plan) {
      profileGone = true;
      if (from) from.error = gone();
      return;
    }
    const jobId = uuid4();
    const workflowId = byName ? syncIdForProfile(input.profileName) : workflowIdForProfile(input.profileId);
    const heldBy = byName ? plan.heldBy : undefined;
    if (heldBy) {
      // A sync under the profile's old workflow id is running: this request waits for it.
      await waitBehind(request, from, heldBy);
      return;
    }
    let handle: ChildWorkflowHandle<typeof syncWorkflow>;
    try {
      handle = await startChild(syncWorkflow, {
        workflowId,
        args: [{ jobId, profileId: input.profileId, mode: plan.mode, config }],
        workflowRunTimeout: `${config.syncTimeoutSecs}s`,
        // The sync outlives an actor that is reset or terminated; the next actor waits for it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        memo: { jobId, profileName: input.profileName, requestedBy: request.source },
        staticSummary: `${plan.mode} sync of ${input.profileName} (${plan.provider}: ${plan.root}), asked by ${request.source}${request.reason ? `: ${request.reason}` : ''}`,
        ...(input.searchAttributes === false
          ? {}
          : {
              typedSearchAttributes: [
                { key: PROFILE_ATTR, value: input.profileName },
                { key: PROVIDER_ATTR, value: plan.provider },
                { key: MODE_ATTR, value: plan.mode },
              ],
            }),
      });
    } catch (err) {
      // (The class lives in @temporalio/common, which workflow code does not import.)
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
      // A sync started outside the actor holds the profile: it is running, so this request waits for it.
      await waitBehind(request, from);
      return;
    }
    current = { jobId, mode: plan.mode, source: request.source, startedAt: Date.now(), handle };
    lastStartedAt = current.startedAt;
    if (from) claim = undefined;
    show();
    await recordJob({ jobId, profileId: input.profileId, mode: plan.mode, workflowId, runId: handle.firstExecutionRunId, source: request.source });
    if (from) from.result = { jobId, workflowId, runId: handle.firstExecutionRunId };
    let outcome: SyncOutcome;
    try {
      outcome = { status: (await handle.result()).status };
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      outcome = syncOutcome(err);
    }
    const ran = current;
    current = undefined;
    settle(ran, outcome);
  };

  /** A sync the actor did not start holds the profile: a start-now is refused naming it (when known),
   * a request is kept and looked at again in a while. */
  const waitBehind = async (request: { mode: SyncMode; source: RequestSource; config?: Partial<SyncConfig>; reason?: string }, from?: Claim, runningJobId?: string) => {
    if (from) from.error = inProgress(runningJobId);
    else {
      absorb({ mode: request.mode, source: request.source, ...(request.reason ? { reason: request.reason } : {}), ...(request.config ? { config: request.config } : {}) });
      await sleep('30s');
    }
  };

  const settle = (ran: { jobId: string; mode: SyncMode; startedAt: number }, outcome: SyncOutcome) => {
    const { jobId } = ran;
    const status: JobStatus = outcome.status;
    last = { jobId, status, finishedAt: Date.now(), ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.kind ? { errorKind: outcome.kind } : {}) };
    if (status === 'completed' || status === 'needs_review') {
      failures = 0;
      backoffUntil = undefined;
      if (paused?.by === 'failure') paused = undefined;
      // Requests that all came before it started are answered by it.
      const covers = ran.mode === 'full' || pending?.request.mode === 'incremental';
      if (pending && covers && (pending.latest ?? pending.since) < ran.startedAt) pending = undefined;
    } else if (status === 'failed' || status === 'timed_out') {
      failures += 1;
      backoffUntil = Date.now() + backoffMs(failures);
      if (outcome.kind && needsAPerson(outcome.kind)) {
        paused = { by: 'failure', reason: `${outcome.error ?? 'the sync failed'} (${outcome.kind})`, at: Date.now() };
      }
    }
    show();
  };

  const rotate = () => !current && !claim && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= HISTORY_EVENTS_PER_RUN);

  for (;;) {
    show();
    // Backing off, the wait ends with the backoff, so requests that waited for it run then.
    const waitMs = !paused && backoffUntil !== undefined && backoffUntil > Date.now() ? backoffUntil - Date.now() : undefined;
    await condition(() => claim !== undefined || runnable() || rotate(), waitMs);
    if (claim && !claim.result && !claim.error) {
      const from = claim;
      busy = true;
      await runSync(from.input, from);
      busy = false;
      if (claim === from) claim = undefined;
    } else if (rotate()) {
      // Between syncs, before anything pending runs (it is carried): a profile that is never idle for
      // long still hands over in time. Every message is handled first; a start-now that came meanwhile
      // runs first.
      await condition(() => allHandlersFinished() || claim !== undefined);
      if (claim) continue;
      return continueAsNew<typeof profileWorkflow>({
        ...input,
        carried: {
          ...(pending ? { pending } : {}), ...(last ? { last } : {}), ...(lastStartedAt !== undefined ? { lastStartedAt } : {}),
          ...(paused ? { paused } : {}), failures, ...(backoffUntil !== undefined ? { backoffUntil } : {}), ...(schedule ? { schedule } : {}),
        },
      });
    } else if (runnable()) {
      const next = pending!;
      pending = undefined;
      busy = true;
      await runSync({ ...next.request, source: next.sources.find((s) => !isAutomatic(s)) ?? next.sources[0]! });
      busy = false;
    }
    if (profileGone) {
      if (claim && !claim.result && !claim.error) claim.error = gone();
      await condition(allHandlersFinished);
      log.info('profile is gone; its actor ends', { profileId: input.profileId });
      return;
    }
  }
}

/** The sync's settings; invalid ones are the caller's mistake. */
function configOf(partial: Partial<SyncConfig> | undefined): SyncConfig {
  try {
    return resolveConfig(partial);
  } catch (err) {
    throw ApplicationFailure.create({ message: (err as Error).message, type: 'InvalidInput', nonRetryable: true });
  }
}

// Database rows as the client's types.
import { countersOf } from '../db/jobs.ts';
import type { Profile, SyncEventRow, SyncJobRow, TrackRow } from '../db/schema.ts';
import { tagsOf, trackFileOf } from '../db/tracks.ts';
import type { ProfileInfo, SyncEvent, SyncJob, Track } from './types.ts';

export function toSyncJob(row: SyncJobRow): SyncJob {
  return {
    id: row.id,
    profileId: row.profile_id,
    provider: row.provider,
    mode: row.mode,
    status: row.status,
    phase: row.phase,
    workflowId: row.workflow_id,
    runId: row.run_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    cursor: row.cursor,
    error: row.error,
    errorKind: row.error_kind,
    needsReview: row.needs_review,
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
    tracksBefore: row.tracks_before,
    requestedBy: row.requested_by,
    ...countersOf(row),
  };
}

export function toSyncEvent(row: SyncEventRow): SyncEvent {
  return { id: String(row.id), jobId: row.job_id, type: row.type, at: row.created_at, ...row.payload } as SyncEvent;
}

export function toTrack(row: TrackRow): Track {
  return { id: row.id, ...trackFileOf(row), contentHash: row.content_hash, audioHash: row.audio_hash, audioHashScope: row.audio_hash_scope, ...tagsOf(row), deletedAt: row.deleted_at };
}

export function toProfileInfo(row: Profile): ProfileInfo {
  return { id: row.id, name: row.name, provider: row.provider, root: row.root, settings: row.settings, createdAt: row.created_at };
}

import { countersOf } from '../db/jobs.ts';
import type { Profile, SyncEventRow, SyncJobRow, TrackRow } from '../db/schema.ts';
import type { SyncPhase } from '../sync/contract.ts';
import type { ProfileInfo, SyncEvent, SyncJob, Track } from './types.ts';

export function toSyncJob(row: SyncJobRow): SyncJob {
  return {
    id: row.id,
    profileId: row.profile_id,
    provider: row.provider,
    mode: row.mode,
    status: row.status,
    phase: row.phase as SyncPhase,
    workflowId: row.workflow_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    cursor: row.cursor,
    error: row.error,
    errorKind: row.error_kind,
    needsReview: row.needs_review,
    ...countersOf(row),
  };
}

export function toSyncEvent(row: SyncEventRow): SyncEvent {
  return { id: String(row.id), jobId: row.job_id, type: row.type, at: row.created_at, ...row.payload } as SyncEvent;
}

export function toTrack(row: TrackRow): Track {
  return {
    id: row.id,
    path: row.path,
    fileId: row.file_id,
    size: Number(row.size),
    modifiedAt: row.modified_at,
    contentHash: row.content_hash,
    title: row.title,
    artists: row.artists,
    album: row.album,
    albumArtist: row.album_artist,
    trackNo: row.track_no,
    trackTotal: row.track_total,
    discNo: row.disc_no,
    discTotal: row.disc_total,
    year: row.year,
    genres: row.genres,
    durationMs: row.duration_ms,
    codec: row.codec,
    container: row.container,
    bitrate: row.bitrate,
    sampleRate: row.sample_rate,
    channels: row.channels,
    lossless: row.lossless,
    musicbrainz: {
      trackId: row.mb_track_id, recordingId: row.mb_recording_id, albumId: row.mb_album_id,
      artistIds: row.mb_artist_ids, albumArtistIds: row.mb_album_artist_ids,
    },
    replayGain: {
      trackGainDb: row.replaygain_track_gain_db, trackPeak: row.replaygain_track_peak,
      albumGainDb: row.replaygain_album_gain_db, albumPeak: row.replaygain_album_peak,
    },
    hasArtwork: row.has_artwork,
    deletedAt: row.deleted_at,
  };
}

export function toProfileInfo(row: Profile): ProfileInfo {
  return { id: row.id, name: row.name, provider: row.provider, root: row.root, settings: row.settings, createdAt: row.created_at };
}

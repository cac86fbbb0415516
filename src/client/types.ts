import type { Counters, JobStatus, SyncMode, SyncPhase } from '../sync/contract.ts';

/** The seed's SyncJob, as the client returns it. */
export interface SyncJob extends Counters {
  id: string;
  profileId: string;
  provider: string;
  mode: SyncMode;
  status: JobStatus;
  phase: SyncPhase;
  workflowId: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cursor: string | null;
  error: string | null;
  errorKind: string | null;
  needsReview: string | null;
}

export type SyncEvent =
  | { id: string; jobId: string; type: 'started'; at: Date; profileId: string; provider: string; mode: SyncMode }
  | { id: string; jobId: string; type: 'progress'; at: Date; phase: SyncPhase; counters?: Partial<Counters>; needsReview?: string }
  | { id: string; jobId: string; type: 'completed'; at: Date; status: JobStatus; counters: Counters; needsReview?: string }
  | { id: string; jobId: string; type: 'failed'; at: Date; status: JobStatus; counters: Counters; message: string; kind: string; recoverable: boolean }
  | { id: string; jobId: string; type: 'cancelled'; at: Date; status: JobStatus; counters: Counters };

export interface Track {
  id: string;
  path: string;
  fileId: string;
  size: number;
  modifiedAt: Date | null;
  contentHash: string;
  title: string;
  artists: string[];
  album: string | null;
  albumArtist: string | null;
  trackNo: number | null;
  trackTotal: number | null;
  discNo: number | null;
  discTotal: number | null;
  year: number | null;
  genres: string[];
  durationMs: number | null;
  codec: string | null;
  container: string | null;
  bitrate: number | null;
  sampleRate: number | null;
  channels: number | null;
  lossless: boolean | null;
  musicbrainz: { trackId: string | null; recordingId: string | null; albumId: string | null; artistIds: string[]; albumArtistIds: string[] };
  replayGain: { trackGainDb: number | null; trackPeak: number | null; albumGainDb: number | null; albumPeak: number | null };
  hasArtwork: boolean;
  deletedAt: Date | null;
}

export interface ProfileInfo {
  id: string;
  name: string;
  provider: string;
  root: string;
  settings: Record<string, unknown>;
  createdAt: Date;
}

import type { IAudioMetadata } from 'music-metadata';

/** The tags we keep for a track, in our own names (one name per idea across code, schema and CLI). */
export interface TrackTags {
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
  mbTrackId: string | null;
  mbRecordingId: string | null;
  mbAlbumId: string | null;
  mbArtistIds: string[];
  mbAlbumArtistIds: string[];
  replaygainTrackGainDb: number | null;
  replaygainTrackPeak: number | null;
  replaygainAlbumGainDb: number | null;
  replaygainAlbumPeak: number | null;
  hasArtwork: boolean;
}

const int = (n: number | null | undefined): number | null =>
  typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : null;
const num = (n: number | null | undefined): number | null => (typeof n === 'number' && Number.isFinite(n) ? n : null);
const text = (s: string | null | undefined): string | null => {
  const t = typeof s === 'string' ? s.replace(/\0+$/g, '').trim() : '';
  return t.length > 0 ? t : null;
};
const texts = (list: readonly (string | null | undefined)[] | undefined): string[] => {
  const seen = new Set<string>();
  for (const s of list ?? []) {
    const t = text(s);
    if (t) seen.add(t);
  }
  return [...seen];
};

/** File name without folder and extension: the title of a file that has no title tag. */
export function titleFromPath(relPath: string): string {
  const base = relPath.split('/').at(-1) ?? relPath;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function toTrackTags(meta: IAudioMetadata, relPath: string): TrackTags {
  const { common, format } = meta;
  // Prefer the format's own multi-value artists over splitting a joined string ("K/DA" stays whole).
  const artists = texts(common.artists && common.artists.length > 0 ? common.artists : [common.artist]);
  const year = int(common.year) ?? (common.date ? int(Number.parseInt(common.date.slice(0, 4), 10)) : null);
  return {
    title: text(common.title) ?? titleFromPath(relPath),
    artists,
    album: text(common.album),
    albumArtist: text(common.albumartist),
    trackNo: int(common.track?.no),
    trackTotal: int(common.track?.of),
    discNo: int(common.disk?.no),
    discTotal: int(common.disk?.of),
    year: year && year > 0 && year < 10000 ? year : null,
    genres: texts(common.genre),
    durationMs: format.duration !== undefined ? int(format.duration * 1000) : null,
    codec: text(format.codec),
    container: text(format.container),
    bitrate: int(format.bitrate),
    sampleRate: int(format.sampleRate),
    channels: int(format.numberOfChannels),
    lossless: format.lossless ?? null,
    mbTrackId: text(common.musicbrainz_trackid),
    mbRecordingId: text(common.musicbrainz_recordingid),
    mbAlbumId: text(common.musicbrainz_albumid),
    mbArtistIds: texts(common.musicbrainz_artistid),
    mbAlbumArtistIds: texts(common.musicbrainz_albumartistid),
    replaygainTrackGainDb: num(common.replaygain_track_gain?.dB),
    replaygainTrackPeak: num(common.replaygain_track_peak?.ratio),
    replaygainAlbumGainDb: num(common.replaygain_album_gain?.dB),
    replaygainAlbumPeak: num(common.replaygain_album_peak?.ratio),
    hasArtwork: (common.picture?.length ?? 0) > 0,
  };
}

// music-metadata's reading of a file, turned into the tags a track keeps (src/contract/track.ts):
// text trimmed, lists without duplicates, numbers finite, a title even when the file has none.
import type { IAudioMetadata } from 'music-metadata';
import type { TrackTags } from '../contract/track.ts';

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
    hasArtwork: (common.picture?.length ?? 0) > 0,
    musicbrainz: {
      trackId: text(common.musicbrainz_trackid),
      recordingId: text(common.musicbrainz_recordingid),
      albumId: text(common.musicbrainz_albumid),
      artistIds: texts(common.musicbrainz_artistid),
      albumArtistIds: texts(common.musicbrainz_albumartistid),
    },
    replayGain: {
      trackGainDb: num(common.replaygain_track_gain?.dB),
      trackPeak: num(common.replaygain_track_peak?.ratio),
      albumGainDb: num(common.replaygain_album_gain?.dB),
      albumPeak: num(common.replaygain_album_peak?.ratio),
    },
  };
}

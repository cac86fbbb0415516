// music-metadata's reading of a file, turned into the tags a track keeps (src/contract/track.ts).
// Every value passes tag-values.ts on its way in, so whatever a file holds, the track is storable.
import type { IAudioMetadata } from 'music-metadata';
import type { TrackTags } from '../contract/track.ts';
import { displayName } from '../providers/path-bytes.ts';
import { cleanText, cleanTexts, intIn, ordinal, positiveInt, realIn, TEXT_LIMITS } from './tag-values.ts';

const UNTITLED = 'Untitled';

/** File name without folder and extension, as people read it (a Latin-1 name shows its accents):
 * the title of a file that has no title tag. */
export function titleFromPath(relPath: string): string {
  const base = displayName(relPath.split('/').at(-1) ?? relPath);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

const yearOf = (common: IAudioMetadata['common']): number | null =>
  intIn(common.year, 1, 9999) ?? (common.date ? intIn(Number.parseInt(common.date.slice(0, 4), 10), 1, 9999) : null);

export function toTrackTags(meta: IAudioMetadata, relPath: string): TrackTags {
  const { common, format } = meta;
  const { label, id } = TEXT_LIMITS;
  // Prefer the format's own multi-value artists over splitting a joined string ("K/DA" stays whole).
  const artists = cleanTexts(common.artists && common.artists.length > 0 ? common.artists : [common.artist]);
  return {
    title: cleanText(common.title) ?? cleanText(titleFromPath(relPath)) ?? UNTITLED,
    artists,
    album: cleanText(common.album),
    albumArtist: cleanText(common.albumartist),
    trackNo: ordinal(common.track?.no),
    trackTotal: ordinal(common.track?.of),
    discNo: ordinal(common.disk?.no),
    discTotal: ordinal(common.disk?.of),
    year: yearOf(common),
    genres: cleanTexts(common.genre),
    durationMs: format.duration !== undefined ? positiveInt(format.duration * 1000) : null,
    codec: cleanText(format.codec, label),
    container: cleanText(format.container, label),
    bitrate: positiveInt(format.bitrate),
    sampleRate: positiveInt(format.sampleRate),
    channels: positiveInt(format.numberOfChannels),
    lossless: typeof format.lossless === 'boolean' ? format.lossless : null,
    hasArtwork: (common.picture?.length ?? 0) > 0,
    musicbrainz: {
      trackId: cleanText(common.musicbrainz_trackid, id),
      recordingId: cleanText(common.musicbrainz_recordingid, id),
      albumId: cleanText(common.musicbrainz_albumid, id),
      artistIds: cleanTexts(common.musicbrainz_artistid, id),
      albumArtistIds: cleanTexts(common.musicbrainz_albumartistid, id),
    },
    replayGain: {
      // Gains beyond ±100 dB or peaks beyond 100× full scale are no measurement anyone made.
      trackGainDb: realIn(common.replaygain_track_gain?.dB, -100, 100),
      trackPeak: realIn(common.replaygain_track_peak?.ratio, 0, 100),
      albumGainDb: realIn(common.replaygain_album_gain?.dB, -100, 100),
      albumPeak: realIn(common.replaygain_album_peak?.ratio, 0, 100),
    },
  };
}

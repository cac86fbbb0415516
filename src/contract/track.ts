// A track, described once. The tag map below is the only place that lists a track's tags: the media
// reader fills `TrackTags`, the database stores each tag in the column named by its flat name in
// snake_case (`albumArtist` in `album_artist`, `musicbrainz.trackId` in `mb_track_id`), and the
// client's `Track` and the CLI's JSON are `TrackTags` as they are. The schema's migration is frozen in
// time and spells the columns out once more; the database tests hold the two together.

/** How a tag is typed: `text` and the numbers are null when absent, `text!` is always there, `texts`
 * is a list (empty when absent), `flag` is a yes/no that may be unknown (null), `flag!` never is. */
export type TagType = 'text' | 'text!' | 'texts' | 'int' | 'real' | 'flag' | 'flag!';

/** Tags that belong together are grouped; a group's columns take its prefix (`mb_`, `replaygain_`). */
interface TagGroup {
  readonly prefix: string;
  readonly tags: Readonly<Record<string, TagType>>;
}

export const TRACK_TAGS = {
  title: 'text!',
  artists: 'texts',
  album: 'text',
  albumArtist: 'text',
  year: 'int',
  trackNo: 'int',
  trackTotal: 'int',
  discNo: 'int',
  discTotal: 'int',
  genres: 'texts',
  durationMs: 'int',
  codec: 'text',
  container: 'text',
  bitrate: 'int',
  sampleRate: 'int',
  channels: 'int',
  lossless: 'flag',
  hasArtwork: 'flag!',
  musicbrainz: {
    prefix: 'mb',
    tags: { trackId: 'text', recordingId: 'text', albumId: 'text', artistIds: 'texts', albumArtistIds: 'texts' },
  },
  replayGain: {
    prefix: 'replaygain',
    tags: { trackGainDb: 'real', trackPeak: 'real', albumGainDb: 'real', albumPeak: 'real' },
  },
} as const satisfies Record<string, TagType | TagGroup>;

type Spec = typeof TRACK_TAGS;

type ValueOf<T> = T extends 'text!' ? string
  : T extends 'text' ? string | null
  : T extends 'texts' ? string[]
  : T extends 'int' | 'real' ? number | null
  : T extends 'flag' ? boolean | null
  : T extends 'flag!' ? boolean
  : never;

/** The tags of one track, grouped as the map groups them. */
export type TrackTags = {
  -readonly [K in keyof Spec]: Spec[K] extends { tags: infer G } ? { -readonly [M in keyof G]: ValueOf<G[M]> } : ValueOf<Spec[K]>;
};

type FlatOf<K extends keyof Spec> = Spec[K] extends { prefix: infer P extends string; tags: infer G }
  ? { -readonly [M in keyof G & string as `${P}${Capitalize<M>}`]: ValueOf<G[M]> }
  : { -readonly [N in K]: ValueOf<Spec[K]> };
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The same tags with group members under their flat names (`mbTrackId`): one column each. */
export type FlatTrackTags = Simplify<UnionToIntersection<{ [K in keyof Spec]: FlatOf<K> }[keyof Spec]>>;

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

type Entry = readonly [flat: string, group: string | undefined, tag: string];

const ENTRIES: readonly Entry[] = Object.entries(TRACK_TAGS as Record<string, TagType | TagGroup>).flatMap(([name, spec]): Entry[] =>
  typeof spec === 'string'
    ? [[name, undefined, name]]
    : Object.keys(spec.tags).map((tag): Entry => [`${spec.prefix}${capitalize(tag)}`, name, tag]),
);

/** Every tag's flat name, in the map's order. */
export const FLAT_TAG_NAMES = ENTRIES.map(([flat]) => flat) as readonly (keyof FlatTrackTags)[];

export function flattenTags(tags: TrackTags): FlatTrackTags {
  const nested = tags as unknown as Record<string, unknown>;
  const flat: Record<string, unknown> = {};
  for (const [name, group, tag] of ENTRIES) {
    flat[name] = group === undefined ? nested[name] : (nested[group] as Record<string, unknown>)[tag];
  }
  return flat as FlatTrackTags;
}

export function nestTags(flat: FlatTrackTags): TrackTags {
  const source = flat as unknown as Record<string, unknown>;
  const nested: Record<string, unknown> = {};
  for (const [name, group, tag] of ENTRIES) {
    if (group === undefined) nested[name] = source[name];
    else ((nested[group] ??= {}) as Record<string, unknown>)[tag] = source[name];
  }
  return nested as TrackTags;
}

/** The file a track was read from, as its provider listed it. */
export interface TrackFile {
  /** The provider's stable id of the file (device:inode for a local folder). */
  fileId: string;
  /** Relative to the profile's root, with `/`. */
  path: string;
  size: number;
  modifiedAt: Date | null;
}

export const TRACK_FILE_KEYS = ['fileId', 'path', 'size', 'modifiedAt'] as const satisfies readonly (keyof TrackFile)[];

/** What a track's audio hash covers: the audio stream alone (tags and artwork excluded), or the
 * whole file where the format cannot be split. */
export type AudioHashScope = 'stream' | 'file';

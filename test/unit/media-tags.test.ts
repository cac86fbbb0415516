// Tag values are made storable at one boundary (toTrackTags): whatever a file holds, a track comes
// out with clean, bounded text and plausible numbers.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IAudioMetadata } from 'music-metadata';
import { readTrack } from '../../src/media/read-track.ts';
import { TEXT_LIMITS } from '../../src/media/tag-values.ts';
import { titleFromPath, toTrackTags } from '../../src/media/tags.ts';
import { bytesToText } from '../../src/providers/path-bytes.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import { encodeFlac, encodeMp3, type FixtureTags } from '../../src/testing/fixtures.ts';

const INT4_MAX = 2 ** 31 - 1;

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-tags-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function readFlac(tags: FixtureTags, name = 'x.flac') {
  await writeFile(path.join(dir, name), encodeFlac(tags, 1));
  return (await readTrack(new LocalProvider(dir), { fileId: name, path: name, mimeType: null }, { parseTimeoutMs: 60_000 })).tags;
}

/** music-metadata's result with the given common and format fields (the rest empty). */
function meta(common: Record<string, unknown>, format: Record<string, unknown> = {}): IAudioMetadata {
  return {
    common: { track: { no: null, of: null }, disk: { no: null, of: null }, movementIndex: {}, ...common },
    format: { tagTypes: [], trackInfo: [], ...format },
    native: {},
    quality: { warnings: [] },
  } as unknown as IAudioMetadata;
}

describe('real files with hostile tags become normal tracks', () => {
  test('a FLAC title with a NUL byte and a track number of 99999999999', async () => {
    const tags = await readFlac({ title: 'Bad\0Title', artists: ['A\0B'], trackNo: 99_999_999_999, discNo: 0, year: 1999 });
    assert.equal(tags.title, 'BadTitle');
    assert.deepEqual(tags.artists, ['AB']);
    assert.equal(tags.trackNo, null);
    assert.equal(tags.discNo, null);
    assert.equal(tags.year, 1999);
  });

  test('a 10 MB comment, and a 5 MB title with 5 MB of lyrics', async () => {
    const comment = await readFlac({ title: 'Fine', extraComments: [`COMMENT=${'c'.repeat(10_000_000)}`] }, 'comment.flac');
    assert.equal(comment.title, 'Fine');
    const huge = await readFlac({ title: 't'.repeat(5_000_000), extraComments: [`LYRICS=${'l\n'.repeat(2_500_000)}`] }, 'lyrics.flac');
    assert.equal(huge.title.length, TEXT_LIMITS.name);
    assert.ok(huge.durationMs && huge.durationMs > 0);
  });

  test('a title read from an MP3 keeps its accents and loses its line breaks', async () => {
    await writeFile(path.join(dir, 'y.mp3'), encodeMp3({ title: 'Café\r\nDel\tMar', artists: ['Ñandú'] }, 1));
    const { tags } = await readTrack(new LocalProvider(dir), { fileId: 'y', path: 'y.mp3', mimeType: null }, { parseTimeoutMs: 30_000 });
    assert.equal(tags.title, 'Café Del Mar');
    assert.deepEqual(tags.artists, ['Ñandú']);
  });
});

describe('text', () => {
  test('NUL and control characters go, line breaks and tabs become one space, lone surrogates U+FFFD', () => {
    const tags = toTrackTags(
      meta({
        title: '\u0000 Hello\u0001\u0007 \t\r\n  World\u0085!\u009f\u0000',
        album: '\ufeffAlbum\u2028Two',
        albumartist: 'a\ud800b\udc00c',
        artists: ['Emoji \ud83c\udfb5 ok', '\u0000\u0001', 'Dup', 'Dup'],
        genre: ['Rock\n', 'Rock'],
      }),
      'x.mp3',
    );
    assert.equal(tags.title, 'Hello World !');
    assert.equal(tags.album, 'Album Two');
    assert.equal(tags.albumArtist, 'a\ufffdb\ufffdc');
    assert.deepEqual(tags.artists, ['Emoji \ud83c\udfb5 ok', 'Dup'], 'a pair stays, an empty value goes, duplicates go');
    assert.deepEqual(tags.genres, ['Rock']);
  });

  test('texts and lists are bounded, never splitting a surrogate pair', () => {
    const emoji = '\ud83c\udfb5';
    const tags = toTrackTags(
      meta({ title: `${'a'.repeat(TEXT_LIMITS.name - 1)}${emoji}`, artists: Array.from({ length: 500 }, (_, i) => `Artist ${i}`) }, { codec: 'c'.repeat(10_000) }),
      'x.mp3',
    );
    assert.equal(tags.title, 'a'.repeat(TEXT_LIMITS.name - 1));
    assert.equal(tags.artists.length, 100);
    assert.equal(tags.codec?.length, TEXT_LIMITS.label);
  });

  test('a title from a Latin-1 file name reads as Windows-1252; a name of control characters is Untitled', () => {
    const latin1 = bytesToText(Buffer.from('Beyonc\xe9 - Halo.mp3', 'latin1'));
    assert.equal(titleFromPath(`Music/${latin1}`), 'Beyoncé - Halo');
    assert.equal(toTrackTags(meta({}), `Music/${latin1}`).title, 'Beyoncé - Halo');
    assert.equal(toTrackTags(meta({}), 'Music/\u0001\u0002.mp3').title, 'Untitled');
    assert.equal(toTrackTags(meta({ title: ' \u0000 ' }), 'Music/Real Name.flac').title, 'Real Name');
  });
});

describe('numbers', () => {
  test('track and disc numbers and totals are 1..99,999; years 1..9999', () => {
    const at = (no: unknown, year: unknown) => toTrackTags(meta({ track: { no, of: no }, disk: { no, of: no }, year }), 'x.mp3');
    assert.deepEqual([at(1, 1).trackNo, at(99_999, 9999).trackTotal, at(99_999, 9999).year], [1, 99_999, 9999]);
    for (const bad of [0, -1, 100_000, 99_999_999_999, Number.NaN, Infinity, '7']) {
      const tags = at(bad, bad);
      assert.deepEqual([tags.trackNo, tags.trackTotal, tags.discNo, tags.discTotal, tags.year], [null, null, null, null, null], String(bad));
    }
    assert.equal(toTrackTags(meta({ date: '0000-01-01' }), 'x.mp3').year, null);
    assert.equal(toTrackTags(meta({ date: '1987-05-01' }), 'x.mp3').year, 1987);
  });

  test('bit rate, sample rate, channels and duration are positive and fit a Postgres integer', () => {
    const ok = toTrackTags(meta({}, { bitrate: 320_000, sampleRate: 44_100, numberOfChannels: 2, duration: 61.5 }), 'x.mp3');
    assert.deepEqual([ok.bitrate, ok.sampleRate, ok.channels, ok.durationMs], [320_000, 44_100, 2, 61_500]);
    for (const bad of [0, -3, INT4_MAX + 1, 1e20, Number.NaN, Infinity]) {
      const t = toTrackTags(meta({}, { bitrate: bad, sampleRate: bad, numberOfChannels: bad, duration: bad }), 'x.mp3');
      assert.deepEqual([t.bitrate, t.sampleRate, t.channels, t.durationMs], [null, null, null, null], String(bad));
    }
    assert.equal(toTrackTags(meta({}, { duration: INT4_MAX / 1000 + 1 }), 'x.mp3').durationMs, null, 'duration in ms fits too');
  });

  test('ReplayGain values are finite and within a sane range', () => {
    const rg = (dB: number, ratio: number) =>
      toTrackTags(meta({ replaygain_track_gain: { dB }, replaygain_track_peak: { ratio }, replaygain_album_gain: { dB }, replaygain_album_peak: { ratio } }), 'x.mp3').replayGain;
    assert.deepEqual(rg(-6.5, 0.98), { trackGainDb: -6.5, trackPeak: 0.98, albumGainDb: -6.5, albumPeak: 0.98 });
    for (const [dB, ratio] of [[Number.NaN, Number.NaN], [Infinity, -Infinity], [1e9, 1e9], [-101, -0.1]]) {
      assert.deepEqual(rg(dB!, ratio!), { trackGainDb: null, trackPeak: null, albumGainDb: null, albumPeak: null });
    }
  });
});

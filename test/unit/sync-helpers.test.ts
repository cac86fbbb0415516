import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterFile } from '../../src/media/audio-formats.ts';
import { DEFAULT_SYNC_CONFIG, gracePeriodMs, resolveConfig } from '../../src/contract/config.ts';
import { mapLimit } from '../../src/activities/map-limit.ts';
import { titleFromPath, toTrackTags } from '../../src/media/tags.ts';
import type { IAudioMetadata } from 'music-metadata';

test('filter keeps audio by extension or MIME type and drops the rest with a reason', () => {
  assert.deepEqual(filterFile({ path: 'a/B.MP3', size: 10, mimeType: null }, 100), { keep: true });
  assert.deepEqual(filterFile({ path: 'a/noext', size: 10, mimeType: 'audio/flac' }, 100), { keep: true });
  assert.deepEqual(filterFile({ path: 'x.bin', size: 10, mimeType: 'application/ogg' }, 100), { keep: true });
  assert.deepEqual(filterFile({ path: 'cover.jpg', size: 10, mimeType: null }, 100), { keep: false, reason: 'not an audio file' });
  assert.equal(filterFile({ path: 'big.flac', size: 101, mimeType: null }, 100).keep, false);
  assert.equal(filterFile({ path: '.mp3', size: 1, mimeType: null }, 100).keep, false, 'a dot-file named .mp3 has no extension');
});

test('config rejects nonsense with the field name', () => {
  assert.deepEqual(resolveConfig(undefined), DEFAULT_SYNC_CONFIG);
  assert.equal(resolveConfig({ batchSize: 7, wifiOnly: undefined }).batchSize, 7);
  assert.throws(() => resolveConfig({ batchSize: 0 }), /batchSize/);
  assert.throws(() => resolveConfig({ maxConcurrentDownloads: 1.5 }), /maxConcurrentDownloads/);
  assert.throws(() => resolveConfig({ massDeleteRatio: 0 }), /massDeleteRatio/);
  assert.ok(gracePeriodMs(3600) === 60_000 && gracePeriodMs(20) === 5_000);
});

test('title falls back to the file name; multi-value artists stay whole', () => {
  assert.equal(titleFromPath('Artist/Album/01 Song.name.flac'), '01 Song.name');
  const meta = {
    common: { artists: ['K/DA', 'Madison Beer'], artist: 'K/DA, Madison Beer', genre: ['Pop', 'Pop'], track: { no: 3, of: 9 }, disk: { no: null, of: null }, date: '2018-10-29', movementIndex: {} },
    format: { duration: 1.5, codec: 'FLAC', lossless: true, tagTypes: [], trackInfo: [] },
    native: {}, quality: { warnings: [] },
  } as unknown as IAudioMetadata;
  const tags = toTrackTags(meta, 'x/POP STARS.flac');
  assert.equal(tags.title, 'POP STARS');
  assert.deepEqual(tags.artists, ['K/DA', 'Madison Beer']);
  assert.deepEqual(tags.genres, ['Pop']);
  assert.equal(tags.year, 2018);
  assert.equal(tags.durationMs, 1500);
  assert.equal(tags.trackNo, 3);
  assert.equal(tags.discNo, null);
});

test('mapLimit keeps order and never exceeds its limit', async () => {
  let active = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
    active += 1;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, n));
    active -= 1;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
});

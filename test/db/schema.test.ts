// The names in code and the columns of the migrated schema are held together: every counter, listed
// file field and track tag has the column its snake_case name says, with the type its description
// says, and no column of those tables goes without a name in code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { COUNTER_NAMES } from '../../src/contract/counters.ts';
import { FLAT_TAG_NAMES, TRACK_FILE_KEYS, TRACK_TAGS, flattenTags, nestTags, type TagType, type TrackTags } from '../../src/contract/track.ts';
import { snakeCase } from '../../src/db/columns.ts';
import { tagColumns } from '../../src/db/tracks.ts';
import { PROVIDER_FILE_KEYS } from '../../src/providers/types.ts';
import { startTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
before(async () => {
  testDb = await startTestDb();
});
after(async () => {
  await testDb?.close();
});

interface Column {
  type: string;
  nullable: boolean;
}

async function columnsOf(table: string): Promise<Map<string, Column>> {
  const rows = await sql<{ column_name: string; data_type: string; udt_name: string; is_nullable: string }>`
    select column_name, data_type, udt_name, is_nullable from information_schema.columns
    where table_schema = 'public' and table_name = ${table}`.execute(testDb.db);
  return new Map(rows.rows.map((r) => [r.column_name, { type: r.data_type === 'ARRAY' ? r.udt_name : r.data_type, nullable: r.is_nullable === 'YES' }]));
}

/** The column a tag of this type needs. */
const EXPECTED: Record<TagType, Column> = {
  text: { type: 'text', nullable: true },
  'text!': { type: 'text', nullable: false },
  texts: { type: '_text', nullable: false },
  int: { type: 'integer', nullable: true },
  real: { type: 'double precision', nullable: true },
  flag: { type: 'boolean', nullable: true },
  'flag!': { type: 'boolean', nullable: false },
};

/** Every tag's flat name with its type, from the map. */
function tagTypes(): Map<string, TagType> {
  const types = new Map<string, TagType>();
  for (const [name, spec] of Object.entries(TRACK_TAGS)) {
    if (typeof spec === 'string') types.set(name, spec);
    else for (const [tag, type] of Object.entries(spec.tags)) types.set(`${spec.prefix}${tag[0]!.toUpperCase()}${tag.slice(1)}`, type);
  }
  return types;
}

describe('schema and names in code', () => {
  test('every track tag has its column, typed as the tag map says, and every tracks column has a name', async () => {
    const columns = await columnsOf('tracks');
    const types = tagTypes();
    assert.deepEqual([...types.keys()], [...FLAT_TAG_NAMES]);
    for (const [name, type] of types) {
      assert.deepEqual(columns.get(snakeCase(name)), EXPECTED[type], `tag ${name} in column ${snakeCase(name)}`);
    }
    const named = new Set([...FLAT_TAG_NAMES, ...TRACK_FILE_KEYS].map(snakeCase));
    const own = ['id', 'profile_id', 'content_hash', 'audio_hash', 'audio_hash_scope', 'created_at', 'updated_at', 'last_job_id', 'deleted_at'];
    for (const column of columns.keys()) assert.ok(named.has(column) || own.includes(column), `tracks.${column} has a name in code`);
    for (const key of TRACK_FILE_KEYS) assert.ok(columns.has(snakeCase(key)), `track file field ${key}`);
  });

  test('every counter and every listed-file field has its column', async () => {
    const jobs = await columnsOf('sync_jobs');
    for (const name of COUNTER_NAMES) assert.equal(jobs.get(snakeCase(name))?.nullable, false, `counter ${name}`);
    const counted = [...jobs.keys()].filter((c) => c.startsWith('items_') || c === 'duplicate_groups' || c === 'bytes_read');
    assert.deepEqual(counted.sort(), COUNTER_NAMES.map(snakeCase).sort(), 'no counter column without a counter');
    const items = await columnsOf('scan_items');
    for (const key of PROVIDER_FILE_KEYS) assert.ok(items.has(snakeCase(key)), `scan_items has ${snakeCase(key)}`);
  });

  test('tags survive the trip to columns and back, grouped as the client shows them', () => {
    const tags: TrackTags = {
      title: 'T', artists: ['A', 'B'], album: null, albumArtist: 'AA', year: 1999, trackNo: 1, trackTotal: 9, discNo: null,
      discTotal: null, genres: ['Jazz'], durationMs: 1500, codec: 'FLAC', container: 'FLAC', bitrate: null, sampleRate: 44100,
      channels: 2, lossless: true, hasArtwork: false,
      musicbrainz: { trackId: 'mbt', recordingId: null, albumId: 'mba', artistIds: ['x'], albumArtistIds: [] },
      replayGain: { trackGainDb: -6.5, trackPeak: 0.9, albumGainDb: null, albumPeak: null },
    };
    const columns = tagColumns(tags) as Record<string, unknown>;
    assert.equal(columns.mb_track_id, 'mbt');
    assert.equal(columns.replaygain_track_gain_db, -6.5);
    assert.equal(columns.album_artist, 'AA');
    assert.equal(Object.keys(columns).length, FLAT_TAG_NAMES.length);
    assert.deepEqual(nestTags(flattenTags(tags)), tags);
  });
});

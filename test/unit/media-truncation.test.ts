// A cut file fails as truncated, format by format, from the structure the audio-hash walk sees; a
// complete one never does: not the fixtures the other tests and the bench use, not one complete file
// of the sample corpus.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTrack, type ReadTrackResult, UnreadableFileError } from '../../src/media/read-track.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import {
  encodeFlac, encodeId3v1, encodeId3v23, encodeMp3, encodeMpegFrames, encodeOpus, encodeTrack, encodeWav, planLibrary,
  type FixtureTags,
} from '../../src/testing/fixtures.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;
const TRUNCATED = /^file is truncated: /;

let dir: string;
let written = 0;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-truncation-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function read(bytes: Uint8Array, ext: string): Promise<ReadTrackResult> {
  const name = `f${++written}${ext}`;
  await writeFile(path.join(dir, name), bytes);
  return readTrack(new LocalProvider(dir), { fileId: name, path: name, mimeType: null }, { parseTimeoutMs: 30_000 });
}

async function assertTruncated(bytes: Uint8Array, ext: string, detail?: RegExp): Promise<void> {
  await assert.rejects(read(bytes, ext), (err: unknown) => {
    assert.ok(err instanceof UnreadableFileError, `an UnreadableFileError, not ${String(err)}`);
    assert.match(err.message, TRUNCATED);
    if (detail) assert.match(err.message, detail);
    return true;
  });
}

const half = (b: Uint8Array) => b.subarray(0, Math.floor(b.length / 2));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const TAGS: FixtureTags = { title: 'Song', artists: ['Artist'], album: 'Album', trackNo: 1, year: 2001, picture: true };

describe('MP3', () => {
  test('half a file: its last frame runs past the end', async () => {
    await assertTruncated(half(encodeMp3(TAGS, 1)), '.mp3', /last frame needs \d+ bytes more/);
    await assertTruncated(concat(half(encodeMp3(TAGS, 1)), encodeId3v1(TAGS)), '.mp3', /last frame/);
  });

  test('cut on a frame boundary: fewer frames than its Info header counts', async () => {
    const frames = withInfoHeader(encodeMpegFrames(40, 3));
    const tag = encodeId3v23(TAGS, 3);
    assert.equal((await read(concat(tag, frames), '.mp3')).audioHashScope, 'stream', 'the whole file is fine');
    await assertTruncated(concat(tag, frames.subarray(0, 20 * 417)), '.mp3', /Info header counts 16680 bytes, the file has 8746/);
    const framesOnly = withInfoHeader(encodeMpegFrames(40, 3), false);
    await assertTruncated(concat(tag, framesOnly.subarray(0, 20 * 417)), '.mp3', /Info header counts 39 frames, the file holds 20/);
  });

  test('zeros where the second half of the frames should be (a download never finished)', async () => {
    const mp3 = encodeMp3(TAGS, 4, 400);
    const zeroed = Uint8Array.from(mp3);
    zeroed.fill(0, mp3.length - 200 * 417);
    await assertTruncated(zeroed, '.mp3', /bytes of audio are zeros/);
  });
});

describe('FLAC', () => {
  test('half a file: its last frame is incomplete', async () => {
    await assertTruncated(half(encodeFlac(TAGS, 1, 40)), '.flac');
  });

  test('cut on a frame boundary: its frames end before the samples STREAMINFO counts', async () => {
    const whole = encodeFlac({}, 2, 12);
    const frame = 14; // each fixture frame: 6-byte header, two 3-byte CONSTANT subframes, CRC-16
    await assertTruncated(whole.subarray(0, whole.length - 3 * frame), '.flac', /STREAMINFO counts 49152 samples, its frames end at sample 36864/);
  });

  test('cut inside the picture block: the block claims more than the file has', async () => {
    const whole = encodeFlac(TAGS, 5);
    await assertTruncated(whole.subarray(0, 300), '.flac');
  });
});

describe('Ogg', () => {
  test('half a file: its last page is incomplete', async () => {
    await assertTruncated(half(encodeOpus(TAGS, 1, 400)), '.opus', /last Ogg page is incomplete/);
  });

  test('cut on a page boundary: the stream has no end-of-stream page', async () => {
    const whole = encodeOpus(TAGS, 2, 800);
    const lastPage = Buffer.from(whole).lastIndexOf('OggS');
    await assertTruncated(whole.subarray(0, lastPage), '.opus', /has no end-of-stream page/);
  });
});

describe('WAV, AIFF and MP4', () => {
  test('WAV: the data chunk claims more than the file has', async () => {
    await assertTruncated(half(encodeWav(TAGS, 1)), '.wav', /data chunk claims/);
  });

  test('AIFF: the SSND chunk claims more than the file has', { skip: noCorpus }, async () => {
    const bytes = await readFile(path.join(CORPUS, 'aiff/M1F1-int8-AFsp.aif'));
    await assertTruncated(half(bytes), '.aif', /SSND chunk claims/);
  });

  test('MP4: the mdat box claims more than the file has', { skip: noCorpus }, async () => {
    const bytes = await readFile(path.join(CORPUS, "MusicBrainz - Beth Hart - Sinner's Prayer.m4a"));
    await assertTruncated(bytes.subarray(0, bytes.length - 1000), '.m4a', /mdat box claims/);
  });
});

test('the fixtures the tests and the bench use are whole', async () => {
  for (const format of ['mp3', 'flac'] as const) {
    for (const frames of [undefined, 1, 2, 40, 300]) {
      for (const seed of [1, 2, 3]) {
        const r = await read(encodeTrack({ ...TAGS, picture: seed === 2 }, { format, seed, frames }), `.${format}`);
        assert.equal(r.audioHashScope, 'stream', `${format} ${frames} frames`);
      }
    }
  }
  for (const p of planLibrary(30, 11)) {
    const r = await read(encodeTrack(p.tags, { format: p.format, seed: p.seed }), `.${p.format}`);
    assert.equal(r.audioHashScope, 'stream');
  }
  assert.equal((await read(encodeOpus(TAGS, 1), '.opus')).audioHashScope, 'stream');
  assert.equal((await read(encodeWav(TAGS, 1), '.wav')).audioHashScope, 'stream');
});

/**
 * The sample corpus's files that were cut (most by the sample collection itself, to keep it small):
 * each with the evidence its own structure gives. Every other file must read without a truncation.
 */
const CUT_SAMPLES: Record<string, RegExp> = {
  // Info/Xing headers of LAME and others state the whole stream's bytes: MB, where the sample has KB.
  '04-Strawberry.mp3': /Info header counts/,
  'id3-multi-02.mp3': /Info header counts/,
  'mp3/issue-331.apev2.mp3': /Info header counts/,
  'mp3/issue-362.apev1.mp3': /Info header counts/,
  'mp3/issue-471.mp3': /Info header counts/,
  'Luomo - Tessio (Spektre Remix) ID3v10.mp3': /Xing header counts/,
  'mp3/APEv2+Lyrics3v2.mp3': /Xing header counts/,
  'mp3/Betty Lou.mp3': /Xing header counts/,
  'mp3/Solace.mp3': /Xing header counts/,
  'mp3/adts-0-frame.mp3': /Xing header counts/,
  'mp3/issue-2497.mp3': /Xing header counts/,
  'mp3/issue-554.mp3': /Xing header counts/,
  'mp3/issue-828.mp3': /Xing header counts/,
  // The last frame's header promises bytes the file does not have (two are cut at round sizes:
  // adts-mpeg4.aac at 40 KiB, sin1k0db.mp3 at 130 KiB).
  'aac/adts-mpeg4.aac': /last frame needs 103 bytes/,
  'bug-unkown encoding.mp3': /last frame needs 114 bytes/,
  'bug-utf16bom-encoding.mp3': /last frame needs 162 bytes/,
  'id3v2.2.mp3': /last frame needs 53 bytes/,
  'mp3/layer3/compl.mp3': /last frame needs 169 bytes/,
  'mp3/layer3/sin1k0db.mp3': /last frame needs 6 bytes/,
  // 99,929 zero bytes between the last frame and the ID3v1 tag: space reserved, never downloaded.
  'incomplete.mp3': /last 99929 bytes of audio are zeros/,
  // STREAMINFO counts minutes of samples; the sample stops inside a frame a couple of seconds in.
  'flac.flac': /last FLAC frame \(from sample 86016\) is incomplete/,
  'MusicBrainz-Picard-tags.flac': /last FLAC frame \(from sample 86016\) is incomplete/,
  'flac-bug.flac': /last FLAC frame \(from sample 159744\) is incomplete/,
  // The last page's segment table claims more body than follows it.
  'ogg/issue_70.ogg': /last Ogg page is incomplete/,
  'ogg/ogg-multipagemetadata-bug.ogg': /last Ogg page is incomplete/,
  // Its pages end without the end-of-stream page (the corpus holds the whole file as last-page.oga).
  'ogg/no-last-page.oga': /has no end-of-stream page/,
  // Its moov box (and no mdat follows) claims 16 bytes more than the file has.
  'mp4/issue-749.m4a': /moov box claims 300436 bytes/,
  // 100 bytes whose data chunk claims 49.5 MB.
  'wav/odd-list-type.wav': /data chunk claims 49503120 bytes/,
};

test('the sample corpus: the cut samples fail as truncated, no complete file does', { skip: noCorpus, timeout: 300_000 }, async (t) => {
  const files: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(CORPUS, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (!/\.(txt|md|jpg|gif)$/.test(e.name)) files.push(r);
    }
  };
  await walk('');
  const provider = new LocalProvider(CORPUS);
  const byFormat = new Map<string, { whole: number; cut: number; unreadable: number }>();
  for (const file of files) {
    const format = path.extname(file).toLowerCase() || '(none)';
    const counts = byFormat.get(format) ?? { whole: 0, cut: 0, unreadable: 0 };
    byFormat.set(format, counts);
    let error: Error | undefined;
    try {
      await readTrack(provider, { fileId: file, path: file, mimeType: null }, { parseTimeoutMs: 30_000 });
    } catch (err) {
      error = err as Error;
    }
    const expected = CUT_SAMPLES[file];
    if (expected) {
      assert.match(error?.message ?? 'read as whole', TRUNCATED, `${file} is cut`);
      assert.match(error!.message, expected, file);
      counts.cut += 1;
    } else if (error) {
      assert.doesNotMatch(error.message, /truncated/, `${file} is complete`);
      counts.unreadable += 1;
    } else {
      counts.whole += 1;
    }
  }
  assert.deepEqual(Object.keys(CUT_SAMPLES).filter((f) => !files.includes(f)), [], 'every listed sample is in the corpus');
  t.diagnostic(`${files.length} files: ${[...byFormat].map(([f, c]) => `${f} ${c.whole} whole/${c.cut} cut/${c.unreadable} other`).join(', ')}`);
});

/** LAME's Info tag in the first (silent) frame: frame count (the frames after it) and byte count. */
function withInfoHeader(frames: Uint8Array, withBytes = true): Uint8Array {
  const out = Uint8Array.from(frames);
  const view = new DataView(out.buffer);
  out.set(Buffer.from('Info', 'latin1'), 36);
  view.setUint32(40, withBytes ? 3 : 1); // which fields follow: frames (1), bytes (2)
  view.setUint32(44, frames.length / 417 - 1);
  if (withBytes) view.setUint32(48, frames.length);
  return out;
}

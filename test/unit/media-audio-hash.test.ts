// The audio hash: the same recording under other tags (grown, added, moved) keeps it; other audio
// does not. Files are real: fixtures made in memory and copies of the sample corpus retagged byte by
// byte, written to a temporary folder and read through the local provider.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFile } from 'music-metadata';
import { readTrack, type ReadTrackResult } from '../../src/media/read-track.ts';
import { LocalProvider } from '../../src/providers/local/index.ts';
import type { StorageProvider } from '../../src/providers/types.ts';
import {
  encodeApeV2, encodeFlac, encodeId3v1, encodeId3v23, encodeLyrics3v2, encodeMp3, encodeMpegFrames, encodeOpus,
  encodeWav, oggPage, oggPages, type FixtureTags, type OggPacket,
} from '../../src/testing/fixtures.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/music-metadata-samples');
const noCorpus = existsSync(CORPUS) ? false : `no sample corpus at ${CORPUS}`;

let dir: string;
let provider: LocalProvider;
let written = 0;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'music-sync-audio-hash-'));
  provider = new LocalProvider(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

async function read(bytes: Uint8Array, ext: string): Promise<ReadTrackResult & { file: string }> {
  const name = `f${++written}${ext}`;
  await writeFile(path.join(dir, name), bytes);
  const result = await readTrack(provider, { fileId: name, path: name, mimeType: null }, { parseTimeoutMs: 30_000 });
  return { ...result, file: path.join(dir, name) };
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Reads every variant; all must share one audio hash (scope `stream`) and differ in content. */
async function assertSameAudio(ext: string, variants: Record<string, Uint8Array>): Promise<string> {
  const results = new Map<string, ReadTrackResult>();
  for (const [name, bytes] of Object.entries(variants)) results.set(name, await read(bytes, ext));
  const [first, ...rest] = [...results.entries()];
  for (const [name, r] of results) assert.equal(r.audioHashScope, 'stream', `${name}: the audio was split from the tags`);
  for (const [name, r] of rest) {
    assert.equal(r.audioHash, first![1].audioHash, `${name} has the audio of ${first![0]}`);
    assert.notEqual(r.contentHash, first![1].contentHash, `${name} differs from ${first![0]} as a file`);
  }
  return first![1].audioHash!;
}

const TAGS: FixtureTags = { title: 'Song', artists: ['Artist'], album: 'Album', trackNo: 1, year: 2001, genre: 'Rock' };
const BIGGER: FixtureTags = { ...TAGS, title: 'A much longer title that grows the tag '.repeat(20), picture: true };

describe('MP3', () => {
  test('a grown ID3v2 tag, stacked ID3v2 tags, ID3v1, APEv2 and Lyrics3v2 leave the audio hash as it was', async () => {
    const seed = 5;
    const base = encodeMp3(TAGS, seed);
    const audio = await assertSameAudio('.mp3', {
      base,
      grown: encodeMp3(BIGGER, seed),
      stacked: concat(encodeId3v23({ title: 'Older tag' }, seed), base),
      id3v1: concat(base, encodeId3v1(TAGS)),
      ape: concat(base, encodeApeV2({ Title: 'Song (APE)', Artist: 'Someone' })),
      apeLyricsId3v1: concat(base, encodeApeV2({ Title: 'x' }), encodeLyrics3v2('la la la'), encodeId3v1(TAGS)),
      untagged: encodeMpegFrames(40, seed),
    });
    assert.equal(audio, sha256(encodeMpegFrames(40, seed)), 'the audio hash is the sha256 of the MPEG frames');
  });

  test('other audio under the same tags has another audio hash', async () => {
    const a = await read(encodeMp3(TAGS, 1), '.mp3');
    const b = await read(encodeMp3(TAGS, 2), '.mp3');
    const longer = await read(encodeMp3(TAGS, 1, 41), '.mp3');
    assert.notEqual(a.audioHash, b.audioHash);
    assert.notEqual(a.audioHash, longer.audioHash);
    assert.notEqual(a.audioHash, a.contentHash, 'the tag is not part of the audio');
  });
});

describe('FLAC', () => {
  test('a picture block, other comments, ID3v2 before and ID3v1 after leave the audio hash as it was', async () => {
    const base = encodeFlac(TAGS, 7);
    await assertSameAudio('.flac', {
      base,
      picture: encodeFlac(BIGGER, 7),
      id3v2: concat(encodeId3v23({ title: 'x' }, 7), base),
      id3v1: concat(base, encodeId3v1(TAGS)),
    });
    const other = await read(encodeFlac(TAGS, 8), '.flac');
    assert.notEqual(other.audioHash, (await read(base, '.flac')).audioHash);
  });
});

describe('WAV', () => {
  test('a longer LIST/INFO chunk before the data moves the audio but keeps its hash', async () => {
    await assertSameAudio('.wav', { base: encodeWav(TAGS, 3), grown: encodeWav(BIGGER, 3), fewer: encodeWav({}, 3) });
    assert.notEqual((await read(encodeWav(TAGS, 3), '.wav')).audioHash, (await read(encodeWav(TAGS, 4), '.wav')).audioHash);
  });

  test('a corpus WAV with its ID3 chunk edited keeps its audio hash', { skip: noCorpus }, async () => {
    const bytes = await readFile(path.join(CORPUS, "MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.3].wav"));
    await assertSameAudio('.wav', { base: bytes, edited: replaceOnce(bytes, "Sinner's Prayer", "Sinner's PRAYER") });
  });
});

describe('AIFF', () => {
  test('an edited ID3 chunk keeps the SSND hash', { skip: noCorpus }, async () => {
    const bytes = await readFile(path.join(CORPUS, "MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.4].aiff"));
    await assertSameAudio('.aiff', { base: bytes, edited: replaceOnce(bytes, "Sinner's Prayer", "Sinner's PRAYER") });
  });
});

describe('MP4', () => {
  test('an edited title and a grown free box that moves mdat keep the audio hash; other audio does not', { skip: noCorpus }, async () => {
    const bytes = new Uint8Array(await readFile(path.join(CORPUS, "MusicBrainz - Beth Hart - Sinner's Prayer.m4a")));
    const edited = replaceOnce(bytes, "Sinner's Prayer", "Sinner's PRAYER");
    const moved = growBox(edited, 'free', 10_000);
    await assertSameAudio('.m4a', { base: bytes, edited, moved });
    assert.equal((await parseFile(path.join(dir, `f${written}.m4a`))).common.title, "Sinner's PRAYER", 'the retag is a valid file');
    const mdat = Buffer.from(bytes).indexOf('mdat') + 100;
    const otherAudio = Uint8Array.from(bytes);
    otherAudio[mdat] = otherAudio[mdat]! ^ 0xff;
    assert.notEqual((await read(otherAudio, '.m4a')).audioHash, (await read(bytes, '.m4a')).audioHash);
  });
});

describe('Ogg', () => {
  test('Opus: a comment header grown over several pages keeps the audio hash', async () => {
    const seed = 9;
    const base = encodeOpus(TAGS, seed);
    await assertSameAudio('.opus', {
      base,
      grown: encodeOpus({ ...BIGGER, extraComments: [`COMMENT=${'x'.repeat(20_000)}`] }, seed),
      repaged: retagOgg(base, (c) => addComment(c, 'COMMENT=x')),
    });
    assert.notEqual((await read(encodeOpus(TAGS, seed + 1), '.opus')).audioHash, (await read(base, '.opus')).audioHash);
  });

  // music-metadata reads no comments from Ogg FLAC: there only the audio hash is checked.
  const samples = { 'ogg/nirvana-2sec.vorbis.ogg': true, "MusicBrainz - Beth Hart - Sinner's Prayer.ogg": true, 'ogg/nirvana-2sec.opus.ogg': true, 'ogg/audio.flac.ogg': false };
  for (const [sample, readsTags] of Object.entries(samples)) {
    test(`${sample}: a retag that re-pages the stream keeps the audio hash`, { skip: noCorpus }, async () => {
      const bytes = new Uint8Array(await readFile(path.join(CORPUS, sample)));
      const retagged = retagOgg(bytes, (comment) => addComment(comment, `TITLE=Retagged ${'~'.repeat(9000)}`));
      await assertSameAudio(path.extname(sample), { base: bytes, retagged });
      if (readsTags) {
        const meta = await parseFile(path.join(dir, `f${written}${path.extname(sample)}`));
        assert.ok(meta.common.title?.startsWith('Retagged'), `the retagged file reads as retagged (${meta.common.title?.slice(0, 20)})`);
      }
    });
  }
});

test('a provider that hands over a few bytes per read gives the same hashes', async () => {
  const files: [string, Uint8Array][] = [
    ['.mp3', concat(encodeMp3(BIGGER, 1, 100), encodeApeV2({ Title: 'x' }), encodeId3v1(TAGS))],
    ['.flac', encodeFlac(BIGGER, 2, 200)],
    ['.opus', encodeOpus(BIGGER, 3, 300)],
    ['.wav', encodeWav(BIGGER, 4)],
  ];
  if (!noCorpus) {
    for (const sample of ['ogg/nirvana-2sec.vorbis.ogg', 'mp4/issue-2672.m4b']) {
      files.push([path.extname(sample), new Uint8Array(await readFile(path.join(CORPUS, sample)))]);
    }
  }
  for (const [ext, bytes] of files) {
    const whole = await read(bytes, ext);
    const name = path.basename(whole.file);
    for (const most of [13, 1000]) {
      const trickle = await readTrack(trickling(provider, most), { fileId: name, path: name, mimeType: null }, { parseTimeoutMs: 60_000 });
      assert.deepEqual([trickle.contentHash, trickle.audioHash, trickle.audioHashScope], [whole.contentHash, whole.audioHash, 'stream'], `${ext}, ${most} bytes a read`);
    }
  }
});

/** The same files, at most `most` bytes per read (as a slow network hands them over). */
function trickling(inner: LocalProvider, most: number): StorageProvider {
  return {
    kind: 'trickling',
    usesNetwork: false,
    validate: () => inner.validate(),
    list: (token, size) => inner.list(token, size),
    async open(file) {
      const reader = await inner.open(file);
      return { size: reader.size, read: (b, o, l, p) => reader.read(b, o, Math.min(l, most), p), close: () => reader.close() };
    },
  };
}

// ---------------------------------------------------------------- byte-level editing

function replaceOnce(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const b = Buffer.from(bytes);
  const at = b.indexOf(from, 0, 'latin1');
  assert.ok(at >= 0 && from.length === to.length, `"${from}" is in the file`);
  const out = Uint8Array.from(b);
  out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

/** Grows the first top-level box of `type` by `extra` zero bytes. */
function growBox(bytes: Uint8Array, type: string, extra: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at);
    if (Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1') === type) {
      const out = concat(bytes.subarray(0, at + size), new Uint8Array(extra), bytes.subarray(at + size));
      new DataView(out.buffer).setUint32(at, size + extra);
      return out;
    }
    at += size;
  }
  throw new Error(`no ${type} box`);
}

interface Page {
  flags: number;
  granule: bigint;
  serial: number;
  segments: Uint8Array[];
}

function parsePages(bytes: Uint8Array): Page[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pages: Page[] = [];
  for (let at = 0; at + 27 <= bytes.length; ) {
    assert.equal(Buffer.from(bytes.subarray(at, at + 4)).toString('latin1'), 'OggS');
    const count = bytes[at + 26]!;
    let body = at + 27 + count;
    const segments: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const length = bytes[at + 27 + i]!;
      segments.push(bytes.subarray(body, body + length));
      body += length;
    }
    pages.push({ flags: bytes[at + 5]!, granule: view.getBigInt64(at + 6, true), serial: view.getUint32(at + 14, true), segments });
    at = body;
  }
  return pages;
}

/**
 * What a tagger does to an Ogg file: rewrites the header packets (the comment one edited), laid in
 * new pages, then copies every later page with its sequence number and CRC redone.
 */
function retagOgg(bytes: Uint8Array, edit: (comment: Uint8Array) => Uint8Array): Uint8Array {
  const pages = parsePages(bytes);
  const serial = pages[0]!.serial;
  const packets: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let headerCount = 0;
  let p = 0;
  for (; headerCount === 0 || packets.length < headerCount; p++) {
    for (const s of pages[p]!.segments) {
      current.push(s);
      if (s.length < 255) {
        packets.push(concat(...current));
        current = [];
      }
    }
    const first = packets[0];
    if (first && headerCount === 0) headerCount = headerPackets(first);
  }
  const commentAt = packets.findIndex((packet, i) => i > 0 && isComment(packet));
  packets[commentAt] = edit(packets[commentAt]!);
  // Ogg FLAC counts its header packets in the first one: an edit keeps the count.
  const header: OggPacket[] = packets.map((data, i) => ({ data, granule: 0n, newPage: i <= 1 }));
  const out = oggPages(serial, header, { eos: false });
  for (const page of pages.slice(p)) out.push(oggPage(serial, out.length, page.flags, page.granule, page.segments));
  return concat(...out);
}

/** Header packets of a stream by its first packet: Vorbis 3, Opus 2, FLAC 1 + its stated count. */
function headerPackets(first: Uint8Array): number {
  const text = Buffer.from(first.subarray(0, 8)).toString('latin1');
  if (text.startsWith('\x01vorbis')) return 3;
  if (text.startsWith('OpusHead')) return 2;
  if (text.startsWith('\x7fFLAC')) return 1 + ((first[7]! << 8) | first[8]!);
  throw new Error(`unknown Ogg codec ${JSON.stringify(text)}`);
}

function isComment(packet: Uint8Array): boolean {
  const text = Buffer.from(packet.subarray(0, 8)).toString('latin1');
  return text.startsWith('\x03vorbis') || text === 'OpusTags' || (packet[0]! & 0x7f) === 4;
}

/** A Vorbis comment packet (Vorbis, Opus or an Ogg FLAC metadata block) with one comment more. */
function addComment(packet: Uint8Array, comment: string): Uint8Array {
  const text = Buffer.from(packet.subarray(0, 8)).toString('latin1');
  const prefix = text.startsWith('\x03vorbis') ? 7 : text === 'OpusTags' ? 8 : 4;
  const b = Buffer.from(packet);
  const vendor = b.readUInt32LE(prefix);
  const countAt = prefix + 4 + vendor;
  const count = b.readUInt32LE(countAt);
  let end = countAt + 4;
  for (let i = 0; i < count; i++) end += 4 + b.readUInt32LE(end);
  const added = Buffer.from(comment, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(added.length);
  const out = Buffer.concat([b.subarray(0, countAt), Buffer.alloc(4), b.subarray(countAt + 4, end), length, added, b.subarray(end)]);
  out.writeUInt32LE(count + 1, countAt);
  if (prefix === 4) out.writeUIntBE(out.length - 4, 1, 3); // the FLAC block header's length
  return new Uint8Array(out);
}

// Real, tagged audio files made in memory: no ffmpeg, no sample files, deterministic from a seed.
//
// - MP3: an ID3v2.3 tag (UTF-16 text frames, optional APIC) followed by valid silent MPEG-1 Layer III
//   frames (128 kbps, 44.1 kHz, stereo, 417 bytes each). The side information is all zero, so every
//   frame's main data is empty and the payload bytes are ancillary data: a few of them carry the seed,
//   which makes each file's bytes (and so its content hash) unique without changing what it decodes to.
// - FLAC: `fLaC`, STREAMINFO (total samples set), VORBIS_COMMENT, optional PICTURE, then real frames
//   whose subframes are CONSTANT (a seed-dependent tiny DC value: unique audio, still silent to the ear),
//   with correct CRC-8/CRC-16.
//
// - WAV (PCM, a LIST/INFO tag before the data) and Ogg Opus (OpusHead, OpusTags, short CELT packets
//   from the seed; its pager lays any packets in Ogg pages), plus the tags other taggers put at the end
//   of a file (ID3v1, APEv2, Lyrics3v2): for the audio-hash and truncation tests.
//
// music-metadata 12 parses them all (title, artists, album, track/disc, year, genre, duration, codec).
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type FixtureFormat = 'mp3' | 'flac';

export interface FixtureTags {
  title?: string;
  /** More than one artist: ID3v2.3 TPE1 values separated by NUL; FLAC one ARTIST comment each. */
  artists?: string[];
  album?: string;
  albumArtist?: string;
  trackNo?: number;
  trackTotal?: number;
  discNo?: number;
  discTotal?: number;
  year?: number;
  genre?: string;
  /** Embed a small (valid) PNG cover. */
  picture?: boolean;
  /** More `KEY=value` comments, as they are (FLAC and Opus only): odd or huge values for tests. */
  extraComments?: string[];
}

export interface FixtureOptions {
  /** Default: from the file extension (`.flac` is FLAC, anything else MP3). */
  format?: FixtureFormat;
  /** Makes the audio bytes unique; same seed + same tags = same bytes. Default 1. */
  seed?: number;
  /** MPEG frames (26.1 ms each) or FLAC frames (4096 samples, 92.9 ms each). Default 40 / 12. */
  frames?: number;
}

export interface WrittenFixture {
  /** Relative to the folder it was written in, with `/`. */
  path: string;
  absPath: string;
  format: FixtureFormat;
  tags: FixtureTags;
  size: number;
  /** Exact duration of the audio written, in seconds. */
  durationSec: number;
}

// ---------------------------------------------------------------- deterministic randomness

/** mulberry32: a tiny seeded PRNG, returns [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
}

// ---------------------------------------------------------------- byte helpers

class Bytes {
  private readonly parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array | number[]): this {
    const u = b instanceof Uint8Array ? b : Uint8Array.from(b);
    this.parts.push(u);
    this.length += u.length;
    return this;
  }
  u8(n: number): this {
    return this.push([n & 0xff]);
  }
  u16be(n: number): this {
    return this.push([(n >>> 8) & 0xff, n & 0xff]);
  }
  u24be(n: number): this {
    return this.push([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  }
  u32be(n: number): this {
    return this.push([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  }
  u32le(n: number): this {
    return this.push([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  }
  ascii(s: string): this {
    return this.push(Buffer.from(s, 'latin1'));
  }
  utf8(s: string): this {
    return this.push(Buffer.from(s, 'utf8'));
  }
  build(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------- cover art (a real PNG)

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC32_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of data) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** An 8x8 RGB PNG of one seed-dependent colour (zlib "stored" block, so no compressor needed). */
export function makePng(seed: number): Uint8Array {
  const w = 8;
  const h = 8;
  const rnd = prng(seed ^ 0x504e47);
  const rgb = [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)];
  const raw = new Bytes();
  for (let y = 0; y < h; y++) {
    raw.u8(0); // filter: none
    for (let x = 0; x < w; x++) raw.push(rgb);
  }
  const rawBytes = raw.build();
  const zlib = new Bytes()
    .push([0x78, 0x01, 0x01])
    .push([rawBytes.length & 0xff, rawBytes.length >>> 8, ~rawBytes.length & 0xff, (~rawBytes.length >>> 8) & 0xff])
    .push(rawBytes)
    .u32be(adler32(rawBytes))
    .build();
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Bytes().ascii(type).push(data).build();
    return new Bytes().u32be(data.length).push(body).u32be(crc32(body)).build();
  };
  const ihdr = new Bytes().u32be(w).u32be(h).push([8, 2, 0, 0, 0]).build();
  return new Bytes()
    .push([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    .push(chunk('IHDR', ihdr))
    .push(chunk('IDAT', zlib))
    .push(chunk('IEND', new Uint8Array(0)))
    .build();
}

// ---------------------------------------------------------------- MP3

const MPEG_FRAME_LEN = 417; // 144 * 128000 / 44100, no padding
const MPEG_SAMPLES_PER_FRAME = 1152;
const MPEG_SAMPLE_RATE = 44100;

function id3TextFrame(id: string, values: string[]): Uint8Array {
  // Encoding 1: UTF-16 with BOM; several values joined by a UTF-16 NUL (the multi-value form
  // music-metadata reads in v2.3; the standard v2.3 "/" would split "AC/DC").
  const text = values.map((v) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(v, 'utf16le')]));
  const body = new Bytes().u8(1);
  text.forEach((t, i) => {
    if (i > 0) body.push([0, 0]);
    body.push(t);
  });
  return id3Frame(id, body.build());
}

function id3Frame(id: string, body: Uint8Array): Uint8Array {
  return new Bytes().ascii(id).u32be(body.length).u16be(0).push(body).build();
}

function syncsafe(n: number): number[] {
  return [(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f];
}

export function encodeId3v23(tags: FixtureTags, seed: number): Uint8Array {
  const frames = new Bytes();
  if (tags.title !== undefined) frames.push(id3TextFrame('TIT2', [tags.title]));
  if (tags.artists && tags.artists.length > 0) frames.push(id3TextFrame('TPE1', tags.artists));
  if (tags.album !== undefined) frames.push(id3TextFrame('TALB', [tags.album]));
  if (tags.albumArtist !== undefined) frames.push(id3TextFrame('TPE2', [tags.albumArtist]));
  if (tags.trackNo !== undefined) {
    frames.push(id3TextFrame('TRCK', [tags.trackTotal ? `${tags.trackNo}/${tags.trackTotal}` : String(tags.trackNo)]));
  }
  if (tags.discNo !== undefined) {
    frames.push(id3TextFrame('TPOS', [tags.discTotal ? `${tags.discNo}/${tags.discTotal}` : String(tags.discNo)]));
  }
  if (tags.year !== undefined) frames.push(id3TextFrame('TYER', [String(tags.year)]));
  if (tags.genre !== undefined) frames.push(id3TextFrame('TCON', [tags.genre]));
  if (tags.picture) {
    const png = makePng(seed);
    // encoding 0, MIME, NUL, picture type 3 (front cover), description "" NUL, data
    frames.push(id3Frame('APIC', new Bytes().u8(0).ascii('image/png').u8(0).u8(3).u8(0).push(png).build()));
  }
  // No padding: music-metadata warns about zero padding whose length is not a multiple of 10.
  const body = frames.build();
  return new Bytes().ascii('ID3').push([3, 0, 0]).push(syncsafe(body.length)).push(body).build();
}

/** Silent CBR MPEG-1 Layer III frames; the last 8 bytes of each frame are ancillary data from the seed. */
export function encodeMpegFrames(count: number, seed: number): Uint8Array {
  const rnd = prng(mix(seed, 0x4d5033));
  const out = new Uint8Array(count * MPEG_FRAME_LEN);
  for (let i = 0; i < count; i++) {
    const o = i * MPEG_FRAME_LEN;
    out.set([0xff, 0xfb, 0x90, 0x04], o); // sync, MPEG-1, Layer III, no CRC; 128 kbps, 44.1 kHz; stereo
    // 32 bytes of side info stay zero: main_data_begin 0, part2_3_length 0 => no main data.
    for (let k = MPEG_FRAME_LEN - 8; k < MPEG_FRAME_LEN; k++) out[o + k] = Math.floor(rnd() * 256);
  }
  return out;
}

export function encodeMp3(tags: FixtureTags, seed: number, frames = 40): Uint8Array {
  const tag = encodeId3v23(tags, seed);
  const audio = encodeMpegFrames(frames, seed);
  const out = new Uint8Array(tag.length + audio.length);
  out.set(tag, 0);
  out.set(audio, tag.length);
  return out;
}

// ---------------------------------------------------------------- FLAC

const FLAC_BLOCK = 4096;
const FLAC_RATE = 44100;
const FLAC_BPS = 16;
const FLAC_CHANNELS = 2;

function crc8(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's UTF-8-like coding of the frame number. */
function flacUtf8(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >>> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >>> 12), 0x80 | ((n >>> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >>> 18), 0x80 | ((n >>> 12) & 0x3f), 0x80 | ((n >>> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

function flacFrame(frameNo: number, value: number): Uint8Array {
  const header = new Bytes()
    .push([0xff, 0xf8]) // sync + reserved 0 + fixed blocksize
    .u8((0b1100 << 4) | 0b1001) // block size 4096 (code 12), sample rate 44.1 kHz (code 9)
    .u8((0b0001 << 4) | (0b100 << 1)) // 2 independent channels, 16 bits per sample
    .push(flacUtf8(frameNo))
    .build();
  const withCrc = new Bytes().push(header).u8(crc8(header));
  // Per channel: subframe header 0 (CONSTANT, no wasted bits) then the 16-bit value.
  for (let c = 0; c < FLAC_CHANNELS; c++) withCrc.u8(0).u16be(value & 0xffff);
  const frame = withCrc.build();
  return new Bytes().push(frame).u16be(crc16(frame)).build();
}

function metadataBlock(type: number, last: boolean, body: Uint8Array): Uint8Array {
  return new Bytes().u8((last ? 0x80 : 0) | type).u24be(body.length).push(body).build();
}

export function encodeFlac(tags: FixtureTags, seed: number, frames = 12): Uint8Array {
  const totalSamples = frames * FLAC_BLOCK;
  // Tiny signed DC values from the seed, one per frame (|v| <= 16 of 32768): inaudible, and the audio
  // stream of every seed its own (33 values per frame, not per file), so distinct fixtures never
  // share an audio hash by chance.
  const audioFrames = Array.from({ length: frames }, (_, i) => flacFrame(i, (mix(mix(seed, 0x464c4143), i) % 33) - 16));
  const frameSize = audioFrames[0]!.length;

  const streamInfo = new Bytes().u16be(FLAC_BLOCK).u16be(FLAC_BLOCK).u24be(frameSize).u24be(frameSize);
  // 20 bits sample rate | 3 bits channels-1 | 5 bits bps-1 | 36 bits total samples
  const hi = FLAC_RATE * 16 + (FLAC_CHANNELS - 1) * 2 + ((FLAC_BPS - 1) >>> 4); // first 24 bits
  streamInfo.u24be(hi);
  // low 4 bits of bps-1, then the 36-bit total: 4 bits + 32 bits
  const totalHi = Math.floor(totalSamples / 2 ** 32) & 0x0f;
  streamInfo.u8((((FLAC_BPS - 1) & 0x0f) << 4) | totalHi).u32be(totalSamples >>> 0);
  streamInfo.push(new Uint8Array(16)); // MD5 unknown (all zero is allowed)

  const comments: string[] = [];
  if (tags.title !== undefined) comments.push(`TITLE=${tags.title}`);
  for (const a of tags.artists ?? []) comments.push(`ARTIST=${a}`);
  if (tags.album !== undefined) comments.push(`ALBUM=${tags.album}`);
  if (tags.albumArtist !== undefined) comments.push(`ALBUMARTIST=${tags.albumArtist}`);
  if (tags.trackNo !== undefined) comments.push(`TRACKNUMBER=${tags.trackNo}`);
  if (tags.trackTotal !== undefined) comments.push(`TRACKTOTAL=${tags.trackTotal}`);
  if (tags.discNo !== undefined) comments.push(`DISCNUMBER=${tags.discNo}`);
  if (tags.discTotal !== undefined) comments.push(`DISCTOTAL=${tags.discTotal}`);
  if (tags.year !== undefined) comments.push(`DATE=${tags.year}`);
  if (tags.genre !== undefined) comments.push(`GENRE=${tags.genre}`);
  comments.push(...(tags.extraComments ?? []));
  const vendor = 'music-sync fixtures';
  const vorbis = new Bytes().u32le(Buffer.byteLength(vendor)).utf8(vendor).u32le(comments.length);
  for (const c of comments) vorbis.u32le(Buffer.byteLength(c)).utf8(c);

  const blocks: [number, Uint8Array][] = [
    [0, streamInfo.build()],
    [4, vorbis.build()],
  ];
  if (tags.picture) {
    const png = makePng(seed);
    const mime = 'image/png';
    blocks.push([
      6,
      new Bytes().u32be(3).u32be(mime.length).ascii(mime).u32be(0).u32be(8).u32be(8).u32be(24).u32be(0)
        .u32be(png.length).push(png).build(),
    ]);
  }
  const out = new Bytes().ascii('fLaC');
  blocks.forEach(([type, body], i) => out.push(metadataBlock(type, i === blocks.length - 1, body)));
  for (const f of audioFrames) out.push(f);
  return out.build();
}

// ---------------------------------------------------------------- tags at the end of a file

/** An ID3v1.1 tag (128 bytes): title, first artist, album, year, track number; Latin-1, cut to fit. */
export function encodeId3v1(tags: FixtureTags): Uint8Array {
  const out = new Uint8Array(128);
  const put = (text: string | undefined, at: number, length: number) =>
    out.set(Buffer.from((text ?? '').slice(0, length), 'latin1').subarray(0, length), at);
  out.set(Buffer.from('TAG', 'latin1'), 0);
  put(tags.title, 3, 30);
  put(tags.artists?.[0], 33, 30);
  put(tags.album, 63, 30);
  put(tags.year !== undefined ? String(tags.year) : '', 93, 4);
  out[125] = 0; // ID3v1.1: a zero byte, then the track number
  out[126] = (tags.trackNo ?? 0) & 0xff;
  out[127] = 255; // no genre
  return out;
}

/** An APEv2 tag with header and footer; each item a UTF-8 text. */
export function encodeApeV2(items: Record<string, string>): Uint8Array {
  const body = new Bytes();
  for (const [key, value] of Object.entries(items)) {
    const v = Buffer.from(value, 'utf8');
    body.u32le(v.length).u32le(0).ascii(key).u8(0).push(v);
  }
  const fields = body.build();
  const count = Object.keys(items).length;
  const frame = (flags: number) =>
    new Bytes().ascii('APETAGEX').u32le(2000).u32le(fields.length + 32).u32le(count).u32le(flags).push(new Uint8Array(8)).build();
  // Flags: bit 31 "has a header", bit 29 "this is the header".
  return new Bytes().push(frame(0xa0000000)).push(fields).push(frame(0x80000000)).build();
}

/** A Lyrics3v2 block holding `lyrics` (as written after the audio, before an ID3v1 tag). */
export function encodeLyrics3v2(lyrics: string): Uint8Array {
  const field = (id: string, data: string) => `${id}${String(Buffer.byteLength(data, 'latin1')).padStart(5, '0')}${data}`;
  const block = `LYRICSBEGIN${field('IND', '10')}${field('LYR', lyrics)}`;
  return Buffer.from(`${block}${String(block.length).padStart(6, '0')}LYRICS200`, 'latin1');
}

// ---------------------------------------------------------------- WAV

/** A PCM WAV (44.1 kHz, 16-bit stereo) whose samples are a tiny seed-dependent DC value, tagged with
 * a LIST/INFO chunk before the data (so a longer tag moves the audio). */
export function encodeWav(tags: FixtureTags, seed: number, samples = 4410): Uint8Array {
  // One tiny value per 441 samples (10 ms), so every seed has audio of its own.
  const data = new Bytes();
  for (let i = 0; i < samples * FLAC_CHANNELS; i++) {
    const value = (mix(mix(seed, 0x57415645), Math.floor(i / (441 * FLAC_CHANNELS))) % 33) - 16;
    data.push([value & 0xff, (value >> 8) & 0xff]);
  }
  const info = new Bytes().ascii('INFO');
  const text = (id: string, value: string | undefined) => {
    if (value === undefined) return;
    const v = Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
    info.ascii(id).u32le(v.length).push(v);
    if (v.length & 1) info.u8(0);
  };
  text('INAM', tags.title);
  text('IART', tags.artists?.join('; '));
  text('IPRD', tags.album);
  text('IGNR', tags.genre);
  text('ICRD', tags.year !== undefined ? String(tags.year) : undefined);
  text('ITRK', tags.trackNo !== undefined ? String(tags.trackNo) : undefined);
  const chunk = (id: string, body: Uint8Array) => new Bytes().ascii(id).u32le(body.length).push(body).build();
  const fmt = new Bytes().push([1, 0]).push([FLAC_CHANNELS, 0]).u32le(FLAC_RATE).u32le(FLAC_RATE * 4).push([4, 0]).push([16, 0]).build();
  const body = new Bytes().ascii('WAVE').push(chunk('fmt ', fmt)).push(chunk('LIST', info.build())).push(chunk('data', data.build())).build();
  return new Bytes().ascii('RIFF').u32le(body.length).push(body).build();
}

// ---------------------------------------------------------------- Ogg Opus

const OGG_CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function oggCrc(page: Uint8Array): number {
  let c = 0;
  for (const b of page) c = ((c << 8) ^ OGG_CRC_TABLE[((c >>> 24) ^ b) & 0xff]!) >>> 0;
  return c;
}

export interface OggPacket {
  data: Uint8Array;
  /** The granule position of the stream once this packet is done (-1: none ends on its page). */
  granule: bigint;
  /** Start a new page with this packet (Ogg mappings put each header packet on its own page). */
  newPage?: boolean;
}

/** One Ogg page (CRC filled in) from its header fields and segments. */
export function oggPage(serial: number, sequence: number, flags: number, granule: bigint, segments: Uint8Array[]): Uint8Array {
  const lacing: number[] = [];
  for (const s of segments) lacing.push(s.length);
  const header = new Bytes().ascii('OggS').u8(0).u8(flags);
  const g = new Uint8Array(8);
  new DataView(g.buffer).setBigInt64(0, granule, true);
  header.push(g).u32le(serial).u32le(sequence).u32le(0).u8(lacing.length).push(lacing);
  const page = new Bytes().push(header.build());
  for (const s of segments) page.push(s);
  const bytes = page.build();
  new DataView(bytes.buffer).setUint32(22, oggCrc(bytes), true);
  return bytes;
}

export interface OggPagingOptions {
  /** Largest page body (default 4096). */
  pageBytes?: number;
  /** Sequence number of the first page (default 0). */
  firstSequence?: number;
  /** The first page begins the stream (default true). */
  bos?: boolean;
  /** The last page ends the stream (default true). */
  eos?: boolean;
}

/** Packets cut into 255-byte lacing segments and laid in pages. */
export function oggPages(serial: number, packets: OggPacket[], options: OggPagingOptions = {}): Uint8Array[] {
  const { pageBytes = 4096, firstSequence = 0, bos = true, eos = true } = options;
  const pages: Uint8Array[] = [];
  let segments: Uint8Array[] = [];
  let body = 0;
  let granule = -1n;
  let continued = false; // the page being filled starts with the rest of a packet
  const flush = (last: boolean, nextContinued: boolean) => {
    const flags = (continued ? 1 : 0) | (bos && pages.length === 0 ? 2 : 0) | (eos && last ? 4 : 0);
    pages.push(oggPage(serial, firstSequence + pages.length, flags, granule, segments));
    segments = [];
    body = 0;
    granule = -1n;
    continued = nextContinued;
  };
  packets.forEach((packet, p) => {
    if (packet.newPage && segments.length > 0) flush(false, false);
    const d = packet.data;
    for (let at = 0; ; at += 255) {
      const piece = d.subarray(at, Math.min(d.length, at + 255));
      if (segments.length === 255 || (segments.length > 0 && body + piece.length > pageBytes)) flush(false, at > 0);
      segments.push(piece);
      body += piece.length;
      if (piece.length < 255) break;
    }
    granule = packet.granule;
    if (p === packets.length - 1) flush(true, false);
    else if (packets[p + 1]!.newPage) flush(false, false);
  });
  return pages;
}

/** A whole logical stream, BOS on its first page and EOS on its last. */
export function oggStream(serial: number, packets: OggPacket[], pageBytes = 4096): Uint8Array {
  const out = new Bytes();
  for (const page of oggPages(serial, packets, { pageBytes })) out.push(page);
  return out.build();
}

const OPUS_PRE_SKIP = 312;
const OPUS_SAMPLES_PER_PACKET = 960; // 20 ms at 48 kHz

/** Opus's comment header: vendor, then `KEY=value` comments (a cover as METADATA_BLOCK_PICTURE). */
export function opusTags(tags: FixtureTags, seed: number): Uint8Array {
  const comments: string[] = [];
  if (tags.title !== undefined) comments.push(`TITLE=${tags.title}`);
  for (const a of tags.artists ?? []) comments.push(`ARTIST=${a}`);
  if (tags.album !== undefined) comments.push(`ALBUM=${tags.album}`);
  if (tags.trackNo !== undefined) comments.push(`TRACKNUMBER=${tags.trackNo}`);
  if (tags.year !== undefined) comments.push(`DATE=${tags.year}`);
  if (tags.genre !== undefined) comments.push(`GENRE=${tags.genre}`);
  if (tags.picture) {
    const png = makePng(seed);
    const mime = 'image/png';
    const block = new Bytes().u32be(3).u32be(mime.length).ascii(mime).u32be(0).u32be(8).u32be(8).u32be(24).u32be(0)
      .u32be(png.length).push(png).build();
    comments.push(`METADATA_BLOCK_PICTURE=${Buffer.from(block).toString('base64')}`);
  }
  comments.push(...(tags.extraComments ?? []));
  const vendor = 'music-sync fixtures';
  const out = new Bytes().ascii('OpusTags').u32le(Buffer.byteLength(vendor)).utf8(vendor).u32le(comments.length);
  for (const c of comments) out.u32le(Buffer.byteLength(c)).utf8(c);
  return out.build();
}

/** The packets of an Ogg Opus file: OpusHead, OpusTags, then 20 ms stereo CELT packets whose few
 * payload bytes come from the seed (unique audio bytes; never meant to be played). */
export function opusPackets(tags: FixtureTags, seed: number, packets = 50): OggPacket[] {
  const head = new Bytes().ascii('OpusHead').u8(1).u8(2).push([OPUS_PRE_SKIP & 0xff, OPUS_PRE_SKIP >> 8])
    .u32le(48000).push([0, 0]).u8(0).build();
  const rnd = prng(mix(seed, 0x4f505553));
  const out: OggPacket[] = [
    { data: head, granule: 0n, newPage: true },
    { data: opusTags(tags, seed), granule: 0n, newPage: true },
  ];
  for (let i = 0; i < packets; i++) {
    const data = new Uint8Array(9);
    data[0] = 0xfc; // TOC: config 31 (CELT, fullband, 20 ms), stereo, one frame
    for (let k = 1; k < data.length; k++) data[k] = Math.floor(rnd() * 256);
    out.push({ data, granule: BigInt(OPUS_PRE_SKIP + (i + 1) * OPUS_SAMPLES_PER_PACKET), newPage: i === 0 });
  }
  return out;
}

/** An Ogg Opus file (`.opus`): one logical stream whose serial comes from the seed. */
export function encodeOpus(tags: FixtureTags, seed: number, packets = 50): Uint8Array {
  return oggStream(mix(seed, 0x4f676753), opusPackets(tags, seed, packets));
}

// ---------------------------------------------------------------- files

export function formatOf(relPath: string): FixtureFormat {
  return relPath.toLowerCase().endsWith('.flac') ? 'flac' : 'mp3';
}

export function encodeTrack(tags: FixtureTags, options: FixtureOptions & { format: FixtureFormat }): Uint8Array {
  const seed = options.seed ?? 1;
  return options.format === 'flac' ? encodeFlac(tags, seed, options.frames) : encodeMp3(tags, seed, options.frames);
}

export function durationOf(format: FixtureFormat, frames?: number): number {
  return format === 'flac'
    ? ((frames ?? 12) * FLAC_BLOCK) / FLAC_RATE
    : ((frames ?? 40) * MPEG_SAMPLES_PER_FRAME) / MPEG_SAMPLE_RATE;
}

/** Writes one tagged audio file at `dir/relPath` (folders created). */
export async function writeTrackFile(
  dir: string,
  relPath: string,
  tags: FixtureTags,
  options: FixtureOptions = {},
): Promise<WrittenFixture> {
  const format = options.format ?? formatOf(relPath);
  const bytes = encodeTrack(tags, { ...options, format });
  const absPath = path.join(dir, ...relPath.split('/'));
  await fs.mkdir(path.dirname(absPath), { recursive: true });
  await fs.writeFile(absPath, bytes);
  return { path: relPath, absPath, format, tags, size: bytes.length, durationSec: durationOf(format, options.frames) };
}

// ---------------------------------------------------------------- libraries

const WORDS = [
  'Amber', 'Blue', 'Crystal', 'Dawn', 'Echo', 'Fire', 'Golden', 'Harbor', 'Iron', 'Jade', 'Kite', 'Lunar',
  'Midnight', 'Neon', 'Ocean', 'Paper', 'Quiet', 'River', 'Silver', 'Thunder', 'Velvet', 'Winter', 'Young',
  'Zephyr', 'Garden', 'Signal', 'Mirror', 'Static', 'Hollow', 'Summer', 'Canyon', 'Ember', 'Lantern', 'Orbit',
  'Prism', 'Shadow', 'Storm', 'Tide', 'Wild', 'Wolf', 'Café', 'Straße', 'Ñandú', 'Øresund', 'Tōkyō',
];
const ARTIST_FIRST = ['The', 'Los', 'DJ', 'MC', 'Lady', 'Captain', 'Doctor', 'Little', 'Big', 'Saint'];
const GENRES = ['Rock', 'Jazz', 'Electronic', 'Hip-Hop', 'Classical', 'Folk', 'Pop', 'Ambient', 'Metal', 'Soul'];

export interface GeneratedTrack extends WrittenFixture {
  seed: number;
}

export interface GenerateOptions {
  /** Share of FLAC files (default 0.2). */
  flacShare?: number;
  /** Share of files with an embedded cover (default 0.25). */
  pictureShare?: number;
  /** Frames per file (see FixtureOptions.frames). */
  frames?: number;
  /** Write this many files at once (default 16). */
  parallel?: number;
}

/** The tags and relative paths of a library, without writing anything (deterministic from the seed). */
export function planLibrary(count: number, seed: number, options: GenerateOptions = {}): {
  path: string; format: FixtureFormat; tags: FixtureTags; seed: number;
}[] {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const word = () => pick(WORDS);
  const flacShare = options.flacShare ?? 0.2;
  const pictureShare = options.pictureShare ?? 0.25;
  const plan: { path: string; format: FixtureFormat; tags: FixtureTags; seed: number }[] = [];
  const usedAlbums = new Set<string>();
  const artists: string[] = [];
  const artistCount = Math.max(1, Math.ceil(count / 40));
  for (let i = 0; i < artistCount; i++) artists.push(`${pick(ARTIST_FIRST)} ${word()} ${word()} ${i + 1}`);

  let albumIndex = 0;
  while (plan.length < count) {
    const artist = pick(artists);
    let album = `${word()} ${word()}`;
    while (usedAlbums.has(`${artist}/${album}`)) album = `${album} ${++albumIndex}`;
    usedAlbums.add(`${artist}/${album}`);
    const year = 1960 + Math.floor(rnd() * 65);
    const genre = pick(GENRES);
    const discs = rnd() < 0.15 ? 2 : 1;
    const perDisc = 6 + Math.floor(rnd() * 9);
    const various = rnd() < 0.1;
    for (let disc = 1; disc <= discs && plan.length < count; disc++) {
      for (let no = 1; no <= perDisc && plan.length < count; no++) {
        const i = plan.length;
        const title = `${word()} ${word()} ${i + 1}`;
        const trackArtists = various
          ? [`${pick(ARTIST_FIRST)} ${word()}`]
          : rnd() < 0.1
            ? [artist, `${pick(ARTIST_FIRST)} ${word()} feat`]
            : [artist];
        const format: FixtureFormat = rnd() < flacShare ? 'flac' : 'mp3';
        const tags: FixtureTags = {
          title,
          artists: trackArtists,
          album,
          albumArtist: various ? 'Various Artists' : artist,
          trackNo: no,
          trackTotal: perDisc,
          discNo: disc,
          ...(discs > 1 ? { discTotal: discs } : {}),
          year,
          genre,
          picture: rnd() < pictureShare,
        };
        const folderArtist = safeName(various ? 'Various Artists' : artist);
        const num = String(no).padStart(2, '0');
        const file = `${discs > 1 ? `${disc}-` : ''}${num} ${safeName(title)}.${format}`;
        plan.push({ path: `${folderArtist}/${safeName(album)}/${file}`, format, tags, seed: mix(seed, i + 1) });
      }
    }
  }
  return plan;
}

/** Writes `count` tagged files under `dir` as Artist/Album/NN Title.ext (~80% MP3, ~20% FLAC). */
export async function generateLibrary(
  dir: string,
  count: number,
  seed: number,
  options: GenerateOptions = {},
): Promise<GeneratedTrack[]> {
  const plan = planLibrary(count, seed, options);
  const out: GeneratedTrack[] = new Array(plan.length);
  const parallel = options.parallel ?? 16;
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      const p = plan[i]!;
      const written = await writeTrackFile(dir, p.path, p.tags, { format: p.format, seed: p.seed, frames: options.frames });
      out[i] = { ...written, seed: p.seed };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, plan.length) }, worker));
  return out;
}

function safeName(s: string): string {
  return s.replace(/[/\\:*?"<>|\0]/g, '_').trim();
}

// FLAC frame headers and the check of a stream's end: the last frame found near the end (a header
// with a valid CRC-8 that agrees with STREAMINFO, a body whose CRC-16 closes) must reach the total
// sample count STREAMINFO states.
import { truncated } from '../errors.ts';
import type { StreamCheck } from './types.ts';
import { TailKeeper } from './ranges.ts';

export interface StreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when unknown. */
  totalSamples: number;
}

/** STREAMINFO's 34-byte body. */
export function parseStreamInfo(b: Uint8Array): StreamInfo {
  const u16 = (at: number) => (b[at]! << 8) | b[at + 1]!;
  const u24 = (at: number) => (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
  return {
    minBlockSize: u16(0),
    maxBlockSize: u16(2),
    maxFrameSize: u24(7),
    sampleRate: (b[10]! << 12) | (b[11]! << 4) | (b[12]! >> 4),
    channels: ((b[12]! >> 1) & 7) + 1,
    bitsPerSample: (((b[12]! & 1) << 4) | (b[13]! >> 4)) + 1,
    totalSamples: (b[13]! & 0x0f) * 2 ** 32 + (((b[14]! << 24) >>> 0) + (b[15]! << 16) + (b[16]! << 8) + b[17]!),
  };
}

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c8 = n;
  let c16 = n << 8;
  for (let k = 0; k < 8; k++) {
    c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
    c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  }
  CRC8[n] = c8;
  CRC16[n] = c16;
}

const RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
const DEPTHS = [0, 8, 12, 0, 16, 20, 24, 32];

interface FrameHeader {
  /** The first sample this frame holds. */
  firstSample: number;
  blockSize: number;
}

/** The frame header at `b[i]`, if one is there, is whole, has a valid CRC-8 and fits `info`. */
export function parseFrameHeader(b: Uint8Array, i: number, info: StreamInfo): FrameHeader | undefined {
  if (b[i] !== 0xff || (b[i + 1]! & 0xfe) !== 0xf8 || i + 6 > b.length) return undefined;
  const variable = (b[i + 1]! & 1) === 1;
  const sizeCode = b[i + 2]! >> 4;
  const rateCode = b[i + 2]! & 0x0f;
  const channelCode = b[i + 3]! >> 4;
  const depthCode = (b[i + 3]! >> 1) & 7;
  if (sizeCode === 0 || rateCode === 15 || channelCode > 10 || depthCode === 3 || (b[i + 3]! & 1) !== 0) return undefined;
  // The frame or sample number, coded like UTF-8 (up to 7 bytes).
  let at = i + 4;
  const lead = b[at]!;
  let extra = 0;
  if (lead >= 0x80) {
    while (extra < 7 && lead & (0x40 >> extra)) extra += 1;
    if (extra === 0 || extra > 6) return undefined;
  }
  let number = extra === 0 ? lead : lead & (0x3f >> extra);
  at += 1;
  for (let k = 0; k < extra; k++, at++) {
    if (at >= b.length || (b[at]! & 0xc0) !== 0x80) return undefined;
    number = number * 64 + (b[at]! & 0x3f);
  }
  let blockSize =
    sizeCode === 1 ? 192 : sizeCode <= 5 ? 576 << (sizeCode - 2) : sizeCode >= 8 ? 256 << (sizeCode - 8) : 0;
  if (sizeCode === 6 || sizeCode === 7) {
    if (at + sizeCode - 5 > b.length) return undefined;
    blockSize = (sizeCode === 6 ? b[at]! : (b[at]! << 8) | b[at + 1]!) + 1;
    at += sizeCode - 5;
  }
  let rate = RATES[rateCode] ?? 0;
  if (rateCode >= 12) {
    const bytes = rateCode === 12 ? 1 : 2;
    if (at + bytes > b.length) return undefined;
    const v = bytes === 1 ? b[at]! : (b[at]! << 8) | b[at + 1]!;
    rate = rateCode === 12 ? v * 1000 : rateCode === 13 ? v : v * 10;
    at += bytes;
  }
  if (at >= b.length) return undefined;
  let crc = 0;
  for (let k = i; k < at; k++) crc = CRC8[crc ^ b[k]!]!;
  if (crc !== b[at]) return undefined;
  // Agreement with STREAMINFO rules out most bytes that only look like a header.
  const channels = channelCode < 8 ? channelCode + 1 : 2;
  if (channels !== info.channels) return undefined;
  if (rateCode !== 0 && rate !== info.sampleRate) return undefined;
  if (depthCode !== 0 && DEPTHS[depthCode] !== info.bitsPerSample) return undefined;
  if (info.maxBlockSize > 0 && blockSize > info.maxBlockSize) return undefined;
  const firstSample = variable ? number : number * info.minBlockSize;
  if (info.totalSamples > 0 && firstSample >= info.totalSamples) return undefined;
  return { firstSample, blockSize };
}

const crc16 = (b: Uint8Array, from: number, to: number, stopAtZero: boolean): number => {
  let crc = 0;
  for (let k = from; k < to; k++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16[(crc >> 8) ^ b[k]!]!;
    if (stopAtZero && crc === 0 && k - from >= 8) return k + 1;
  }
  return stopAtZero ? -1 : crc;
};

/** Where the frame starting at `from` ends: the first point its CRC-16 closes (a frame's stored
 * CRC-16 makes its own CRC zero), or -1 when it does not close before `to`. */
const frameEnd = (b: Uint8Array, from: number, to: number): number => crc16(b, from, to, true);

/** Bytes of the audio's end kept to find the last frame: two of the largest frames, within bounds. */
export function tailLength(info: StreamInfo): number {
  const frame = info.maxFrameSize > 0 ? info.maxFrameSize : 512 * 1024;
  return Math.min(2 << 20, Math.max(64 * 1024, 2 * frame + 64));
}

/** Checks that the FLAC frames in [start, end) reach their STREAMINFO's total sample count and that
 * the last of them is whole. */
export class FlacEndCheck implements StreamCheck {
  private readonly tail: TailKeeper;
  private readonly info: StreamInfo;

  constructor(info: StreamInfo, start: number, end: number) {
    this.info = info;
    this.tail = new TailKeeper(start, end, tailLength(info));
  }

  update(window: Uint8Array, start: number): void {
    this.tail.update(window, start);
  }

  finish(): void {
    const b = this.tail.kept;
    const last = this.headerBefore(b, b.length);
    if (!last) return; // no frame found near the end: nothing to judge by
    // Whole (perhaps followed by bytes that are no frame): judge by the samples it reaches.
    if (frameEnd(b, last.at, b.length) >= 0) return this.judge(last);
    const before = this.headerBefore(b, last.at);
    if (!before) return;
    // The frame before ends exactly where the last one starts: the last one is real, and cut.
    if (crc16(b, before.at, last.at, false) === 0) {
      throw truncated(`its last FLAC frame (from sample ${last.firstSample}) is incomplete`);
    }
    // The "last header" lay inside the frame before it, which is the real last frame.
    if (frameEnd(b, before.at, b.length) >= 0) this.judge(before);
  }

  private judge(frame: FrameHeader): void {
    const reached = frame.firstSample + frame.blockSize;
    const total = this.info.totalSamples;
    if (total > 0 && reached < total) {
      throw truncated(`its STREAMINFO counts ${total} samples, its frames end at sample ${reached}`);
    }
  }

  /** The last frame header that starts before `end`. */
  private headerBefore(b: Uint8Array, end: number): (FrameHeader & { at: number }) | undefined {
    for (let i = end > 0 ? b.lastIndexOf(0xff, end - 1) : -1; i >= 0; i = i > 0 ? b.lastIndexOf(0xff, i - 1) : -1) {
      const header = parseFrameHeader(b, i, this.info);
      if (header) return { ...header, at: i };
    }
    return undefined;
  }
}

// MPEG audio (Layer I/II/III) and ADTS AAC frame headers: each tells its frame's length, so the
// frames can be walked header to header while the hash pass streams by.

export interface FrameHeader {
  /** Bytes from this header to the next. */
  length: number;
  /** Version, layer and sample rate in one number: every frame of a stream has the same. */
  kind: number;
  /** Byte offset (from the header) of a Xing/Info tag in the first frame, if one can be there. */
  xingAt?: number;
}

/** Reads the header at `b[i]` (the caller guarantees `headerBytes` bytes there); null if none. */
export interface FrameSyntax {
  readonly headerBytes: number;
  parse(b: Uint8Array, i: number): FrameHeader | null;
}

// kbit/s by bit-rate index: MPEG-1 layers I, II, III, then MPEG-2/2.5 layer I, then layers II and III.
const BITRATES = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
] as const;
const SAMPLE_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] } as const;

export const MPEG_AUDIO: FrameSyntax = {
  headerBytes: 4,
  parse(b, i) {
    if (b[i] !== 0xff) return null;
    const b1 = b[i + 1]!;
    const b2 = b[i + 2]!;
    if ((b1 & 0xe0) !== 0xe0) return null;
    const version = (b1 >> 3) & 3; // 0: 2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
    const layer = 4 - ((b1 >> 1) & 3); // 1, 2, 3 (4: reserved)
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 3;
    if (version === 1 || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
    if ((b[i + 3]! & 3) === 2) return null; // reserved emphasis
    const mpeg1 = version === 3;
    const table = mpeg1 ? layer - 1 : layer === 1 ? 3 : 4;
    const bitrate = BITRATES[table]![bitrateIndex]! * 1000;
    const sampleRate = SAMPLE_RATES[version as 0 | 2 | 3][rateIndex]!;
    const padding = (b2 >> 1) & 1;
    const length =
      layer === 1
        ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
        : Math.floor(((layer === 3 && !mpeg1 ? 72 : 144) * bitrate) / sampleRate) + padding;
    const mono = b[i + 3]! >> 6 === 3;
    const crc = (b1 & 1) === 0 ? 2 : 0;
    const sideInfo = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
    return { length, kind: (version << 8) | (layer << 4) | rateIndex, xingAt: layer === 3 ? 4 + crc + sideInfo : undefined };
  },
};

export const ADTS: FrameSyntax = {
  headerBytes: 7,
  parse(b, i) {
    if (b[i] !== 0xff || (b[i + 1]! & 0xf6) !== 0xf0) return null; // 12-bit sync, layer 0
    const rateIndex = (b[i + 2]! >> 2) & 0xf;
    if (rateIndex > 12) return null;
    const length = ((b[i + 3]! & 3) << 11) | (b[i + 4]! << 3) | (b[i + 5]! >> 5);
    const header = b[i + 1]! & 1 ? 7 : 9;
    if (length < header) return null;
    return { length, kind: ((b[i + 1]! & 8) << 8) | ((b[i + 2]! >> 6) << 4) | rateIndex };
  },
};

/** Frames and bytes as the first frame's Xing/Info or VBRI tag states them (LAME, Fraunhofer). */
export interface StatedLength {
  tag: 'Xing' | 'Info' | 'VBRI';
  frames?: number;
  bytes?: number;
}

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
const tagAt = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** Bytes of the first frame to look at for its Xing/Info or VBRI tag. */
export const STATED_LENGTH_BYTES = 64;

/** The Xing/Info or VBRI tag of the frame at `b[i]` (the caller guarantees STATED_LENGTH_BYTES or
 * the frame's length, whichever is less). */
export function statedLength(b: Uint8Array, i: number, header: FrameHeader): StatedLength | undefined {
  const room = Math.min(header.length, b.length - i);
  const x = header.xingAt;
  if (x !== undefined && x + 8 <= room) {
    const tag = tagAt(b, i + x);
    if (tag === 'Xing' || tag === 'Info') {
      const flags = u32(b, i + x + 4);
      let at = i + x + 8;
      const stated: StatedLength = { tag };
      if (flags & 1 && at + 4 - i <= room) {
        stated.frames = u32(b, at);
        at += 4;
      }
      if (flags & 2 && at + 4 - i <= room) stated.bytes = u32(b, at);
      return stated;
    }
  }
  if (x !== undefined && 36 + 18 <= room && tagAt(b, i + 36) === 'VBRI') {
    return { tag: 'VBRI', bytes: u32(b, i + 36 + 10), frames: u32(b, i + 36 + 14) };
  }
  return undefined;
}

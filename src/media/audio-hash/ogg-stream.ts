// One logical stream of an Ogg file (one serial number): its packets, which of them are tags, and
// the hash of the others. Packets are what a retag keeps; pages are not (a longer comment re-pages
// the stream, renumbering and re-checksumming every page after it).
import { createHash, type Hash } from 'node:crypto';

type Codec = 'vorbis' | 'opus' | 'speex' | 'flac' | 'theora' | 'other';

const PREFIX = 8;

const startsWith = (b: Uint8Array, length: number, text: string): boolean => {
  if (length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[i] !== text.charCodeAt(i)) return false;
  return true;
};

function codecOf(first: Uint8Array, length: number): Codec {
  if (startsWith(first, length, '\x01vorbis')) return 'vorbis';
  if (startsWith(first, length, 'OpusHead')) return 'opus';
  if (startsWith(first, length, 'Speex   ')) return 'speex';
  if (startsWith(first, length, '\x7fFLAC')) return 'flac';
  if (startsWith(first, length, '\x80theora')) return 'theora';
  return 'other';
}

export class LogicalStream {
  readonly serial: number;
  ended = false;
  /** A packet is in progress (its last segment not yet seen). */
  open = false;
  private readonly hash: Hash = createHash('sha256');
  private codec: Codec | undefined;
  private packets = 0;
  /** Every packet from here on is audio: no prefix needs looking at. */
  private headersDone = false;
  private decision: 'hash' | 'skip' | undefined;
  private readonly prefix = new Uint8Array(PREFIX);
  private prefixLength = 0;

  /** Hashes what the caller holds back for this stream, before the stream hashes a prefix itself. */
  private readonly flush: () => void;

  constructor(serial: number, flush: () => void) {
    this.serial = serial;
    this.flush = flush;
  }

  startPacket(): void {
    this.open = true;
    this.prefixLength = 0;
    this.decision = this.headersDone ? 'hash' : undefined;
  }

  /** Takes bytes b[from, to) of the packet in progress and returns where the bytes to hash as they
   * lie begin (`to` when none are): the caller hashes runs of them together. */
  take(b: Uint8Array, from: number, to: number): number {
    if (this.decision === 'skip') return to;
    if (this.decision === 'hash') return from;
    const n = Math.min(PREFIX - this.prefixLength, to - from);
    this.prefix.set(b.subarray(from, from + n), this.prefixLength);
    this.prefixLength += n;
    if (this.prefixLength < PREFIX) return to;
    this.decide();
    if (this.decision === 'skip') return to;
    this.flush();
    this.hash.update(this.prefix);
    return from + n;
  }

  endPacket(): void {
    if (this.decision === undefined) {
      this.decide();
      if (this.decision === 'hash') {
        this.flush();
        this.hash.update(this.prefix.subarray(0, this.prefixLength));
      }
    }
    this.open = false;
    this.packets += 1;
  }

  update(b: Uint8Array): void {
    this.hash.update(b);
  }

  digest(): Buffer {
    this.flush();
    return this.hash.digest();
  }

  /** Whether the packet just begun is a tag (skipped) or audio (hashed), by its first bytes. */
  private decide(): void {
    const index = this.packets;
    const b = this.prefix;
    const n = this.prefixLength;
    if (index === 0) this.codec = codecOf(b, n);
    let skip = false;
    switch (this.codec) {
      case 'vorbis':
        skip = startsWith(b, n, '\x03vorbis');
        this.headersDone = index >= 2;
        break;
      case 'opus':
        skip = startsWith(b, n, 'OpusTags');
        this.headersDone = index >= 1;
        break;
      case 'speex':
        skip = index === 1;
        this.headersDone = index >= 1;
        break;
      case 'flac':
        // The mapping packet (its header count changes when a block is added) and every metadata
        // block, as native FLAC's audio is its frames alone; frames start with their sync code.
        skip = n === 0 || b[0] !== 0xff;
        this.headersDone = !skip;
        break;
      case 'theora':
        skip = startsWith(b, n, '\x81theora');
        this.headersDone = index >= 2;
        break;
      default:
        this.headersDone = true;
    }
    this.decision = skip ? 'skip' : 'hash';
  }
}

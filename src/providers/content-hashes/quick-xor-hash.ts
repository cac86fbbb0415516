// OneDrive's QuickXorHash, computed here so a local file and a OneDrive item can be told the same
// without a download: a 160-bit register that each byte is XORed into, at a bit position that moves
// 11 bits per byte (wrapping at 160), with the length XORed into its last 8 bytes at the end.
const WIDTH_BITS = 160;
const SHIFT = 11;
const WORDS = WIDTH_BITS / 32;

export class QuickXorHash {
  // The register as five 32-bit words, bit p of the register at bit p % 32 of word p / 32.
  private readonly register = new Uint32Array(WORDS);
  private position = 0;
  private length = 0;

  update(bytes: Uint8Array): this {
    const register = this.register;
    let position = this.position;
    for (let i = 0; i < bytes.length; i++) {
      const word = position >>> 5;
      const offset = position & 31;
      const byte = bytes[i]!;
      register[word]! ^= byte << offset;
      // A byte that starts in the last 7 bits of a word runs on into the next (the 160th bit wraps to the first).
      if (offset > 24) register[(word + 1) % WORDS]! ^= byte >>> (32 - offset);
      position += SHIFT;
      if (position >= WIDTH_BITS) position -= WIDTH_BITS;
    }
    this.position = position;
    this.length += bytes.length;
    return this;
  }

  /** The 20-byte hash; `base64` as OneDrive states it in `quickXorHash`. */
  digest(): Buffer;
  digest(encoding: 'base64' | 'hex'): string;
  digest(encoding?: 'base64' | 'hex'): Buffer | string {
    const out = Buffer.alloc(WIDTH_BITS / 8);
    for (let w = 0; w < WORDS; w++) out.writeUInt32LE(this.register[w]!, w * 4);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(this.length));
    for (let i = 0; i < 8; i++) out[out.length - 8 + i]! ^= length[i]!;
    return encoding ? out.toString(encoding) : out;
  }
}

// Sealing credentials under the operator's key (MUSIC_SYNC_SECRET_KEY) with AES-256-GCM, so the
// database alone never gives them away. A sealed value is
//   version (1) | key fingerprint (8) | nonce (12) | ciphertext | tag (16)
// The fingerprint lets a value sealed under another key be told apart from a damaged one; the header
// and the value's context (its profile and name) are authenticated, so a value copied to another row
// does not open there. No message here ever holds a key or a plaintext.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

const KEY_BYTES = 32;
const VERSION = 1;
const FINGERPRINT_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + FINGERPRINT_BYTES + NONCE_BYTES;
const FINGERPRINT_LABEL = 'music-sync secret-box key fingerprint v1\0';
const HOW_TO_MAKE_ONE = 'make one with `openssl rand -base64 32` and keep it safe';

/** The key is missing, malformed or not the one a value was sealed with, or a sealed value is damaged. */
export class SecretKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretKeyError';
  }
}

export class SecretBox {
  // A KeyObject, not a Buffer: inspecting or serialising the box shows no key material.
  readonly #key: KeyObject;
  readonly #fingerprint: Buffer;

  private constructor(key: Buffer) {
    this.#key = createSecretKey(key);
    this.#fingerprint = createHash('sha256').update(FINGERPRINT_LABEL).update(key).digest().subarray(0, FINGERPRINT_BYTES);
  }

  /** A box from MUSIC_SYNC_SECRET_KEY's text: 32 bytes as 64 hex digits or as base64 (standard or
   * url-safe, padded or not). */
  static fromKeyText(text: string | undefined): SecretBox {
    const trimmed = text?.trim();
    if (!trimmed) throw new SecretKeyError(`MUSIC_SYNC_SECRET_KEY is not set: ${HOW_TO_MAKE_ONE}`);
    const key = decodeKey(trimmed);
    if (!key) {
      throw new SecretKeyError(
        `MUSIC_SYNC_SECRET_KEY must be ${KEY_BYTES} bytes written as 64 hex digits or as base64 ` +
          `(it has ${trimmed.length} characters): ${HOW_TO_MAKE_ONE}`,
      );
    }
    try {
      return new SecretBox(key);
    } finally {
      key.fill(0);
    }
  }

  /** Names the key without revealing it (hex), e.g. to tell two workers' keys apart. */
  get fingerprint(): string {
    return this.#fingerprint.toString('hex');
  }

  /** Seals `plaintext` for `context` (what the value is, e.g. `profileId/name`): it opens only there. */
  seal(plaintext: string, context: string): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(VERSION, 0);
    this.#fingerprint.copy(header, 1);
    randomBytes(NONCE_BYTES).copy(header, 1 + FINGERPRINT_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, header.subarray(1 + FINGERPRINT_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(header, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  /** Opens a value sealed for `context`; a value sealed under another key, damaged or sealed for
   * another context is a SecretKeyError. */
  open(sealed: Buffer, context: string): string {
    const corrupt = () => new SecretKeyError(`the sealed value of ${context} could not be opened (tampered or corrupt)`);
    if (sealed.length < HEADER_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw corrupt();
    const header = sealed.subarray(0, HEADER_BYTES);
    const fingerprint = header.subarray(1, 1 + FINGERPRINT_BYTES);
    if (!fingerprint.equals(this.#fingerprint)) {
      throw new SecretKeyError(
        `the sealed value of ${context} was sealed with another MUSIC_SYNC_SECRET_KEY ` +
          `(key ${fingerprint.toString('hex')}; this one is ${this.fingerprint})`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, header.subarray(1 + FINGERPRINT_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(header, context));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      throw corrupt();
    }
  }
}

/** The header is fixed-length, so header then context is unambiguous. */
function additionalData(header: Buffer, context: string): Buffer {
  return Buffer.concat([header, Buffer.from(context, 'utf8')]);
}

/** The key's bytes, or undefined when the text is not exactly 32 bytes in one of the accepted forms.
 * Base64 must be canonical (what an encoder writes), so a mistyped last character is refused rather
 * than silently dropped. */
function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const unpadded = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/.test(text) ? text.replace(/=$/, '') : undefined;
  if (unpadded === undefined) return undefined;
  const key = Buffer.from(unpadded, 'base64');
  const canonical = key.toString('base64url') === unpadded.replaceAll('+', '-').replaceAll('/', '_');
  if (key.length === KEY_BYTES && canonical) return key;
  key.fill(0);
  return undefined;
}

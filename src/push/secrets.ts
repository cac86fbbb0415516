// The secrets a channel's notifications carry (Drive's channel token, Graph's clientState): random,
// kept only as a hash, and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits as 43 URL-safe characters (Drive takes 256, Graph 128). */
export function newChannelSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a secret. A plain SHA-256 is enough: the secret is random, not a password. */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Whether `given` is the secret whose hash is `stored` (false when either is missing). */
export function secretMatches(stored: Buffer | null, given: string | undefined): boolean {
  if (!stored || given === undefined) return false;
  const hash = secretHash(given);
  return stored.length === hash.length && timingSafeEqual(stored, hash);
}

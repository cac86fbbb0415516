// Content hashes of the cloud providers, computed locally: OneDrive's QuickXorHash against published
// vectors (inputs and outputs in base64), Dropbox's content_hash against its definition and vectors.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DROPBOX_BLOCK_SIZE, DropboxContentHash } from '../../src/providers/content-hashes/dropbox-content-hash.ts';
import { QuickXorHash } from '../../src/providers/content-hashes/quick-xor-hash.ts';

const QUICK_XOR_VECTORS: [size: number, input: string, hash: string][] = [
  [0, '', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  [1, 'Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
  [2, 'tbQ=', 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
  [3, '0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
  [8, '/aNzzCFPS/A=', '/RjFHJgRgicsAR4ACAAAAAAAAAA='],
  [19, 'g8VtAh+2Kf4k0kY5tzji2i2zmA==', 'wDNrgwHWAVukwB8kg4YRcnALHIg='],
  [20, 'T6LYJIfDh81JrAK309H2JMJTXis=', 'zBTHrspn3mEcohlJdIUAbjGNaNg='],
  [21, 'DWAAX5/CIfrmErgZa8ot6ZraeSbu', 'LR2Z0PjuRYGKQB/mhQAuMrAGZbQ='],
  [41, '0n7nl3YJtipy6yeUbVPWtc2h45WbF9u8hTz5tNwj3dZZwfXWkk+GN3g=', 'YJLNK7JR64j9aODWfqDvEe/u6NU='],
  [64, 'Mb7EGva2rEE5fENDL85P+BsapHEEjv2/siVhKjvAQe02feExVOQSkfmuYzU/kTF1MaKjPmKF/w+cbvwfdWL8aQ==', 'n1anP5NfvD4XDYWIeRPW3ZkPv1Y='],
  [222, 'PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3', 'QX/YEpG0gDsmhEpCdWhsxDzsfVE='],
  [333, 'w0LGhqU1WXFbdavqDE4kAjEzWLGGzmTNikzqnsiXHx2KRReKVTxkv27u3UcEz9+lbMvYl4xFf2Z4aE1xRBBNd1Ke5C0zToSaYw5o4B/7X99nKK2/XaUX1byLow2aju2XJl2OpKpJg+tSJ2fmjIJTkfuYUz574dFX6/VXxSxwGH/xQEAKS5TCsBK3CwnuG1p5SAsQq3gGVozDWyjEBcWDMdy8/AIFrj/y03Lfc/RNRCQTAfZbnf2QwV7sluw4fH3XJr07UoD0YqN+7XZzidtrwqMY26fpLZnyZjnBEt1FAZWO7RnKG5asg8xRk9YaDdedXdQSJAOy6bWEWlABj+tVAigBxavaluUH8LOj+yfCFldJjNLdi90fVHkUD/m4Mr5OtmupNMXPwuG3EQlqWUVpQoYpUYKLsk7a5Mvg6UFkiH596y5IbJEVCI1Kb3D1', 'e3+wo77iKcILiZegnzyUNcjCdoQ='],
];

test('QuickXorHash: the published vectors, whole and fed in pieces of every size', () => {
  for (const [size, input, hash] of QUICK_XOR_VECTORS) {
    const bytes = Buffer.from(input, 'base64');
    assert.equal(bytes.length, size);
    assert.equal(new QuickXorHash().update(bytes).digest('base64'), hash, `${size} bytes`);
    for (const piece of [1, 3, 7, 64, 161]) {
      const h = new QuickXorHash();
      for (let at = 0; at < bytes.length; at += piece) h.update(bytes.subarray(at, at + piece));
      assert.equal(h.digest('base64'), hash, `${size} bytes in pieces of ${piece}`);
    }
  }
});

test('Dropbox content_hash: sha256 of the 4 MiB blocks\' sha256s, at the block boundaries', () => {
  // Vectors for files of "A" repeated, as Dropbox's reference computes them.
  const vectors: [number, string][] = [
    [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [1, '1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42'],
    [4096, '8620913d33852befe09f16fff8fd75f77a83160d29f76f07e0276e9690903035'],
    [DROPBOX_BLOCK_SIZE - 1, '647c8627d70f7a7d13ce96b1e7710a771a55d41a62c3da490d92e56044d311fa'],
    [DROPBOX_BLOCK_SIZE, 'd4d63bac5b866c71620185392a8a6218ac1092454a2d16f820363b69852befa3'],
    [DROPBOX_BLOCK_SIZE + 1, '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92'],
    [2 * DROPBOX_BLOCK_SIZE, 'e08b3ba1f538804075c5f939accdeaa9efc7b5c01865c94a41e78ca6550a88e7'],
  ];
  for (const [size, hash] of vectors) {
    const bytes = Buffer.alloc(size, 'A');
    assert.equal(new DropboxContentHash().update(bytes).digest(), hash, `${size} bytes`);
    const pieces = new DropboxContentHash();
    for (let at = 0; at < size; at += 1_000_003) pieces.update(bytes.subarray(at, at + 1_000_003));
    assert.equal(pieces.digest(), hash, `${size} bytes in pieces`);
  }
  // And by its definition, for bytes that are not all alike.
  const mixed = createHash('sha512').update('seed').digest();
  const data = Buffer.concat(Array.from({ length: 90_000 }, () => mixed)).subarray(0, DROPBOX_BLOCK_SIZE + 12_345);
  const blocks = [data.subarray(0, DROPBOX_BLOCK_SIZE), data.subarray(DROPBOX_BLOCK_SIZE)].map((b) => createHash('sha256').update(b).digest());
  assert.equal(new DropboxContentHash().update(data).digest(), createHash('sha256').update(Buffer.concat(blocks)).digest('hex'));
});

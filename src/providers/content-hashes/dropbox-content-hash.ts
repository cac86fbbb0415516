// Dropbox's content_hash, computed here so a local file and a Dropbox file can be told the same
// without a download: the SHA-256 of the concatenated SHA-256 digests of the file's 4 MiB blocks.
import { createHash, type Hash } from 'node:crypto';

export const DROPBOX_BLOCK_SIZE = 4 * 1024 * 1024;

export class DropboxContentHash {
  private readonly blocks = createHash('sha256');
  private block: Hash = createHash('sha256');
  private inBlock = 0;

  update(bytes: Uint8Array): this {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, DROPBOX_BLOCK_SIZE - this.inBlock);
      this.block.update(bytes.subarray(at, at + n));
      this.inBlock += n;
      at += n;
      if (this.inBlock === DROPBOX_BLOCK_SIZE) this.closeBlock();
    }
    return this;
  }

  /** Hex, as Dropbox states it in `content_hash`. */
  digest(): string {
    if (this.inBlock > 0) this.closeBlock();
    return this.blocks.digest('hex');
  }

  private closeBlock(): void {
    this.blocks.update(this.block.digest());
    this.block = createHash('sha256');
    this.inBlock = 0;
  }
}

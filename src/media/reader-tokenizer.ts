import { AbstractTokenizer, EndOfStreamError, type IFileInfo, type IReadChunkOptions } from 'strtok3';
import type { RandomAccessReader } from '../providers/types.ts';

/** A strtok3 tokenizer over any provider's ranged reads, so music-metadata fetches only the bytes
 * it parses (headers at the start, ID3v1/APE at the end) whatever the storage is. */
export class ReaderTokenizer extends AbstractTokenizer {
  fileInfo: IFileInfo;
  private readonly reader: RandomAccessReader;

  constructor(reader: RandomAccessReader, fileInfo: IFileInfo) {
    super({ onClose: () => reader.close() });
    this.reader = reader;
    this.fileInfo = { ...fileInfo, size: reader.size };
  }

  supportsRandomAccess(): boolean {
    return true;
  }

  setPosition(position: number): void {
    this.position = position;
  }

  async readBuffer(buffer: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const norm = this.normalizeOptions(buffer, options);
    this.position = norm.position;
    const n = await this.fill(buffer, norm.length, norm.position);
    this.position += n;
    if (!norm.mayBeLess && n < norm.length) throw new EndOfStreamError();
    return n;
  }

  async peekBuffer(buffer: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const norm = this.normalizeOptions(buffer, options);
    const n = await this.fill(buffer, norm.length, norm.position);
    if (!norm.mayBeLess && n < norm.length) throw new EndOfStreamError();
    return n;
  }

  private async fill(buffer: Uint8Array, length: number, position: number): Promise<number> {
    let total = 0;
    while (total < length) {
      const n = await this.reader.read(buffer, total, length - total, position + total);
      if (n === 0) break;
      total += n;
    }
    return total;
  }
}

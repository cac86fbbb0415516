// Reading one listed file into a track: its tags through ranged reads (music-metadata fetches only the
// bytes it parses, whatever the storage), then a sha256 of the whole file as its content identity.
import { createHash } from 'node:crypto';
import { parseFromTokenizer } from 'music-metadata';
import type { TrackTags } from '../contract/track.ts';
import type { ProviderFile, RandomAccessReader, StorageProvider } from '../providers/types.ts';
import { ReaderTokenizer } from './reader-tokenizer.ts';
import { toTrackTags } from './tags.ts';

export interface ReadTrackResult {
  tags: TrackTags;
  /** `sha256:<hex>` of the whole file. */
  contentHash: string;
  bytesRead: number;
}

/** A file that can never become a track as it is (corrupt, unsupported, empty): not retried. */
export class UnreadableFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableFileError';
  }
}

const HASH_CHUNK = 1 << 20;

/** Counts every byte the provider hands us, so a job reports (and tests can check) what it read. */
class CountingReader implements RandomAccessReader {
  bytes = 0;
  private readonly inner: RandomAccessReader;
  constructor(inner: RandomAccessReader) {
    this.inner = inner;
  }
  get size(): number {
    return this.inner.size;
  }
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const n = await this.inner.read(buffer, offset, length, position);
    this.bytes += n;
    return n;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface ReadTrackOptions {
  /** Upper bound on tag parsing for one file, so one odd file cannot stall a batch. */
  parseTimeoutMs: number;
  signal?: AbortSignal;
}

export async function readTrack(
  provider: StorageProvider,
  file: Pick<ProviderFile, 'fileId' | 'path' | 'mimeType'>,
  options: ReadTrackOptions,
): Promise<ReadTrackResult> {
  const reader = new CountingReader(await provider.open(file));
  try {
    if (reader.size === 0) throw new UnreadableFileError('empty file');
    const tags = await parseTags(reader, file, options);
    const contentHash = await hashAll(reader, options.signal);
    return { tags, contentHash, bytesRead: reader.bytes };
  } finally {
    await reader.close().catch(() => undefined);
  }
}

async function parseTags(
  reader: RandomAccessReader,
  file: Pick<ProviderFile, 'path' | 'mimeType'>,
  options: ReadTrackOptions,
): Promise<TrackTags> {
  // The tokenizer must not close the shared reader: hashing reads it afterwards.
  const view: RandomAccessReader = { size: reader.size, read: reader.read.bind(reader), close: async () => {} };
  const tokenizer = new ReaderTokenizer(view, { path: file.path, mimeType: file.mimeType ?? undefined });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void tokenizer.abort();
      reject(new UnreadableFileError(`reading tags took longer than ${options.parseTimeoutMs} ms`));
    }, options.parseTimeoutMs);
  });
  try {
    // duration: false keeps the work per file bounded (music-metadata#45); formats with a header
    // duration still report it, others are estimated from bitrate.
    const meta = await Promise.race([parseFromTokenizer(tokenizer, { duration: false, skipCovers: false }), timeout]);
    // music-metadata is lenient: a text file named .mp3 parses to an empty result. Neither a tag nor a
    // container, codec or sample rate means nothing in it is music.
    const f = meta.format;
    if (f.tagTypes.length === 0 && !f.container && !f.codec && f.sampleRate === undefined) {
      throw new UnreadableFileError('no audio stream found');
    }
    return toTrackTags(meta, file.path);
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    if (options.signal?.aborted) throw err;
    throw new UnreadableFileError(describeParseError(err), { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function describeParseError(err: unknown): string {
  const e = err as Error;
  const message = e?.message ?? String(err);
  if (e?.name === 'EndOfStreamError' || /end-of-stream/i.test(message)) return 'file is truncated (unexpected end of file)';
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

async function hashAll(reader: RandomAccessReader, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const buffer = new Uint8Array(Math.min(HASH_CHUNK, Math.max(1, reader.size)));
  let position = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = await reader.read(buffer, 0, buffer.length, position);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    position += n;
  }
  return `sha256:${hash.digest('hex')}`;
}
